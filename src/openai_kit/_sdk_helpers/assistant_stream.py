"""Assistants run streams with an event handler, as in the official SDK::

    class Printer(AssistantEventHandler):
        def on_text_delta(self, delta, snapshot):
            print(delta.value, end="", flush=True)

    with client.beta.threads.runs.stream(thread_id=t.id, assistant_id=a.id, event_handler=Printer()) as stream:
        stream.until_done()
    run = stream.get_final_run()

Also ``threads.create_and_run_stream(...)`` and ``runs.submit_tool_outputs_stream(...)``. Without a handler,
the stream is a plain :class:`AssistantEventHandler` (iterate it for the events, or use ``text_deltas``).

Hooks are called in the official SDK's order: ``on_event`` first for every event, then the specific ones
(``on_run_step_created``, ``on_tool_call_created`` / ``_delta`` / ``_done``, ``on_run_step_delta`` /
``_done``, ``on_message_created``, ``on_text_created`` / ``_delta`` / ``_done``, ``on_message_delta`` /
``_done``), ``on_end`` when the stream ends. Snapshots (``snapshot`` arguments, ``current_*``) accumulate
the deltas; message and tool-call snapshots are the generated models.

The async client has the same with :class:`AsyncAssistantEventHandler` (hooks may be ``async def``) and
``async with``. One state machine (:class:`_RunState`) updates the snapshots and lists the hook calls of
each event; the two handlers only differ in how they read events and call hooks.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from .._models import validate_python
from ._folding import AsyncStreamManager, StreamManager, no_stream_param

if TYPE_CHECKING:
    from typing import Literal, Protocol

    from .._streaming import AsyncStream, Stream
    from ..resources.beta.threads import AsyncRuns, AsyncThreads, Runs, Threads
    from ..types.beta.threads import (
        AssistantStreamEvent,
        Message2,
        Run,
        RunStep,
        SubmitToolOutputsRunRequestToolOutputParam,
    )

    # The hosts of the stream mixins: the streaming calls they make on the generated class they join
    # (checked against the generated classes by _hosts() at the end).
    _ToolOutputs = Sequence[SubmitToolOutputsRunRequestToolOutputParam]

    class _RunsHost(Protocol):
        def create(
            self, thread_id: str, *, assistant_id: str, stream: Literal[True]
        ) -> Stream[AssistantStreamEvent]: ...
        def submit_tool_outputs(
            self, run_id: str, *, thread_id: str, tool_outputs: _ToolOutputs, stream: Literal[True]
        ) -> Stream[AssistantStreamEvent]: ...
        def stream(
            self, *, thread_id: str, event_handler: AssistantEventHandler | None = None, **params: Any
        ) -> StreamManager[Any]: ...

    class _AsyncRunsHost(Protocol):
        async def create(
            self, thread_id: str, *, assistant_id: str, stream: Literal[True]
        ) -> AsyncStream[AssistantStreamEvent]: ...
        async def submit_tool_outputs(
            self, run_id: str, *, thread_id: str, tool_outputs: _ToolOutputs, stream: Literal[True]
        ) -> AsyncStream[AssistantStreamEvent]: ...
        def stream(
            self, *, thread_id: str, event_handler: AsyncAssistantEventHandler | None = None, **params: Any
        ) -> AsyncStreamManager[Any]: ...

    class _ThreadsHost(Protocol):
        def create_and_run(
            self, *, assistant_id: str, stream: Literal[True]
        ) -> Stream[AssistantStreamEvent]: ...

    class _AsyncThreadsHost(Protocol):
        async def create_and_run(
            self, *, assistant_id: str, stream: Literal[True]
        ) -> AsyncStream[AssistantStreamEvent]: ...


__all__ = [
    "AssistantEventHandler",
    "AsyncAssistantEventHandler",
    "AsyncRunsStreamMixin",
    "AsyncThreadsStreamMixin",
    "RunsStreamMixin",
    "ThreadsStreamMixin",
]


def _validate(model: Any, field: str, data: object) -> Any:
    """``data`` as the type of ``model.field`` (leniently, as response bodies are parsed)."""
    return validate_python(model.model_fields[field].annotation, data)


class _RunState:
    """The snapshots of one Assistants stream, and the hook calls each event causes (in order). Shared by
    the sync and async handlers, which only differ in how they read events and call hooks."""

    def __init__(self) -> None:
        self.current_event: Any = None
        self.current_run: Run | None = None
        self.current_message_snapshot: Message2 | None = None
        self.current_run_step_snapshot: RunStep | None = None
        self._messages: dict[str, Message2] = {}
        self._steps: dict[str, RunStep] = {}
        self._tool_calls: dict[str, dict[int, dict[str, Any]]] = {}  # step id -> index -> tool call JSON
        self._open_tool_call: Any = None
        self._open_text: tuple[str, int] | None = None  # (message id, content index)
        self._pending: list[tuple[str, tuple[Any, ...]]] = []

    def _emit(self, hook: str, *args: Any) -> None:
        self._pending.append((hook, args))

    def _calls(self, event: Any) -> list[tuple[Callable[..., Any], tuple[Any, ...]]]:
        """Update the snapshots for ``event``; the hooks to call, in order."""
        self._dispatch(event)
        pending, self._pending = self._pending, []
        return [(getattr(self, hook), args) for hook, args in pending]

    def _final_run(self) -> Run:
        if self.current_run is None:
            raise RuntimeError("the stream carried no run")
        return self.current_run

    @staticmethod
    def _text_of(event: Any) -> Iterator[str]:
        if event.event == "thread.message.delta":
            for part in event.data.delta.content or ():
                if part.type == "text" and part.text is not None and part.text.value:
                    yield part.text.value

    # -- dispatch ------------------------------------------------------------------------------
    def _dispatch(self, event: Any) -> None:
        self.current_event = event
        self._emit("on_event", event)
        name: str = event.event
        data = event.data
        if name.startswith("thread.run.step."):
            self._step_event(name, data)
        elif name.startswith("thread.run."):
            self.current_run = data
            if name == "thread.run.requires_action":
                self._close_tool_call()
        elif name.startswith("thread.message."):
            self._message_event(name, data)

    def _close_tool_call(self) -> None:
        if self._open_tool_call is not None:
            call, self._open_tool_call = self._open_tool_call, None
            self._emit("on_tool_call_done", call)

    def _step_event(self, name: str, data: Any) -> None:
        if name == "thread.run.step.created":
            self._steps[data.id] = self.current_run_step_snapshot = data
            self._emit("on_run_step_created", data)
        elif name == "thread.run.step.delta":
            step = self._steps.get(data.id)
            if step is None:
                return
            self.current_run_step_snapshot = step
            details = data.delta.step_details
            for delta in getattr(details, "tool_calls", None) or ():
                self._tool_call_delta(step, delta)
            self._emit("on_run_step_delta", data.delta, step)
        elif name in ("thread.run.step.completed", "thread.run.step.failed", "thread.run.step.cancelled",
                      "thread.run.step.expired"):  # fmt: skip
            self._close_tool_call()
            self._steps[data.id] = self.current_run_step_snapshot = data
            self._emit("on_run_step_done", data)
        elif name == "thread.run.step.in_progress":
            self._steps[data.id] = self.current_run_step_snapshot = data

    def _tool_call_delta(self, step: Any, delta: Any) -> None:
        calls = self._tool_calls.setdefault(step.id, {})
        part = delta.model_dump(mode="json", exclude_none=True)
        index = part.pop("index", 0)
        snapshot = calls.get(index)
        created = snapshot is None
        if snapshot is None:
            self._close_tool_call()  # a new call ends the previous one
            snapshot = calls[index] = _tool_call_start(part)
        else:
            _merge(snapshot, part)
        details = step.step_details
        details.tool_calls = _validate(type(details), "tool_calls", [calls[i] for i in sorted(calls)])
        call = details.tool_calls[sorted(calls).index(index)]
        self._open_tool_call = call
        if created:
            self._emit("on_tool_call_created", call)
        else:
            self._emit("on_tool_call_delta", delta, call)

    def _message_event(self, name: str, data: Any) -> None:
        if name == "thread.message.created":
            self._messages[data.id] = self.current_message_snapshot = data
            self._emit("on_message_created", data)
        elif name == "thread.message.delta":
            message = self._messages.get(data.id)
            if message is None:
                return
            self.current_message_snapshot = message
            for part in data.delta.content or ():
                self._content_delta(message, part)
            self._emit("on_message_delta", data.delta, message)
        elif name in ("thread.message.completed", "thread.message.incomplete"):
            self._messages[data.id] = self.current_message_snapshot = data
            if self._open_text is not None and self._open_text[0] == data.id:
                index = self._open_text[1]
                self._open_text = None
                if index < len(data.content) and data.content[index].type == "text":
                    self._emit("on_text_done", data.content[index].text)
            for part in data.content:
                if part.type == "image_file":
                    self._emit("on_image_file_done", part.image_file)
            self._emit("on_message_done", data)
        elif name == "thread.message.in_progress":
            self._messages[data.id] = self.current_message_snapshot = data

    def _content_delta(self, message: Any, delta: Any) -> None:
        index = delta.index
        piece = delta.model_dump(mode="json", exclude_none=True)
        piece.pop("index", None)
        if index >= len(message.content):
            if piece.get("type") == "text":
                piece.setdefault("text", {}).setdefault("annotations", [])
                piece["text"].setdefault("value", "")
            message.content = [*message.content, *_validate(type(message), "content", [piece])]
            created = True
        else:
            part = message.content[index]
            if piece.get("type") == "text" and part.type == "text":
                text = piece.get("text", {})
                part.text.value += text.get("value", "")
                if text.get("annotations"):
                    part.text.annotations = [
                        *part.text.annotations,
                        *_validate(type(part.text), "annotations", text["annotations"]),
                    ]
            created = False
        part = message.content[index]
        if part.type != "text":
            return
        if created:
            if self._open_text is not None and self._open_text != (message.id, index):
                previous_message, previous_index = self._open_text
                from ..types.beta.threads import MessageContentTextObject

                prev = self._messages[previous_message].content[previous_index]
                if isinstance(prev, MessageContentTextObject):  # always: only a text part is opened
                    self._emit("on_text_done", prev.text)
            self._open_text = (message.id, index)
            self._emit("on_text_created", part.text)
        if delta.text is not None:
            self._emit("on_text_delta", delta.text, part.text)


def _tool_call_start(part: dict[str, Any]) -> dict[str, Any]:
    """The first fragment of a tool call, with the fields a finished call always has."""
    kind = part.get("type")
    if kind == "function":
        fn = part.setdefault("function", {})
        fn.setdefault("name", "")
        fn.setdefault("arguments", "")
        fn.setdefault("output", None)
    elif kind == "code_interpreter":
        ci = part.setdefault("code_interpreter", {})
        ci.setdefault("input", "")
        ci.setdefault("outputs", [])
    elif kind == "file_search":
        part.setdefault("file_search", {})
    part.setdefault("id", "")
    return part


def _merge(into: dict[str, Any], delta: dict[str, Any]) -> None:
    """Fold a streamed fragment into its snapshot: strings concatenate, objects merge, lists extend."""
    for key, value in delta.items():
        old = into.get(key)
        if isinstance(old, str) and isinstance(value, str) and key not in ("id", "type", "name"):
            into[key] = old + value
        elif isinstance(old, dict) and isinstance(value, dict):
            _merge(old, value)
        elif isinstance(old, list) and isinstance(value, list):
            into[key] = old + value
        elif key not in into or value is not None:
            into[key] = value


class AssistantEventHandler(_RunState):
    """Override the ``on_*`` hooks you need; every hook does nothing by default. It is also the stream:
    iterate it for the events, or call ``until_done()`` / ``get_final_run()``."""

    def __init__(self) -> None:
        super().__init__()
        self._raw: Stream[Any] | None = None
        self._events: Iterator[Any] | None = None

    def on_event(self, event: Any) -> None: ...
    def on_run_step_created(self, run_step: RunStep) -> None: ...
    def on_run_step_delta(self, delta: Any, snapshot: RunStep) -> None: ...
    def on_run_step_done(self, run_step: RunStep) -> None: ...
    def on_tool_call_created(self, tool_call: Any) -> None: ...
    def on_tool_call_delta(self, delta: Any, snapshot: Any) -> None: ...
    def on_tool_call_done(self, tool_call: Any) -> None: ...
    def on_message_created(self, message: Message2) -> None: ...
    def on_message_delta(self, delta: Any, snapshot: Message2) -> None: ...
    def on_message_done(self, message: Message2) -> None: ...
    def on_text_created(self, text: Any) -> None: ...
    def on_text_delta(self, delta: Any, snapshot: Any) -> None: ...
    def on_text_done(self, text: Any) -> None: ...
    def on_image_file_done(self, image_file: Any) -> None: ...
    def on_end(self) -> None: ...

    def _attach(self, raw: Stream[Any]) -> None:
        if self._raw is not None:
            raise RuntimeError("an AssistantEventHandler serves one stream; create a new one per stream")
        self._raw = raw
        self._events = self._iter()

    def _iter(self) -> Iterator[Any]:
        assert self._raw is not None
        for event in self._raw:
            for hook, args in self._calls(event):
                hook(*args)
            yield event
        self.on_end()

    def __iter__(self) -> Iterator[Any]:
        if self._events is None:
            raise RuntimeError("use the handler inside `with client.beta.threads.runs.stream(...)`")
        return self._events

    def __next__(self) -> Any:
        return next(iter(self))

    def until_done(self) -> None:
        for _ in self:
            pass

    @property
    def text_deltas(self) -> Iterator[str]:
        """The text of every text delta, as it arrives."""
        for event in self:
            yield from self._text_of(event)

    def get_final_run(self) -> Run:
        self.until_done()
        return self._final_run()

    def get_final_messages(self) -> list[Message2]:
        self.until_done()
        return list(self._messages.values())

    def get_final_run_steps(self) -> list[RunStep]:
        self.until_done()
        return list(self._steps.values())

    def close(self) -> None:
        if self._raw is not None:
            self._raw.close()


class AsyncAssistantEventHandler(_RunState):
    """The async handler: hooks may be ``async def`` (or plain functions); ``async for`` the events,
    ``await until_done()`` / ``await get_final_run()``."""

    def __init__(self) -> None:
        super().__init__()
        self._raw: AsyncStream[Any] | None = None
        self._events: AsyncIterator[Any] | None = None

    async def on_event(self, event: Any) -> None: ...
    async def on_run_step_created(self, run_step: RunStep) -> None: ...
    async def on_run_step_delta(self, delta: Any, snapshot: RunStep) -> None: ...
    async def on_run_step_done(self, run_step: RunStep) -> None: ...
    async def on_tool_call_created(self, tool_call: Any) -> None: ...
    async def on_tool_call_delta(self, delta: Any, snapshot: Any) -> None: ...
    async def on_tool_call_done(self, tool_call: Any) -> None: ...
    async def on_message_created(self, message: Message2) -> None: ...
    async def on_message_delta(self, delta: Any, snapshot: Message2) -> None: ...
    async def on_message_done(self, message: Message2) -> None: ...
    async def on_text_created(self, text: Any) -> None: ...
    async def on_text_delta(self, delta: Any, snapshot: Any) -> None: ...
    async def on_text_done(self, text: Any) -> None: ...
    async def on_image_file_done(self, image_file: Any) -> None: ...
    async def on_end(self) -> None: ...

    def _attach(self, raw: AsyncStream[Any]) -> None:
        if self._raw is not None:
            raise RuntimeError("an AsyncAssistantEventHandler serves one stream; create a new one per stream")
        self._raw = raw
        self._events = self._iter()

    async def _iter(self) -> AsyncIterator[Any]:
        assert self._raw is not None
        async for event in self._raw:
            for hook, args in self._calls(event):
                result = hook(*args)
                if inspect.isawaitable(result):
                    await result
            yield event
        result = self.on_end()
        if inspect.isawaitable(result):
            await result

    def __aiter__(self) -> AsyncIterator[Any]:
        if self._events is None:
            raise RuntimeError("use the handler inside `async with client.beta.threads.runs.stream(...)`")
        return self._events

    async def __anext__(self) -> Any:
        return await self.__aiter__().__anext__()

    async def until_done(self) -> None:
        async for _ in self:
            pass

    @property
    async def text_deltas(self) -> AsyncIterator[str]:
        """The text of every text delta, as it arrives."""
        async for event in self:
            for text in self._text_of(event):
                yield text

    async def get_final_run(self) -> Run:
        await self.until_done()
        return self._final_run()

    async def get_final_messages(self) -> list[Message2]:
        await self.until_done()
        return list(self._messages.values())

    async def get_final_run_steps(self) -> list[RunStep]:
        await self.until_done()
        return list(self._steps.values())

    async def close(self) -> None:
        if self._raw is not None:
            await self._raw.close()


def _sync(
    start: Callable[[], Stream[AssistantStreamEvent]], handler: AssistantEventHandler | None
) -> StreamManager[AssistantEventHandler]:
    """The ``with`` block that makes the request and hands back the handler, which is the stream."""
    h = handler or AssistantEventHandler()

    def open() -> AssistantEventHandler:
        h._attach(start())
        return h

    return StreamManager(open)


def _async(
    start: Callable[[], Awaitable[AsyncStream[AssistantStreamEvent]]],
    handler: AsyncAssistantEventHandler | None,
) -> AsyncStreamManager[AsyncAssistantEventHandler]:
    h = handler or AsyncAssistantEventHandler()

    async def open() -> AsyncAssistantEventHandler:
        h._attach(await start())
        return h

    return AsyncStreamManager(open)


class RunsStreamMixin:
    """``client.beta.threads.runs``: ``stream`` and ``submit_tool_outputs_stream``."""

    def stream(
        self: _RunsHost, *, thread_id: str, event_handler: AssistantEventHandler | None = None, **params: Any
    ) -> StreamManager[Any]:
        no_stream_param(params)
        return _sync(lambda: self.create(thread_id, stream=True, **params), event_handler)

    def create_and_stream(
        self: _RunsHost, *, thread_id: str, event_handler: AssistantEventHandler | None = None, **params: Any
    ) -> StreamManager[Any]:
        """The official SDK's older name of :meth:`stream`."""
        return self.stream(thread_id=thread_id, event_handler=event_handler, **params)

    def submit_tool_outputs_stream(
        self: _RunsHost,
        *,
        tool_outputs: Any,
        run_id: str,
        thread_id: str,
        event_handler: AssistantEventHandler | None = None,
        **options: Any,
    ) -> StreamManager[Any]:
        no_stream_param(options)
        return _sync(
            lambda: self.submit_tool_outputs(
                run_id, thread_id=thread_id, tool_outputs=list(tool_outputs), stream=True, **options
            ),
            event_handler,
        )


class ThreadsStreamMixin:
    """``client.beta.threads.create_and_run_stream``."""

    def create_and_run_stream(
        self: _ThreadsHost, *, event_handler: AssistantEventHandler | None = None, **params: Any
    ) -> StreamManager[Any]:
        no_stream_param(params)
        return _sync(lambda: self.create_and_run(stream=True, **params), event_handler)


class AsyncRunsStreamMixin:
    """``client.beta.threads.runs`` (async): ``stream`` and ``submit_tool_outputs_stream``."""

    def stream(
        self: _AsyncRunsHost,
        *,
        thread_id: str,
        event_handler: AsyncAssistantEventHandler | None = None,
        **params: Any,
    ) -> AsyncStreamManager[Any]:
        no_stream_param(params)
        return _async(lambda: self.create(thread_id, stream=True, **params), event_handler)

    def create_and_stream(
        self: _AsyncRunsHost,
        *,
        thread_id: str,
        event_handler: AsyncAssistantEventHandler | None = None,
        **params: Any,
    ) -> AsyncStreamManager[Any]:
        """The official SDK's older name of :meth:`stream`."""
        return self.stream(thread_id=thread_id, event_handler=event_handler, **params)

    def submit_tool_outputs_stream(
        self: _AsyncRunsHost,
        *,
        tool_outputs: Any,
        run_id: str,
        thread_id: str,
        event_handler: AsyncAssistantEventHandler | None = None,
        **options: Any,
    ) -> AsyncStreamManager[Any]:
        no_stream_param(options)
        return _async(
            lambda: self.submit_tool_outputs(
                run_id, thread_id=thread_id, tool_outputs=list(tool_outputs), stream=True, **options
            ),
            event_handler,
        )


class AsyncThreadsStreamMixin:
    """``client.beta.threads.create_and_run_stream`` (async)."""

    def create_and_run_stream(
        self: _AsyncThreadsHost, *, event_handler: AsyncAssistantEventHandler | None = None, **params: Any
    ) -> AsyncStreamManager[Any]:
        no_stream_param(params)
        return _async(lambda: self.create_and_run(stream=True, **params), event_handler)


if TYPE_CHECKING:

    def _hosts(
        runs: Runs, aruns: AsyncRuns, threads: Threads, athreads: AsyncThreads
    ) -> tuple[_RunsHost, _AsyncRunsHost, _ThreadsHost, _AsyncThreadsHost]:
        """Never called: mypy checks here that each generated class is the host its mixins expect."""
        return runs, aruns, threads, athreads
