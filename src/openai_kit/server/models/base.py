"""What every built-in chat model receives and returns.

The routes turn chat messages, Responses input items and thread messages into the same list of
``Turn`` objects, so one model implementation serves every endpoint.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import orjson

from ..errors import RequestError
from ..ids import new_id
from ..schema_fake import SchemaError, fake_value, shared_budget
from ..tokens import truncate_tokens


@dataclass
class ToolCall:
    id: str
    name: str
    arguments: str


@dataclass
class Turn:
    role: str  # system | developer | user | assistant | tool
    content: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    tool_call_id: str | None = None


@dataclass
class ToolSpec:
    name: str
    parameters: dict[str, Any] | None = None
    description: str | None = None
    #: where the tool was given, for error messages (e.g. ``tools[0].function.parameters``)
    param: str = "tools"


@dataclass
class OutputFormat:
    type: str = "text"  # text | json_object | json_schema
    schema: dict[str, Any] | None = None
    param: str = "response_format"


@dataclass
class GenerationRequest:
    turns: list[Turn]
    tools: list[ToolSpec] = field(default_factory=list)
    #: "auto" | "none" | "required" | a function name
    tool_choice: str = "auto"
    output: OutputFormat = field(default_factory=OutputFormat)
    parallel_tool_calls: bool = True
    max_tokens: int | None = None
    choice_index: int = 0


@dataclass
class Reply:
    text: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str = "stop"  # stop | tool_calls | length


class ChatModel(Protocol):
    id: str

    def generate(self, request: GenerationRequest) -> Reply: ...


_T = TypeVar("_T")


async def off_loop(model: object, work: Callable[[], _T], request: GenerationRequest | None = None) -> _T:
    """Run ``work`` (which calls ``model``) in a worker thread when it may be slow, so other requests keep
    being served: a slow model (``blocking = True``, e.g. a real language model), or a ``request`` whose
    output is generated from a JSON schema (structured output, tool arguments: bounded by
    ``schema_fake``, but up to a second or two of work). Inline otherwise."""
    if request is not None and _uses_schema(request):
        return await asyncio.to_thread(_with_budget, work)
    if getattr(model, "blocking", False):
        return await asyncio.to_thread(work)
    return work()


def _with_budget(work: Callable[[], _T]) -> _T:
    with shared_budget():  # one size and time budget for all of the request's generated values
        return work()


def _uses_schema(request: GenerationRequest) -> bool:
    return request.output.type == "json_schema" or (bool(request.tools) and request.tool_choice != "none")


# -- helpers shared by the models --------------------------------------------------------------


def last_user_text(turns: list[Turn]) -> str:
    for turn in reversed(turns):
        if turn.role == "user":
            return turn.content
    return ""


def tool_results_since_user(turns: list[Turn]) -> list[tuple[str, str]]:
    """(tool name, output) for every tool result after the last user turn."""
    names: dict[str, str] = {}
    results: list[tuple[str, str]] = []
    for turn in turns:
        if turn.role == "user":
            results = []
        for call in turn.tool_calls:
            names[call.id] = call.name
        if turn.role == "tool":
            results.append((names.get(turn.tool_call_id or "", "tool"), turn.content))
    return results


def call_tool(request: GenerationRequest, tool: ToolSpec) -> Reply:
    """A call of ``tool`` with arguments generated to satisfy its parameter schema."""
    schema = tool.parameters if tool.parameters is not None else {"type": "object", "properties": {}}
    try:
        args = fake_value(schema, text=last_user_text(request.turns))
    except SchemaError as exc:
        raise RequestError(
            400,
            f"Invalid schema for function '{tool.name}': {exc}.",
            param=tool.param,
            code="invalid_function_parameters",
        ) from None
    call = ToolCall(id=new_id("call_"), name=tool.name, arguments=orjson.dumps(args).decode())
    return Reply(tool_calls=[call], finish_reason="tool_calls")


def forced_tool(request: GenerationRequest) -> ToolSpec | None:
    """The tool the request forces (``required`` or a named function), if any."""
    if request.tool_choice in ("auto", "none") or not request.tools:
        return None
    if request.tool_choice == "required":
        return request.tools[0]
    return next((t for t in request.tools if t.name == request.tool_choice), request.tools[0])


def render(text: str, request: GenerationRequest) -> Reply:
    """Shape plain reply text into the requested output format and apply the token limit."""
    fmt = request.output
    if fmt.type == "json_object":
        text = orjson.dumps({"message": text}).decode()
    elif fmt.type == "json_schema":
        try:
            text = orjson.dumps(fake_value(fmt.schema or {}, text=text)).decode()
        except SchemaError as exc:
            raise RequestError(
                400,
                f"Invalid schema for response_format: {exc}.",
                param=fmt.param,
                code="invalid_json_schema",
            ) from None
    if request.max_tokens is not None:
        text, cut = truncate_tokens(text, request.max_tokens)
        if cut:
            return Reply(text=text, finish_reason="length")
    return Reply(text=text)
