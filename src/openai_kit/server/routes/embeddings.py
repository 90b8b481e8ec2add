"""``/embeddings`` (hashed n-gram vectors) and ``/moderations`` (keyword lists)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import usage_ledger
from ..embeddings import DEFAULT_DIMENSIONS, MAX_DIMENSIONS, embed, to_base64
from ..errors import invalid, missing
from ..ids import new_id
from ..models import MODERATION_MODEL
from ..moderation import classify
from ..params import opt_enum, opt_int, opt_str, req_str
from ..state import ServerState, json_body, ok, state_of
from ..tokens import count_tokens


def _texts(value: Any) -> list[str]:
    if value is None:
        raise missing("input")
    if isinstance(value, str):
        if not value:
            raise invalid("input", "Invalid 'input': empty string.", code="empty_string")
        return [value]
    if isinstance(value, list) and value:
        if len(value) > 2048:
            raise invalid("input", "Invalid 'input': at most 2048 inputs per request.")
        if all(isinstance(v, str) for v in value):
            for i, v in enumerate(value):
                if not v:
                    raise invalid(f"input[{i}]", f"Invalid 'input[{i}]': empty string.", code="empty_string")
            return list(value)
        if all(isinstance(v, int) for v in value):
            return [" ".join(f"t{t}" for t in value)]
        if all(isinstance(v, list) and all(isinstance(t, int) for t in v) for v in value):
            return [" ".join(f"t{t}" for t in v) for v in value]
    raise invalid(
        "input", "Invalid 'input': expected a string, an array of strings or an array of token arrays."
    )


async def create_embedding(state: ServerState, body: dict[str, Any]) -> dict[str, Any]:
    model_id = req_str(body, "model")
    texts = _texts(body.get("input"))
    state.models.require(model_id, "embedding")
    dims = opt_int(body, "dimensions", DEFAULT_DIMENSIONS, lo=1, hi=MAX_DIMENSIONS) or DEFAULT_DIMENSIONS
    fmt = opt_enum(body, "encoding_format", ("float", "base64"), "float")
    opt_str(body, "user")
    data = []
    for i, text in enumerate(texts):
        vec = embed(text, dims)
        data.append(
            {"object": "embedding", "index": i, "embedding": to_base64(vec) if fmt == "base64" else vec}
        )
    tokens = sum(count_tokens(t) for t in texts)
    usage_ledger.record_tokens(state, "embeddings", model_id, tokens)
    return {
        "object": "list",
        "data": data,
        "model": model_id,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


def _moderation_inputs(value: Any) -> list[tuple[str, bool]]:
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        text_parts: list[str] = []
        has_image = False
        for i, part in enumerate(value):
            kind = part.get("type")
            if kind == "text":
                text_parts.append(req_str(part, "text", path=f"input[{i}].text"))
            elif kind == "image_url":
                has_image = True
            else:
                raise invalid(
                    f"input[{i}].type",
                    f"Invalid value: '{kind}'. Supported values are: 'text' and 'image_url'.",
                    code="invalid_value",
                )
        return [(" ".join(text_parts), has_image)]
    return [(t, False) for t in _texts(value)]


async def create_moderation(state: ServerState, body: dict[str, Any]) -> dict[str, Any]:
    model_id = opt_str(body, "model") or MODERATION_MODEL
    inputs = _moderation_inputs(body.get("input"))
    state.models.require(model_id, "moderation")
    usage_ledger.record_tokens(state, "moderations", model_id, sum(count_tokens(t) for t, _ in inputs))
    return {
        "id": new_id("modr-"),
        "model": model_id,
        "results": [classify(text, has_image=img) for text, img in inputs],
    }


async def embeddings_endpoint(request: Request) -> Response:
    return ok(await create_embedding(state_of(request), await json_body(request)))


async def moderations_endpoint(request: Request) -> Response:
    return ok(await create_moderation(state_of(request), await json_body(request)))


ROUTES = [
    Route("/embeddings", embeddings_endpoint, methods=["POST"]),
    Route("/moderations", moderations_endpoint, methods=["POST"]),
]
