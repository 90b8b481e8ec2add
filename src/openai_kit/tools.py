"""Function tools from plain Python functions.

Decorate a function with :func:`function_tool`: its type hints become a strict JSON schema, its
docstring the description (Google ``Args:`` sections and reST ``:param x:`` lines describe parameters).
A :class:`Toolset` holds several tools, produces their definitions for Chat Completions and for the
Responses API, and invokes a call from the model: arguments are validated against the signature, the
function runs (sync or async), and its result — or the exception it raised, as an error the model can
read — comes back as a string to send in the next turn. :func:`run_tools` / :func:`arun_tools` loop until
the model stops calling tools.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Awaitable, Callable, Generator, Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar, get_type_hints

import pydantic

from ._strict_schema import to_strict_schema

__all__ = ["FunctionTool", "ToolCallError", "Toolset", "arun_tools", "function_tool", "run_tools"]

_R = TypeVar("_R")


class ToolCallError(Exception):
    """A tool call could not be run (unknown tool, malformed or invalid arguments)."""


def _parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    lines = inspect.cleandoc(doc).splitlines() if doc else []
    summary: list[str] = []
    params: dict[str, str] = {}
    section = None
    current: str | None = None
    for line in lines:
        stripped = line.strip()
        if m := re.match(r":param\s+(?:[\w\[\], ]+\s+)?(\w+):\s*(.*)", stripped):
            params[m.group(1)] = m.group(2)
            current, section = m.group(1), "rest"
            continue
        if stripped.rstrip(":").lower() in ("args", "arguments", "parameters") and stripped.endswith(":"):
            section, current = "args", None
            continue
        if stripped.rstrip(":").lower() in ("returns", "raises", "yields", "examples", "example", "note"):
            section, current = "other", None
            continue
        if section == "args" and (m := re.match(r"(\w+)(?:\s*\([^)]*\))?:\s*(.*)", stripped)):
            params[m.group(1)] = m.group(2)
            current = m.group(1)
            continue
        if section in ("args", "rest") and current and stripped:
            params[current] = f"{params[current]} {stripped}".strip()
            continue
        if section is None and stripped:
            summary.append(stripped)
        elif section is None and summary:
            section = "body"
    return " ".join(summary), params


class FunctionTool(Generic[_R]):
    """A Python function the model can call."""

    def __init__(
        self,
        fn: Callable[..., _R] | Callable[..., Awaitable[_R]],
        *,
        name: str | None = None,
        description: str | None = None,
        strict: bool = True,
    ) -> None:
        self.fn = fn
        self.name = name or fn.__name__
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", self.name):
            raise ValueError(f"tool name {self.name!r} must be 1-64 letters, digits, '_' or '-'")
        summary, param_docs = _parse_docstring(fn.__doc__ or "")
        self.description = description if description is not None else summary
        self.is_async = inspect.iscoroutinefunction(fn)
        hints = get_type_hints(fn, include_extras=True)
        fields: dict[str, Any] = {}
        for pname, param in inspect.signature(fn).parameters.items():
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                raise TypeError(f"tool {self.name!r}: *args/**kwargs cannot be described to the model")
            if pname not in hints:
                raise TypeError(f"tool {self.name!r}: parameter {pname!r} needs a type hint")
            default = ... if param.default is param.empty else param.default
            fields[pname] = (hints[pname], pydantic.Field(default, description=param_docs.get(pname)))
        self._args_model: type[pydantic.BaseModel] = pydantic.create_model(
            f"{self.name}_args", __config__=pydantic.ConfigDict(extra="forbid"), **fields
        )
        schema = self._args_model.model_json_schema()
        self.strict = strict
        self.parameters: dict[str, Any] = to_strict_schema(schema) if strict else schema
        self.parameters.pop("title", None)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    @property
    def chat_definition(self) -> dict[str, Any]:
        """The definition for ``chat.completions.create(tools=[...])``."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
                "strict": self.strict,
            },
        }

    @property
    def responses_definition(self) -> dict[str, Any]:
        """The definition for ``responses.create(tools=[...])``."""
        return {
            "type": "function",
            "name": self.name,
            "description": self.description,
            "parameters": self.parameters,
            "strict": self.strict,
        }

    def bind(self, arguments: str | Mapping[str, Any]) -> dict[str, Any]:
        """Validate the model's arguments (a JSON string or a mapping) into keyword arguments."""
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments or "{}")
            except json.JSONDecodeError as exc:
                raise ToolCallError(f"arguments for {self.name!r} are not valid JSON: {exc.msg}") from None
        if not isinstance(arguments, Mapping):
            raise ToolCallError(f"arguments for {self.name!r} must be a JSON object")
        try:
            model = self._args_model.model_validate(dict(arguments))
        except pydantic.ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise ToolCallError(f"invalid arguments for {self.name!r}: {problems}") from None
        return {k: getattr(model, k) for k in type(model).model_fields}


def function_tool(
    fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    strict: bool = True,
) -> Any:
    """Decorator: ``@function_tool`` or ``@function_tool(name=..., strict=False)``."""
    if fn is None:
        return lambda f: FunctionTool(f, name=name, description=description, strict=strict)
    return FunctionTool(fn, name=name, description=description, strict=strict)


def _result_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump_json()
    try:
        return json.dumps(value, default=str)
    except (TypeError, ValueError):
        return str(value)


def _error_text(exc: BaseException) -> str:
    return json.dumps({"error": f"{type(exc).__name__}: {exc}"})


class Toolset:
    """Several tools, looked up by name."""

    def __init__(self, tools: Iterable[FunctionTool[Any] | Callable[..., Any]]) -> None:
        self.tools: dict[str, FunctionTool[Any]] = {}
        for t in tools:
            tool = t if isinstance(t, FunctionTool) else FunctionTool(t)
            if tool.name in self.tools:
                raise ValueError(f"two tools are named {tool.name!r}")
            self.tools[tool.name] = tool

    @property
    def chat_definitions(self) -> list[dict[str, Any]]:
        return [t.chat_definition for t in self.tools.values()]

    @property
    def responses_definitions(self) -> list[dict[str, Any]]:
        return [t.responses_definition for t in self.tools.values()]

    def _get(self, name: str) -> FunctionTool[Any]:
        tool = self.tools.get(name)
        if tool is None:
            raise ToolCallError(f"unknown tool {name!r}; available: {', '.join(self.tools) or 'none'}")
        return tool

    def call(self, name: str, arguments: str | Mapping[str, Any]) -> str:
        """Run one call; an exception becomes an error result the model can read."""
        try:
            tool = self._get(name)
            if tool.is_async:
                raise ToolCallError(f"tool {name!r} is async; use acall()")
            return _result_text(tool.fn(**tool.bind(arguments)))
        except Exception as exc:
            return _error_text(exc)

    async def acall(self, name: str, arguments: str | Mapping[str, Any]) -> str:
        try:
            tool = self._get(name)
            result = tool.fn(**tool.bind(arguments))
            if inspect.isawaitable(result):
                result = await result
            return _result_text(result)
        except Exception as exc:
            return _error_text(exc)


def _tool_calls(message: Any) -> Sequence[Any]:
    calls = (
        getattr(message, "tool_calls", None)
        if not isinstance(message, Mapping)
        else message.get("tool_calls")
    )
    return calls or ()


def _get(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, Mapping) else getattr(obj, key)


def _assistant_message(message: Any, calls: Sequence[Any]) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": _get(message, "content") or "",
        "tool_calls": [
            {
                "id": _get(c, "id"),
                "type": "function",
                "function": {
                    "name": _get(_get(c, "function"), "name"),
                    "arguments": _get(_get(c, "function"), "arguments"),
                },
            }
            for c in calls
        ],
    }


def _conversation(tools: Toolset, history: list[dict[str, Any]], max_rounds: int) -> Generator[Any, Any, Any]:
    """The tool loop, written once: yields ``("create",)`` and ``("call", name, arguments)`` actions."""
    for _ in range(max_rounds):
        completion = yield ("create",)
        message = completion.choices[0].message
        calls = _tool_calls(message)
        if not calls:
            return completion
        history.append(_assistant_message(message, calls))
        for call in calls:
            fn = _get(call, "function")
            content = yield ("call", _get(fn, "name"), _get(fn, "arguments"))
            history.append({"role": "tool", "tool_call_id": _get(call, "id"), "content": content})
    raise ToolCallError(f"the model was still calling tools after {max_rounds} rounds")


def run_tools(
    client: Any,
    *,
    model: str,
    messages: Sequence[Mapping[str, Any]],
    tools: Toolset,
    max_rounds: int = 10,
    transcript: list[dict[str, Any]] | None = None,
    **kwargs: Any,
) -> Any:
    """Call ``client.chat.completions.create`` until the model answers without calling a tool, running
    every tool call in between; returns the final completion. Pass ``transcript=[]`` to get the whole
    conversation (with tool calls and results) appended to it."""
    history = transcript if transcript is not None else []
    history.extend(dict(m) for m in messages)
    loop = _conversation(tools, history, max_rounds)
    value: Any = None
    while True:
        try:
            action = loop.send(value)
        except StopIteration as stop:
            return stop.value
        if action[0] == "create":
            value = client.chat.completions.create(
                model=model, messages=history, tools=tools.chat_definitions, **kwargs
            )
        else:
            value = tools.call(action[1], action[2])


async def arun_tools(
    client: Any,
    *,
    model: str,
    messages: Sequence[Mapping[str, Any]],
    tools: Toolset,
    max_rounds: int = 10,
    transcript: list[dict[str, Any]] | None = None,
    **kwargs: Any,
) -> Any:
    """The async :func:`run_tools`; tools may be sync or async."""
    history = transcript if transcript is not None else []
    history.extend(dict(m) for m in messages)
    loop = _conversation(tools, history, max_rounds)
    value: Any = None
    while True:
        try:
            action = loop.send(value)
        except StopIteration as stop:
            return stop.value
        if action[0] == "create":
            value = await client.chat.completions.create(
                model=model, messages=history, tools=tools.chat_definitions, **kwargs
            )
        else:
            value = await tools.acall(action[1], action[2])
