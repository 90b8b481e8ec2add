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
    from ..types.chat import ChatCompletion
    from ._chat_stream import (
        AsyncChatCompletionStream,
        ChatCompletionAccumulator,
        ChatCompletionStream,
    )

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

    def parse(self, **params: Any) -> ChatCompletion:
        me: Any = self
        model = _chat_params(params)
        return _parse_chat(me.create(**params), model, _strict_tools(params))

    def stream(self, **params: Any) -> StreamManager[ChatCompletionStream]:
        me: Any = self
        params = no_stream_param(params)
        model = _chat_params(params)
        from ._chat_stream import ChatCompletionAccumulator, ChatCompletionStream

        return StreamManager(
            lambda: ChatCompletionStream(
                me.create(**params, stream=True), ChatCompletionAccumulator(model, _strict_tools(params))
            )
        )


class AsyncChatCompletionsMixin:
    """``client.chat.completions`` (async): ``parse`` and ``stream``."""

    async def parse(self, **params: Any) -> ChatCompletion:
        me: Any = self
        model = _chat_params(params)
        return _parse_chat(await me.create(**params), model, _strict_tools(params))

    def stream(self, **params: Any) -> AsyncStreamManager[AsyncChatCompletionStream]:
        me: Any = self
        params = no_stream_param(params)
        model = _chat_params(params)

        from ._chat_stream import AsyncChatCompletionStream, ChatCompletionAccumulator

        async def start() -> AsyncChatCompletionStream:
            raw = await me.create(**params, stream=True)
            return AsyncChatCompletionStream(raw, ChatCompletionAccumulator(model, _strict_tools(params)))

        return AsyncStreamManager(start)
