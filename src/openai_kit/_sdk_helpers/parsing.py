"""Structured outputs from a pydantic model, as the official SDK spells them: the pieces of
``client.chat.completions.parse`` / ``stream`` (``chat_stream``) and ``client.responses.parse`` / ``stream``
(``responses_stream``).

``parse(response_format=Model, ...)`` sends ``Model``'s strict JSON schema and sets ``message.parsed`` on
every choice to a validated ``Model`` (``responses.parse(text_format=Model)`` sets
``response.output_parsed``). A reply that is not a valid instance raises
:class:`~openai_kit.structured.StructuredOutputError`, as does a refusal or a reply cut by the token
limit. A plain dict ``response_format`` is sent as is and ``parsed`` stays ``None`` (the official SDK's
behaviour).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
import pydantic

from ..structured import (
    ContentFilterFinishReasonError,
    LengthFinishReasonError,
    parse,
    response_format,
    text_format,
)

if TYPE_CHECKING:
    from ..types.chat import ChatCompletion
    from ..types.responses import Response

__all__: list[str] = []  # helpers of chat_stream and responses_stream


def _model_class(value: Any) -> type[pydantic.BaseModel] | None:
    return value if isinstance(value, type) and issubclass(value, pydantic.BaseModel) else None


def _no_stream(params: dict[str, Any]) -> None:
    if params.get("stream"):
        raise TypeError("parse() does not stream; use create(stream=True) and parse the text yourself")


def _chat_params(params: dict[str, Any]) -> type[pydantic.BaseModel] | None:
    _no_stream(params)
    model = _model_class(params.get("response_format"))
    if model is not None:
        params["response_format"] = response_format(model)
    return model


def _strict_tools(params: dict[str, Any]) -> frozenset[str]:
    """The names of the ``strict`` function tools of a request: their arguments are guaranteed JSON."""
    names = set()
    for tool in params.get("tools") or ():
        fn = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(fn, dict) and fn.get("strict") and isinstance(fn.get("name"), str):
            names.add(fn["name"])
    return frozenset(names)


def _json_or_none(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return None


def _parse_chat(
    completion: ChatCompletion,
    model: type[pydantic.BaseModel] | None,
    strict_tools: frozenset[str] = frozenset(),
) -> ChatCompletion:
    """Set ``message.parsed`` (the model, or None) and ``parsed_arguments`` on tool calls (strict tools'
    arguments as JSON, None for others), as the official SDK's ``parse()`` does."""
    for choice in completion.choices:
        message: Any = choice.message
        for call in message.tool_calls or ():
            fn: Any = getattr(call, "function", None)
            if fn is not None:
                fn.parsed_arguments = _json_or_none(fn.arguments) if fn.name in strict_tools else None
        parsed = None
        if model is not None:
            if choice.finish_reason == "length":
                raise LengthFinishReasonError("the reply was cut by the token limit (finish_reason 'length')")
            if choice.finish_reason == "content_filter":
                raise ContentFilterFinishReasonError("the reply was stopped by the content filter")
            parsed = parse(model, message.content, refusal=message.refusal)
        message.parsed = parsed
    return completion


def _responses_params(params: dict[str, Any]) -> type[pydantic.BaseModel] | None:
    _no_stream(params)
    parse_as = params.pop("parse_as", None)  # the official SDK's newer name for text_format
    model = _model_class(params.pop("text_format", None) or parse_as)
    if model is not None:
        params["text"] = {**(params.get("text") or {}), **text_format(model)}
    return model


def _parse_response(response: Response, model: type[pydantic.BaseModel] | None) -> Response:
    out: Any = response
    out.output_parsed = parse(model, response.output_text) if model is not None else None
    return response
