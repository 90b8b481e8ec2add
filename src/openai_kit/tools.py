"""Function tools from plain Python functions.

Decorate a function with :func:`function_tool`: its type hints become a strict JSON schema, its
docstring the description (Google ``Args:`` sections and reST ``:param x:`` lines describe parameters).
A :class:`Toolset` holds several tools, produces their definitions for Chat Completions and for the
Responses API, and invokes a call from the model: arguments are validated against the signature, the
function runs (sync or async), and its result — or the exception it raised, as an error the model can
read — comes back as a string to send in the next turn. The calls of one turn run concurrently (bounded),
and ``before_call`` / ``after_call`` hooks see each of them.

The same toolset drives every surface that calls tools, each loop written once and driven sync or async:
:func:`run_tools` (Chat Completions), :func:`run_response_tools` (Responses API, streamed or not),
:func:`run_assistant_tools` (assistant runs, polled or streamed) and
:func:`run_realtime_tools` (realtime sessions), each with an ``a``-prefixed async twin.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Awaitable, Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, get_type_hints

import pydantic
import pydantic_core

from ._strict_schema import to_strict_schema

__all__ = [
    "FunctionTool",
    "MaxRoundsError",
    "ToolCall",
    "ToolCallError",
    "ToolRejected",
    "ToolResult",
    "Toolset",
    "arun_assistant_tools",
    "arun_realtime_tools",
    "arun_response_tools",
    "arun_tools",
    "function_tool",
    "run_assistant_tools",
    "run_realtime_tools",
    "run_response_tools",
    "run_tools",
]

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
    try:
        # pydantic models, dataclasses, lists of models, dates...: one JSON encoder for all of them
        return pydantic_core.to_json(value, fallback=str).decode()
    except (TypeError, ValueError, pydantic_core.PydanticSerializationError):
        return str(value)


def _error_text(exc: BaseException) -> str:
    return json.dumps({"error": f"{type(exc).__name__}: {exc}"})


@dataclass(frozen=True)
class ToolCall:
    """One call the model asked for: ``id`` is the call id to answer (``call_id`` in the Responses API)."""

    id: str
    name: str
    #: JSON text as the model sent it (a mapping when called directly)
    arguments: str | Mapping[str, Any]


@dataclass
class ToolResult:
    """What came of a call: ``output`` is the text sent back to the model; ``value`` what the function
    returned (``None`` on error); ``error`` the exception, if any (it is in ``output`` too)."""

    call: ToolCall
    output: str
    value: Any = None
    error: BaseException | None = None


class ToolRejected(ToolCallError):
    """A ``before_call`` hook refused the call."""


class MaxRoundsError(ToolCallError):
    """The model was still calling tools after ``max_rounds`` rounds of tool calls; ``last`` is its last
    reply (completion, response or run), ``transcript`` the conversation so far."""

    def __init__(self, max_rounds: int, last: Any, transcript: list[dict[str, Any]]) -> None:
        super().__init__(f"the model was still calling tools after {max_rounds} rounds")
        self.last = last
        self.transcript = transcript


#: ``before_call(call)``: ``None``/``True`` runs the call, ``False`` rejects it (the model reads an error),
#: a string is sent as the result instead of running the tool. May be async in the async loops.
BeforeCall = Callable[[ToolCall], "bool | str | Awaitable[bool | str | None] | None"]
#: ``after_call(result)``: observes every result (also errors). May be async in the async loops.
AfterCall = Callable[[ToolResult], "object | Awaitable[object]"]


class Toolset:
    """Several tools, looked up by name, with how to run them.

    ``max_concurrency`` bounds how many calls of one model turn run at once (parallel tool calls);
    ``before_call`` / ``after_call`` hooks observe and approve each call.
    """

    def __init__(
        self,
        tools: Iterable[FunctionTool[Any] | Callable[..., Any]],
        *,
        max_concurrency: int = 8,
        before_call: BeforeCall | None = None,
        after_call: AfterCall | None = None,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, not {max_concurrency!r}")
        self.tools: dict[str, FunctionTool[Any]] = {}
        for t in tools:
            tool = t if isinstance(t, FunctionTool) else FunctionTool(t)
            if tool.name in self.tools:
                raise ValueError(f"two tools are named {tool.name!r}")
            self.tools[tool.name] = tool
        self.max_concurrency = max_concurrency
        self.before_call = before_call
        self.after_call = after_call

    @property
    def chat_definitions(self) -> list[dict[str, Any]]:
        """Definitions for Chat Completions and assistant runs."""
        return [t.chat_definition for t in self.tools.values()]

    @property
    def responses_definitions(self) -> list[dict[str, Any]]:
        """Definitions for the Responses API and realtime sessions."""
        return [t.responses_definition for t in self.tools.values()]

    @property
    def realtime_definitions(self) -> list[dict[str, Any]]:
        """Definitions for a realtime ``session.update`` (no ``strict`` there)."""
        return [
            {k: v for k, v in t.responses_definition.items() if k != "strict"} for t in self.tools.values()
        ]

    def _get(self, name: str) -> FunctionTool[Any]:
        tool = self.tools.get(name)
        if tool is None:
            raise ToolCallError(f"unknown tool {name!r}; available: {', '.join(self.tools) or 'none'}")
        return tool

    # -- one call, sync ------------------------------------------------------------------------------
    def run_call(self, call: ToolCall) -> ToolResult:
        """Run one call (hooks included); never raises: an exception becomes an error result."""
        try:
            verdict = self.before_call(call) if self.before_call else None
            if inspect.isawaitable(verdict):
                raise TypeError("before_call returned an awaitable; use the async loop for async hooks")
            if verdict is False:
                raise ToolRejected(f"the call of {call.name!r} was not approved")
            if isinstance(verdict, str):
                result = ToolResult(call, verdict, verdict)
            else:
                tool = self._get(call.name)
                kwargs = tool.bind(call.arguments)
                # an async tool in a sync loop runs on its own event loop (in its worker thread)
                import asyncio

                value = asyncio.run(tool.fn(**kwargs)) if tool.is_async else tool.fn(**kwargs)  # type: ignore[arg-type]
                result = ToolResult(call, _result_text(value), value)
        except Exception as exc:
            result = ToolResult(call, _error_text(exc), None, exc)
        if self.after_call:
            self.after_call(result)
        return result

    def run_calls(self, calls: Sequence[ToolCall]) -> list[ToolResult]:
        """Run the calls of one turn, ``max_concurrency`` at a time in threads; results in call order."""
        if len(calls) <= 1 or self.max_concurrency == 1:
            return [self.run_call(c) for c in calls]
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(self.max_concurrency, len(calls))) as pool:
            return list(pool.map(self.run_call, calls))

    # -- one call, async -----------------------------------------------------------------------------
    async def arun_call(self, call: ToolCall) -> ToolResult:
        """The async :meth:`run_call`: async tools are awaited, sync ones run in a worker thread."""
        import asyncio

        try:
            verdict = self.before_call(call) if self.before_call else None
            if inspect.isawaitable(verdict):
                verdict = await verdict
            if verdict is False:
                raise ToolRejected(f"the call of {call.name!r} was not approved")
            if isinstance(verdict, str):
                result = ToolResult(call, verdict, verdict)
            else:
                tool = self._get(call.name)
                kwargs = tool.bind(call.arguments)
                if tool.is_async:
                    value = await tool.fn(**kwargs)
                else:
                    value = await asyncio.to_thread(tool.fn, **kwargs)
                result = ToolResult(call, _result_text(value), value)
        except Exception as exc:
            result = ToolResult(call, _error_text(exc), None, exc)
        if self.after_call:
            observed = self.after_call(result)
            if inspect.isawaitable(observed):
                await observed
        return result

    async def arun_calls(self, calls: Sequence[ToolCall]) -> list[ToolResult]:
        import asyncio

        gate = asyncio.Semaphore(self.max_concurrency)

        async def one(call: ToolCall) -> ToolResult:
            async with gate:
                return await self.arun_call(call)

        return list(await asyncio.gather(*(one(c) for c in calls)))

    # -- the string API (kept) -----------------------------------------------------------------------
    def call(self, name: str, arguments: str | Mapping[str, Any]) -> str:
        """Run one call by name (arguments as JSON text or a mapping); the result text (an error result if
        it failed)."""
        return self.run_call(ToolCall("", name, arguments)).output

    async def acall(self, name: str, arguments: str | Mapping[str, Any]) -> str:
        return (await self.arun_call(ToolCall("", name, arguments))).output


# -- the loops ---------------------------------------------------------------------------------------
#
# Each surface is one generator that holds every decision and yields actions; a sync and an async
# driver perform them (the pattern of ``_pipeline`` and ``polling``):
#   ("api", fn, kwargs)               -> fn(**kwargs), awaited by the async driver
#   ("stream", fn, kwargs, fold)      -> iterate fn(**kwargs) (a stream); fold(event) and on_event(event)
#   ("event", event)                  -> on_event(event) (events the loop received itself)
#   ("tools", [ToolCall, ...])        -> the Toolset runs them (concurrently); a list of ToolResult

_Loop = Generator[Any, Any, Any]


def _get(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, Mapping) else getattr(obj, key, None)


def _dump(item: Any) -> dict[str, Any]:
    if isinstance(item, pydantic.BaseModel):
        return item.model_dump(mode="json", exclude_none=True)
    return dict(item)


def _output_calls(response: Any, history: list[dict[str, Any]]) -> list[ToolCall]:
    """The function calls among a Responses-shaped ``output`` (Responses API and realtime), after adding
    every output item to ``history``."""
    output = list(_get(response, "output") or ())
    history.extend(_dump(item) for item in output)
    return [
        ToolCall(_get(i, "call_id"), _get(i, "name"), _get(i, "arguments"))
        for i in output
        if _get(i, "type") == "function_call"
    ]


def _call_output(result: ToolResult) -> dict[str, Any]:
    """A tool's result as the ``function_call_output`` item the Responses API and realtime take."""
    return {"type": "function_call_output", "call_id": result.call.id, "output": result.output}


def _drive(loop: _Loop, toolset: Toolset, on_event: Callable[[Any], object] | None) -> Any:
    value: Any = None
    while True:
        try:
            action = loop.send(value)
        except StopIteration as stop:
            return stop.value
        if action[0] == "api":
            value = action[1](**action[2])
        elif action[0] == "stream":
            with action[1](**action[2]) as stream:
                for event in stream:
                    action[3](event)
                    if on_event is not None:
                        on_event(event)
            value = None
        elif action[0] == "event":
            if on_event is not None:
                on_event(action[1])
            value = None
        else:
            value = toolset.run_calls(action[1])


async def _adrive(loop: _Loop, toolset: Toolset, on_event: Callable[[Any], object] | None) -> Any:
    value: Any = None
    while True:
        try:
            action = loop.send(value)
        except StopIteration as stop:
            return stop.value
        if action[0] == "api":
            value = await action[1](**action[2])
        elif action[0] == "stream":
            async with await action[1](**action[2]) as stream:
                async for event in stream:
                    action[3](event)
                    if on_event is not None:
                        observed = on_event(event)
                        if inspect.isawaitable(observed):
                            await observed
            value = None
        elif action[0] == "event":
            if on_event is not None:
                observed = on_event(action[1])
                if inspect.isawaitable(observed):
                    await observed
            value = None
        else:
            value = await toolset.arun_calls(action[1])


def _check_rounds(max_rounds: int) -> None:
    if max_rounds < 0:
        raise ValueError(f"max_rounds must be 0 or more, not {max_rounds!r}")


# -- chat completions --------------------------------------------------------------------------------
def _chat_loop(
    create: Callable[..., Any],
    tools: Toolset,
    history: list[dict[str, Any]],
    max_rounds: int,
    params: dict[str, Any],
) -> _Loop:
    defs = [*tools.chat_definitions, *params.pop("extra_tools", ())]
    rounds = 0
    while True:
        completion = yield ("api", create, {**params, "messages": history, "tools": defs})
        message = completion.choices[0].message
        calls = _get(message, "tool_calls") or ()
        if not calls:
            return completion
        if rounds == max_rounds:
            raise MaxRoundsError(max_rounds, completion, history)
        rounds += 1
        todo = [
            ToolCall(_get(c, "id"), _get(_get(c, "function"), "name"), _get(_get(c, "function"), "arguments"))
            for c in calls
        ]
        history.append(
            {
                "role": "assistant",
                "content": _get(message, "content") or "",
                "tool_calls": [
                    {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                    for c in todo
                ],
            }
        )
        results = yield ("tools", todo)
        history.extend({"role": "tool", "tool_call_id": r.call.id, "content": r.output} for r in results)


def _chat_setup(
    messages: Sequence[Mapping[str, Any]], transcript: list[dict[str, Any]] | None, max_rounds: int
) -> list[dict[str, Any]]:
    _check_rounds(max_rounds)
    history = transcript if transcript is not None else []
    history.extend(dict(m) for m in messages)
    return history


def run_tools(
    client: Any,
    *,
    messages: Sequence[Mapping[str, Any]],
    tools: Toolset,
    max_rounds: int = 10,
    transcript: list[dict[str, Any]] | None = None,
    **params: Any,
) -> Any:
    """Chat Completions: call ``client.chat.completions.create`` until the model answers without calling a
    tool, running the calls of each turn in between; returns the final completion.

    ``max_rounds`` bounds the rounds of tool calls (:class:`MaxRoundsError` after that);
    ``transcript=[]`` receives the whole conversation; ``extra_tools=[...]`` adds definitions the loop does
    not run (e.g. built-in tools). Other keyword arguments (``model``, ``temperature``...) go to ``create``.
    """
    history = _chat_setup(messages, transcript, max_rounds)
    return _drive(_chat_loop(client.chat.completions.create, tools, history, max_rounds, params), tools, None)


async def arun_tools(
    client: Any,
    *,
    messages: Sequence[Mapping[str, Any]],
    tools: Toolset,
    max_rounds: int = 10,
    transcript: list[dict[str, Any]] | None = None,
    **params: Any,
) -> Any:
    """The async :func:`run_tools`; tools may be sync (run in threads) or async."""
    history = _chat_setup(messages, transcript, max_rounds)
    loop = _chat_loop(client.chat.completions.create, tools, history, max_rounds, params)
    return await _adrive(loop, tools, None)


# -- Responses API -----------------------------------------------------------------------------------
_RESPONSE_DONE = ("response.completed", "response.failed", "response.incomplete")


def _responses_loop(
    create: Callable[..., Any],
    tools: Toolset,
    history: list[dict[str, Any]],
    new_items: list[dict[str, Any]],
    max_rounds: int,
    stream: bool,
    params: dict[str, Any],
) -> _Loop:
    # chain with previous_response_id (only the new items are sent) unless the responses are not stored
    chain = params.get("store") is not False
    defs = [*tools.responses_definitions, *params.pop("extra_tools", ())]
    rounds = 0
    pending = new_items
    while True:
        request = {**params, "tools": defs, "input": pending if chain else list(history)}
        if stream:
            box: dict[str, Any] = {}

            def fold(event: Any, box: dict[str, Any] = box) -> None:
                if _get(event, "type") in _RESPONSE_DONE:
                    box["response"] = _get(event, "response")

            yield ("stream", create, {**request, "stream": True}, fold)
            if "response" not in box:
                raise ToolCallError("the response stream ended without a response.completed event")
            response = box["response"]
        else:
            response = yield ("api", create, request)
        calls = _output_calls(response, history)
        if not calls:
            return response
        if rounds == max_rounds:
            raise MaxRoundsError(max_rounds, response, history)
        rounds += 1
        results = yield ("tools", calls)
        pending = [_call_output(r) for r in results]
        history.extend(pending)
        params["previous_response_id"] = _get(response, "id")
        if not chain:
            params.pop("previous_response_id")


def _responses_setup(
    input: str | Sequence[Mapping[str, Any]], transcript: list[dict[str, Any]] | None, max_rounds: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    _check_rounds(max_rounds)
    history = transcript if transcript is not None else []
    items = [{"role": "user", "content": input}] if isinstance(input, str) else [dict(i) for i in input]
    history.extend(items)
    return history, items


def run_response_tools(
    client: Any,
    *,
    input: str | Sequence[Mapping[str, Any]],
    tools: Toolset,
    max_rounds: int = 10,
    transcript: list[dict[str, Any]] | None = None,
    stream: bool = False,
    on_event: Callable[[Any], object] | None = None,
    **params: Any,
) -> Any:
    """Responses API: call ``client.responses.create`` until the response has no ``function_call`` item,
    running the calls in between; returns the final ``Response``.

    The outputs go back as ``function_call_output`` items with ``previous_response_id``, or — with
    ``store=False`` — with the whole conversation as ``input``. ``stream=True`` streams every request and
    hands each event to ``on_event``. ``transcript=[]`` receives every input and output item.
    """
    history, items = _responses_setup(input, transcript, max_rounds)
    loop = _responses_loop(client.responses.create, tools, history, items, max_rounds, stream, params)
    return _drive(loop, tools, on_event)


async def arun_response_tools(
    client: Any,
    *,
    input: str | Sequence[Mapping[str, Any]],
    tools: Toolset,
    max_rounds: int = 10,
    transcript: list[dict[str, Any]] | None = None,
    stream: bool = False,
    on_event: Callable[[Any], object] | None = None,
    **params: Any,
) -> Any:
    """The async :func:`run_response_tools` (``on_event`` may be async)."""
    history, items = _responses_setup(input, transcript, max_rounds)
    loop = _responses_loop(client.responses.create, tools, history, items, max_rounds, stream, params)
    return await _adrive(loop, tools, on_event)


# -- assistant runs ----------------------------------------------------------------------------------
_RUN_EVENTS = (
    "thread.run.requires_action",
    "thread.run.completed",
    "thread.run.failed",
    "thread.run.cancelled",
    "thread.run.expired",
    "thread.run.incomplete",
)


def _runs_loop(
    runs: Any,
    tools: Toolset,
    thread_id: str,
    history: list[dict[str, Any]],
    max_rounds: int,
    stream: bool,
    poll_interval_ms: int | None,
    params: dict[str, Any],
) -> _Loop:
    box: dict[str, Any] = {}

    def fold(event: Any) -> None:
        if _get(event, "event") in _RUN_EVENTS:
            box["run"] = _get(event, "data")

    def ended(what: str) -> Any:
        run = box.pop("run", None)
        if run is None:
            raise ToolCallError(f"the {what} stream ended before the run stopped or needed tool outputs")
        return run

    defs = [*tools.chat_definitions, *params.pop("extra_tools", ())]
    if stream:
        yield ("stream", runs.create, {**params, "thread_id": thread_id, "tools": defs, "stream": True}, fold)
        run = ended("run")
    else:
        run = yield (
            "api",
            runs.create_and_poll,
            {**params, "thread_id": thread_id, "tools": defs, "poll_interval_ms": poll_interval_ms},
        )
    rounds = 0
    while _get(run, "status") == "requires_action":
        action = _get(run, "required_action")
        calls = [
            ToolCall(_get(c, "id"), _get(_get(c, "function"), "name"), _get(_get(c, "function"), "arguments"))
            for c in _get(_get(action, "submit_tool_outputs"), "tool_calls") or ()
        ]
        if rounds == max_rounds:
            # leave no run waiting for outputs nobody will send
            yield ("api", runs.cancel, {"run_id": _get(run, "id"), "thread_id": thread_id})
            raise MaxRoundsError(max_rounds, run, history)
        rounds += 1
        history.extend(
            {"type": "function_call", "call_id": c.id, "name": c.name, "arguments": c.arguments}
            for c in calls
        )
        results = yield ("tools", calls)
        history.extend(_call_output(r) for r in results)
        outputs = [{"tool_call_id": r.call.id, "output": r.output} for r in results]
        ids = {"run_id": _get(run, "id"), "thread_id": thread_id, "tool_outputs": outputs}
        if stream:
            yield ("stream", runs.submit_tool_outputs, {**ids, "stream": True}, fold)
            run = ended("submit_tool_outputs")
        else:
            run = yield (
                "api",
                runs.submit_tool_outputs_and_poll,
                {**ids, "poll_interval_ms": poll_interval_ms},
            )
    return run


def run_assistant_tools(
    client: Any,
    *,
    thread_id: str,
    assistant_id: str,
    tools: Toolset,
    max_rounds: int = 10,
    transcript: list[dict[str, Any]] | None = None,
    stream: bool = False,
    on_event: Callable[[Any], object] | None = None,
    poll_interval_ms: int | None = None,
    **params: Any,
) -> Any:
    """Assistant runs: start a run on ``thread_id`` (with the toolset's definitions), and each time it
    ``requires_action``, run the calls and ``submit_tool_outputs``; returns the final ``Run``.

    Without ``stream`` the run is polled (``poll_interval_ms``); with ``stream=True`` the run and each
    submission are streamed and every event goes to ``on_event``. After ``max_rounds`` rounds the run is
    cancelled and :class:`MaxRoundsError` raised. ``transcript=[]`` receives ``function_call`` /
    ``function_call_output`` items.
    """
    _check_rounds(max_rounds)
    history = transcript if transcript is not None else []
    params["assistant_id"] = assistant_id
    runs = client.beta.threads.runs
    loop = _runs_loop(runs, tools, thread_id, history, max_rounds, stream, poll_interval_ms, params)
    from ._bound import bind

    return bind(_drive(loop, tools, on_event), client)  # a run from a stream knows its client too


async def arun_assistant_tools(
    client: Any,
    *,
    thread_id: str,
    assistant_id: str,
    tools: Toolset,
    max_rounds: int = 10,
    transcript: list[dict[str, Any]] | None = None,
    stream: bool = False,
    on_event: Callable[[Any], object] | None = None,
    poll_interval_ms: int | None = None,
    **params: Any,
) -> Any:
    """The async :func:`run_assistant_tools` (``on_event`` may be async)."""
    _check_rounds(max_rounds)
    history = transcript if transcript is not None else []
    params["assistant_id"] = assistant_id
    runs = client.beta.threads.runs
    loop = _runs_loop(runs, tools, thread_id, history, max_rounds, stream, poll_interval_ms, params)
    from ._bound import bind

    return bind(await _adrive(loop, tools, on_event), client)


# -- realtime sessions -------------------------------------------------------------------------------
def _realtime_loop(
    conn: Any,
    tools: Toolset,
    history: list[dict[str, Any]],
    max_rounds: int,
    input: str | None,
    update_session: bool,
    timeout: float | None,
) -> _Loop:
    from .realtime import RealtimeError

    def send(event: dict[str, Any]) -> tuple[str, Any, dict[str, Any]]:
        return ("api", conn.send, {"event": event})

    if update_session:
        yield send(
            {"type": "session.update", "session": {"type": "realtime", "tools": tools.realtime_definitions}}
        )
    if input is not None:
        item = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": input}]}
        history.append(item)
        yield send({"type": "conversation.item.create", "item": item})
        yield send({"type": "response.create"})
    rounds = 0
    while True:
        event = yield ("api", conn.recv, {"timeout": timeout})
        yield ("event", event)
        kind = _get(event, "type")
        if kind == "error":
            raise RealtimeError(event)
        if kind != "response.done":
            continue
        response = _get(event, "response")
        calls = _output_calls(response, history)
        if not calls:
            return response
        if rounds == max_rounds:
            raise MaxRoundsError(max_rounds, response, history)
        rounds += 1
        results = yield ("tools", calls)
        for r in results:
            item = _call_output(r)
            history.append(item)
            yield send({"type": "conversation.item.create", "item": item})
        yield send({"type": "response.create"})


def run_realtime_tools(
    conn: Any,
    *,
    tools: Toolset,
    input: str | None = None,
    max_rounds: int = 10,
    transcript: list[dict[str, Any]] | None = None,
    on_event: Callable[[Any], object] | None = None,
    update_session: bool = True,
    timeout: float | None = None,
) -> Any:
    """Realtime sessions: on an open connection (``client.realtime.connect(...)``), send the toolset's
    definitions (``session.update``, unless ``update_session=False``) and the user's ``input`` text (with
    ``response.create``), then, on every ``response.done`` with function calls, run them, send each
    output (``conversation.item.create``) and ask for a new response; returns the final response (of the
    last ``response.done``). Every received event goes to ``on_event``; ``timeout`` bounds each wait for an
    event; a server ``error`` event raises ``RealtimeError``. Without ``input`` the loop answers a response
    the caller (or server VAD) started.
    """
    _check_rounds(max_rounds)
    history = transcript if transcript is not None else []
    loop = _realtime_loop(conn, tools, history, max_rounds, input, update_session, timeout)
    return _drive(loop, tools, on_event)


async def arun_realtime_tools(
    conn: Any,
    *,
    tools: Toolset,
    input: str | None = None,
    max_rounds: int = 10,
    transcript: list[dict[str, Any]] | None = None,
    on_event: Callable[[Any], object] | None = None,
    update_session: bool = True,
    timeout: float | None = None,
) -> Any:
    """The async :func:`run_realtime_tools` (``on_event`` may be async)."""
    _check_rounds(max_rounds)
    history = transcript if transcript is not None else []
    loop = _realtime_loop(conn, tools, history, max_rounds, input, update_session, timeout)
    return await _adrive(loop, tools, on_event)
