"""``client.chat.completions.parse(...)`` and ``.stream(...)``, mixed into the generated resources.

The stream itself (events, accumulator, sync and async streams) lives in ``_chat_stream`` and is imported
on first use: a process that only calls ``create`` does not build its classes (issue 17, cold start). Its
public names stay importable from here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._folding import AsyncStreamManager, StreamManager, no_stream_param
from .parsing import _chat_params, _parse_chat, _strict_tools

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
    from ._chat_stream import (
        AsyncChatCompletionStream,
        ChatCompletionAccumulator,
        ChatCompletionStream,
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


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import _chat_stream

        return getattr(_chat_stream, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class ChatCompletionsMixin:
    """``client.chat.completions``: ``parse`` and ``stream``."""

    def parse(self: _CompletionsHost, **params: Any) -> ChatCompletion:
        model = _chat_params(params)
        return _parse_chat(self.create(**params), model, _strict_tools(params))

    def stream(self: _CompletionsStreamHost, **params: Any) -> StreamManager[ChatCompletionStream]:
        params = no_stream_param(params)
        model = _chat_params(params)
        from ._chat_stream import ChatCompletionAccumulator, ChatCompletionStream

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

        from ._chat_stream import AsyncChatCompletionStream, ChatCompletionAccumulator

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
