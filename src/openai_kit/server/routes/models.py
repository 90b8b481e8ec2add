"""``/models``: the built-in models."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..errors import RequestError
from ..state import ok, state_of


async def list_models(request: Request) -> Response:
    models = state_of(request).models
    return ok({"object": "list", "data": [m.as_object() for m in models.infos]})


async def retrieve_model(request: Request) -> Response:
    model_id = request.path_params["model"]
    info = state_of(request).models.info(model_id)
    if info is None:
        raise RequestError(
            404, f"The model '{model_id}' does not exist.", param="model", code="model_not_found"
        )
    return ok(info.as_object())


ROUTES = [
    Route("/models", list_models, methods=["GET"]),
    Route("/models/{model:path}", retrieve_model, methods=["GET"]),
]
