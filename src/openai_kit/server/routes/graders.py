"""``/fine_tuning/alpha/graders``: check a grader (``validate``) and score one sample with it (``run``);
the scoring is ``server/graders.py``'s, the same the eval runs use."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import graders
from ..errors import invalid, missing
from ..params import opt_dict
from ..state import ServerState, json_body, ok, state_of

#: what the endpoints take at the top level (a ``label_model`` only inside a ``multi``)
TOP_LEVEL = ("string_check", "text_similarity", "python", "score_model", "multi")


def _grader(state: ServerState, body: dict[str, object]) -> dict[str, object]:
    if body.get("grader") is None:
        raise missing("grader")
    grader = graders.check_grader(body["grader"], "grader", allowed=TOP_LEVEL)
    graders.check_models(state, grader, "grader")
    return grader


async def validate(request: Request) -> Response:
    body = await json_body(request)
    return ok({"grader": _grader(state_of(request), body)})


async def run(request: Request) -> Response:
    state = state_of(request)
    body = await json_body(request)
    grader = _grader(state, body)
    sample = body.get("model_sample")
    if sample is None:
        raise missing("model_sample")
    if not isinstance(sample, str):
        raise invalid(
            "model_sample", "Invalid type for 'model_sample': expected a string.", code="invalid_type"
        )
    item = opt_dict(body, "item") or {}
    started = graders.clock()
    context = {"item": item, "sample": graders.sample_namespace(sample)}
    outcome = await graders.grade(state, grader, context)
    return ok(graders.run_response(grader, outcome, graders.clock() - started))


ROUTES = [
    Route("/fine_tuning/alpha/graders/run", run, methods=["POST"]),
    Route("/fine_tuning/alpha/graders/validate", validate, methods=["POST"]),
]
