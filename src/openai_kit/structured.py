"""Structured outputs from pydantic models.

``response_format(Model)`` is what ``chat.completions.create(response_format=...)`` takes;
``text_format(Model)`` is what ``responses.create(text=...)`` takes. Both carry a strict JSON schema made
from the model. ``parse(Model, text)`` turns the reply back into a validated instance, raising
:class:`StructuredOutputError` with the reason when the model refused or sent something else.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

import pydantic

from ._errors import OpenAIError
from ._strict_schema import to_strict_schema

__all__ = [
    "ContentFilterFinishReasonError",
    "LengthFinishReasonError",
    "StructuredOutputError",
    "json_schema",
    "parse",
    "pydantic_function_tool",
    "pydantic_responses_function_tool",
    "response_format",
    "text_format",
]

_M = TypeVar("_M", bound=pydantic.BaseModel)


class StructuredOutputError(OpenAIError):
    """The reply is not an instance of the requested model (or the model refused)."""


def _name(model: type[pydantic.BaseModel], name: str | None) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", name or model.__name__)[:64]


def json_schema(model: type[pydantic.BaseModel]) -> dict[str, Any]:
    """The strict JSON schema of ``model``."""
    return to_strict_schema(model.model_json_schema())


def response_format(model: type[pydantic.BaseModel], *, name: str | None = None) -> dict[str, Any]:
    return {
        "type": "json_schema",
        "json_schema": {"name": _name(model, name), "schema": json_schema(model), "strict": True},
    }


def text_format(model: type[pydantic.BaseModel], *, name: str | None = None) -> dict[str, Any]:
    return {
        "format": {
            "type": "json_schema",
            "name": _name(model, name),
            "schema": json_schema(model),
            "strict": True,
        }
    }


def parse(model: type[_M], content: str | bytes | None, *, refusal: str | None = None) -> _M:
    """Validate a reply's JSON text as ``model``."""
    if refusal:
        raise StructuredOutputError(f"the model refused: {refusal}")
    if content is None:
        raise StructuredOutputError("the reply has no content to parse")
    try:
        return model.model_validate_json(content)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        raise StructuredOutputError(
            f"the reply is not a valid {model.__name__}: {'.'.join(map(str, first['loc']))}: {first['msg']}"
        ) from None


class LengthFinishReasonError(StructuredOutputError):
    """The reply was cut by the token limit (``finish_reason == "length"``), so it cannot be parsed."""


class ContentFilterFinishReasonError(StructuredOutputError):
    """The reply was stopped by the content filter (``finish_reason == "content_filter"``)."""


def pydantic_function_tool(
    model: type[pydantic.BaseModel], *, name: str | None = None, description: str | None = None
) -> dict[str, Any]:
    """A strict chat-completions function tool whose arguments are ``model`` (the official SDK's helper)."""
    function: dict[str, Any] = {"name": _name(model, name), "strict": True, "parameters": json_schema(model)}
    doc = description or (model.__doc__ or "").strip()
    if doc:
        function["description"] = doc
    return {"type": "function", "function": function}


def pydantic_responses_function_tool(
    model: type[pydantic.BaseModel], *, name: str | None = None, description: str | None = None
) -> dict[str, Any]:
    """The same for the Responses API, whose function tools are flat."""
    return {
        "type": "function",
        **pydantic_function_tool(model, name=name, description=description)["function"],
    }
