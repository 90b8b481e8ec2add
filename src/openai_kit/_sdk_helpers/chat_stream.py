"""``client.chat.completions.stream(...)``: a streamed chat completion with the pieces put back together.

As in the official SDK::

    with client.chat.completions.stream(model="gpt-4o-mini", messages=[...]) as stream:
        for event in stream:
            if event.type == "content.delta":
                print(event.delta, end="", flush=True)
    completion = stream.get_final_completion()   # a ChatCompletion, as create() would have returned

Events (``event.type``): ``chunk`` (every chunk, with the completion ``snapshot`` so far),
``content.delta`` / ``content.done``, ``refusal.delta`` / ``refusal.done``,
``tool_calls.function.arguments.delta`` / ``tool_calls.function.arguments.done``. With
``response_format=<pydantic model>`` the final message has ``parsed`` and ``content.done`` carries it
(``content.delta.parsed`` is the JSON received so far); for ``strict`` function tools the argument events
carry ``parsed_arguments`` (partial on ``.delta``, whole on ``.done``), ``None`` for other tools — as in the
official SDK.

One accumulator (:class:`ChatCompletionAccumulator`) serves the sync and async streams; they only differ
in how they pull chunks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pydantic
import pydantic_core

from .._errors import APIResponseValidationError
from .._models import validate_python
from ._folding import AsyncFoldingStream, AsyncStreamManager, FoldingStream, StreamManager, no_stream_param
from .parsing import _chat_params, _json_or_none, _parse_chat, _strict_tools

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Literal, Protocol

    from .._streaming import AsyncStream, Stream
    from .._types import NotGiven
    from ..resources.chat.completions import AsyncCompletions, Completions
    from ..types.chat import (
        ChatCompletion,
        ChatCompletionChunk,
        ChatCompletionRequestMessageParam,
        ModelIdsSharedParam,
    )

    # The hosts of the mixins: the generated ``create``, one protocol per overload used (a call that
    # forwards ``**params`` to an overloaded method would be typed Any); _hosts() at the end checks
    # them against the generated classes.
    _Messages = Sequence[ChatCompletionRequestMessageParam]
    _NoStream = Literal[False] | None | NotGiven

    class _CompletionsHost(Protocol):
        def create(
            self, *, messages: _Messages, model: ModelIdsSharedParam, stream: _NoStream = ...
        ) -> ChatCompletion: ...

    class _CompletionsStreamHost(Protocol):
        def create(
            self, *, messages: _Messages, model: ModelIdsSharedParam, stream: Literal[True]
        ) -> Stream[ChatCompletionChunk]: ...

    class _AsyncCompletionsHost(Protocol):
        async def create(
            self, *, messages: _Messages, model: ModelIdsSharedParam, stream: _NoStream = ...
        ) -> ChatCompletion: ...

    class _AsyncCompletionsStreamHost(Protocol):
        async def create(
            self, *, messages: _Messages, model: ModelIdsSharedParam, stream: Literal[True]
        ) -> AsyncStream[ChatCompletionChunk]: ...


__all__ = [
    "AsyncChatCompletionStream",
    "AsyncChatCompletionsMixin",
    "ChatCompletionAccumulator",
    "ChatCompletionStream",
    "ChatCompletionsMixin",
]


# -- events ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChunkEvent:
    chunk: ChatCompletionChunk
    snapshot: dict[str, Any]
    type: str = "chunk"


@dataclass(frozen=True)
class ContentDeltaEvent:
    delta: str
    snapshot: str
    choice_index: int = 0
    parsed: Any = None
    type: str = "content.delta"


@dataclass(frozen=True)
class ContentDoneEvent:
    content: str
    choice_index: int = 0
    parsed: Any = None
    type: str = "content.done"


@dataclass(frozen=True)
class RefusalDeltaEvent:
    delta: str
    snapshot: str
    choice_index: int = 0
    type: str = "refusal.delta"


@dataclass(frozen=True)
class RefusalDoneEvent:
    refusal: str
    choice_index: int = 0
    type: str = "refusal.done"


@dataclass(frozen=True)
class FunctionToolCallArgumentsDeltaEvent:
    name: str
    index: int
    arguments: str
    arguments_delta: str
    choice_index: int = 0
    parsed_arguments: Any = None
    type: str = "tool_calls.function.arguments.delta"


@dataclass(frozen=True)
class FunctionToolCallArgumentsDoneEvent:
    name: str
    index: int
    arguments: str
    choice_index: int = 0
    parsed_arguments: Any = None
    type: str = "tool_calls.function.arguments.done"


# -- accumulation ----------------------------------------------------------------------------------
@dataclass
class _Choice:
    index: int
    role: str = "assistant"
    content: str | None = None
    refusal: str | None = None
    tool_calls: dict[int, dict[str, Any]] = field(default_factory=dict)
    finish_reason: str | None = None
    logprobs: Any = None
    done: bool = False

    def as_dict(self) -> dict[str, Any]:
        message: dict[str, Any] = {"role": self.role, "content": self.content, "refusal": self.refusal}
        if self.tool_calls:
            message["tool_calls"] = [self.tool_calls[i] for i in sorted(self.tool_calls)]
        return {
            "index": self.index,
            "message": message,
            "finish_reason": self.finish_reason,
            "logprobs": self.logprobs,
        }


def _partial(text: str) -> Any:
    """The JSON received so far, its unfinished tail dropped (``None`` before the first value)."""
    if not text:
        return None
    try:
        return pydantic_core.from_json(text, allow_partial=True)
    except ValueError:
        return None


class ChatCompletionAccumulator:
    """Feeds on ``ChatCompletionChunk``s, returns the events each one causes, and builds the completion."""

    def __init__(
        self,
        response_format: type[pydantic.BaseModel] | None = None,
        strict_tools: frozenset[str] = frozenset(),
    ) -> None:
        self.response_format = response_format
        #: tools whose arguments are guaranteed JSON (``strict``): they get ``parsed_arguments``
        self.strict_tools = strict_tools
        self._head: dict[str, Any] = {}
        self._choices: dict[int, _Choice] = {}

    @property
    def snapshot(self) -> dict[str, Any]:
        """The completion so far, as the JSON ``create()`` would have returned (``finish_reason`` may be null)."""
        return {
            **self._head,
            "object": "chat.completion",
            "choices": [self._choices[i].as_dict() for i in sorted(self._choices)],
        }

    def feed(self, chunk: ChatCompletionChunk) -> list[Any]:
        head = self._head
        head["id"], head["created"], head["model"] = chunk.id, chunk.created, chunk.model
        for name in ("system_fingerprint", "service_tier", "usage"):
            value = getattr(chunk, name, None)
            if value is not None:
                head[name] = value.model_dump(mode="json") if isinstance(value, pydantic.BaseModel) else value
        events: list[Any] = []
        for c in chunk.choices:
            choice = self._choices.get(c.index)
            if choice is None:
                choice = self._choices[c.index] = _Choice(c.index)
            events.extend(self._feed_choice(choice, c))
        events.insert(0, ChunkEvent(chunk=chunk, snapshot=self.snapshot))
        return events

    def _feed_choice(self, choice: _Choice, c: Any) -> Iterator[Any]:
        delta = c.delta
        if getattr(delta, "role", None):
            choice.role = delta.role
        text = getattr(delta, "content", None)
        if text is not None:  # "" too, as the official SDK does (the first chunk often carries it)
            choice.content = (choice.content or "") + text
            parsed = _partial(choice.content) if self.response_format is not None else None
            yield ContentDeltaEvent(
                delta=text, snapshot=choice.content, choice_index=choice.index, parsed=parsed
            )
        refusal = getattr(delta, "refusal", None)
        if refusal is not None:
            choice.refusal = (choice.refusal or "") + refusal
            yield RefusalDeltaEvent(delta=refusal, snapshot=choice.refusal, choice_index=choice.index)
        for tc in getattr(delta, "tool_calls", None) or ():
            call = choice.tool_calls.get(tc.index)
            if call is None:
                call = choice.tool_calls[tc.index] = {
                    "id": "",
                    "type": "function",
                    "function": {"name": "", "arguments": ""},
                }
            if tc.id:
                call["id"] = tc.id
            fn = tc.function
            if fn is not None:
                if fn.name:
                    call["function"]["name"] = fn.name
                if fn.arguments is not None:  # "" too, as the official SDK does
                    call["function"]["arguments"] += fn.arguments
                    name, arguments = call["function"]["name"], call["function"]["arguments"]
                    yield FunctionToolCallArgumentsDeltaEvent(
                        name=name,
                        index=tc.index,
                        arguments=arguments,
                        arguments_delta=fn.arguments,
                        choice_index=choice.index,
                        parsed_arguments=_partial(arguments) if name in self.strict_tools else None,
                    )
        if c.logprobs is not None:
            choice.logprobs = _merge_logprobs(choice.logprobs, c.logprobs.model_dump(mode="json"))
        if c.finish_reason is not None and not choice.done:
            choice.finish_reason = c.finish_reason
            choice.done = True
            yield from self._done_events(choice)

    def _done_events(self, choice: _Choice) -> Iterator[Any]:
        if choice.content is not None:
            parsed = None
            if self.response_format is not None and choice.finish_reason != "length":
                parsed = _json_model(self.response_format, choice.content)
            yield ContentDoneEvent(content=choice.content, choice_index=choice.index, parsed=parsed)
        if choice.refusal is not None:
            yield RefusalDoneEvent(refusal=choice.refusal, choice_index=choice.index)
        for index in sorted(choice.tool_calls):
            fn = choice.tool_calls[index]["function"]
            yield FunctionToolCallArgumentsDoneEvent(
                name=fn["name"],
                index=index,
                arguments=fn["arguments"],
                choice_index=choice.index,
                parsed_arguments=_json_or_none(fn["arguments"]) if fn["name"] in self.strict_tools else None,
            )

    def final(self) -> ChatCompletion:
        """The completion as ``create()`` (or ``parse()`` with a model) would have returned it."""
        from ..types.chat import ChatCompletion

        unfinished = [i for i, c in self._choices.items() if not c.done]
        if not self._head or unfinished:
            raise APIResponseValidationError(
                "The stream ended before the completion was finished"
                + (f" (choices without finish_reason: {unfinished})" if unfinished else " (no chunk)")
            )
        try:
            completion: ChatCompletion = validate_python(ChatCompletion, self.snapshot)
        except pydantic.ValidationError as exc:
            raise APIResponseValidationError(f"The streamed completion is not valid: {exc}") from None
        return _parse_chat(completion, self.response_format, self.strict_tools)


def _merge_logprobs(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    if old is None:
        return new
    return {
        k: (old.get(k) or []) + (new.get(k) or []) if k in ("content", "refusal") else v
        for k, v in new.items()
    }


def _json_model(model: type[pydantic.BaseModel], content: str) -> Any:
    try:
        return model.model_validate_json(content)
    except pydantic.ValidationError:
        return None  # get_final_completion() raises the precise StructuredOutputError


# -- streams ---------------------------------------------------------------------------------------
class ChatCompletionStream(FoldingStream):
    """Iterate for events; ``get_final_completion()`` reads what is left and returns the completion."""

    def __init__(self, raw: Stream[ChatCompletionChunk], accumulator: ChatCompletionAccumulator) -> None:
        super().__init__(raw, accumulator.feed)
        self._acc = accumulator

    @property
    def current_completion_snapshot(self) -> dict[str, Any]:
        """The completion so far, as JSON."""
        return self._acc.snapshot

    def get_final_completion(self) -> ChatCompletion:
        self.until_done()
        return self._acc.final()


class AsyncChatCompletionStream(AsyncFoldingStream):
    """``async for`` events; ``await get_final_completion()``."""

    def __init__(self, raw: AsyncStream[ChatCompletionChunk], accumulator: ChatCompletionAccumulator) -> None:
        super().__init__(raw, accumulator.feed)
        self._acc = accumulator

    @property
    def current_completion_snapshot(self) -> dict[str, Any]:
        return self._acc.snapshot

    async def get_final_completion(self) -> ChatCompletion:
        await self.until_done()
        return self._acc.final()


# -- the mixins ------------------------------------------------------------------------------------
class ChatCompletionsMixin:
    """``client.chat.completions``: ``parse`` and ``stream``."""

    def parse(self: _CompletionsHost, **params: Any) -> ChatCompletion:
        model = _chat_params(params)
        return _parse_chat(self.create(**params), model, _strict_tools(params))

    def stream(self: _CompletionsStreamHost, **params: Any) -> StreamManager[ChatCompletionStream]:
        params = no_stream_param(params)
        model = _chat_params(params)
        return StreamManager(
            lambda: ChatCompletionStream(
                self.create(**params, stream=True), ChatCompletionAccumulator(model, _strict_tools(params))
            )
        )


class AsyncChatCompletionsMixin:
    """``client.chat.completions`` (async): ``parse`` and ``stream``."""

    async def parse(self: _AsyncCompletionsHost, **params: Any) -> ChatCompletion:
        model = _chat_params(params)
        return _parse_chat(await self.create(**params), model, _strict_tools(params))

    def stream(
        self: _AsyncCompletionsStreamHost, **params: Any
    ) -> AsyncStreamManager[AsyncChatCompletionStream]:
        params = no_stream_param(params)
        model = _chat_params(params)

        async def start() -> AsyncChatCompletionStream:
            raw = await self.create(**params, stream=True)
            return AsyncChatCompletionStream(raw, ChatCompletionAccumulator(model, _strict_tools(params)))

        return AsyncStreamManager(start)


if TYPE_CHECKING:

    def _hosts(
        completions: Completions, acompletions: AsyncCompletions
    ) -> tuple[_CompletionsHost, _CompletionsStreamHost, _AsyncCompletionsHost, _AsyncCompletionsStreamHost]:
        """Never called: mypy checks here that each generated class is the host its mixin expects."""
        return completions, completions, acompletions, acompletions
