"""Response parsing: a fully read body becomes what an operation returns (no IO).

pydantic is imported only when a model is parsed, so the client core stays cheap to import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from ._errors import validation_error
from ._large_json import LARGE, parse_large

if TYPE_CHECKING:
    from ._transports._base import Response

__all__ = ["parse_response"]

_PARTS: tuple[Any, Any] | None = None


def _pydantic_parts() -> tuple[Any, Any]:
    """pydantic's ValidationError and ``_models.parse_json``, imported on the first parse only."""
    global _PARTS
    if _PARTS is None:
        from pydantic import ValidationError

        from ._models import parse_json

        _PARTS = (ValidationError, parse_json)
    return _PARTS


def parse_response(response: Response, cast_to: Any, strict: bool = False) -> Any:
    """Turn ``response``'s body into ``cast_to``: ``None``, ``bytes``, ``str`` (or any text/plain body),
    raw JSON (``object`` / ``dict``), or a model / type that pydantic validates straight from bytes —
    leniently unless ``strict`` (see :mod:`openai_kit._models`)."""
    if cast_to is type(None) or cast_to is None:
        return None
    content = response.content
    assert content is not None
    if cast_to is bytes:
        return content
    if cast_to is str or response.headers.get("content-type", "").startswith("text/plain"):
        return content.decode("utf-8", "replace")
    if cast_to is object or cast_to is dict or cast_to is Any:
        try:
            return orjson.loads(content)
        except orjson.JSONDecodeError as exc:
            raise validation_error(
                f"Response body is not valid JSON ({exc.msg})", content, response=response
            ) from None
    ValidationError, parse_json = _pydantic_parts()
    try:
        if len(content) >= LARGE and not strict:
            return parse_large(cast_to, content)
        return parse_json(cast_to, content, strict=strict)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        if errors and errors[0]["type"] == "json_invalid":
            what = "not valid JSON" + (" (truncated)" if "EOF" in str(errors[0]["msg"]) else "")
        else:
            what = (
                f"not a valid {getattr(cast_to, '__name__', cast_to)}: {errors[0]['loc']} {errors[0]['msg']}"
            )
        raise validation_error(f"Response body is {what}", content, response=response) from None
