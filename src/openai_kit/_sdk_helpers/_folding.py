"""What the streaming helpers (``chat.completions.stream``, ``responses.stream``) have in common: a raw
event stream folded into helper events, read to the end on demand, closed by a ``with`` block that also
makes the request."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from types import TracebackType
from typing import Any, Generic, TypeVar

__all__ = ["AsyncFoldingStream", "AsyncStreamManager", "FoldingStream", "StreamManager", "no_stream_param"]

_S = TypeVar("_S")


def no_stream_param(params: dict[str, Any]) -> dict[str, Any]:
    if "stream" in params:
        raise TypeError("stream() always streams; do not pass `stream`")
    return params


class FoldingStream:
    """Iterate for the events ``fold`` makes of each raw item; ``until_done()`` reads the rest."""

    def __init__(self, raw: Any, fold: Callable[[Any], Iterable[Any]]) -> None:
        self.raw = raw
        self._fold = fold
        self._events = self._iter()

    def _iter(self) -> Iterator[Any]:
        for item in self.raw:
            yield from self._fold(item)

    def __iter__(self) -> Iterator[Any]:
        return self._events

    def __next__(self) -> Any:
        return next(self._events)

    def until_done(self) -> Any:
        for _ in self._events:
            pass
        return self

    def close(self) -> None:
        self.raw.close()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncFoldingStream:
    """``async for`` the folded events; ``await until_done()``."""

    def __init__(self, raw: Any, fold: Callable[[Any], Iterable[Any]]) -> None:
        self.raw = raw
        self._fold = fold
        self._events = self._iter()

    async def _iter(self) -> AsyncIterator[Any]:
        async for item in self.raw:
            for event in self._fold(item):
                yield event

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._events

    async def __anext__(self) -> Any:
        return await self._events.__anext__()

    async def until_done(self) -> Any:
        async for _ in self._events:
            pass
        return self

    async def close(self) -> None:
        await self.raw.close()


class StreamManager(Generic[_S]):
    """``with manager as stream``: ``open()`` makes the request; leaving the block closes the stream."""

    def __init__(self, open: Callable[[], _S]) -> None:
        self._open = open
        self._stream: Any = None

    def __enter__(self) -> _S:
        self._stream = self._open()
        return self._stream  # type: ignore[no-any-return]

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._stream is not None:
            self._stream.close()


class AsyncStreamManager(Generic[_S]):
    """``async with manager as stream``."""

    def __init__(self, open: Callable[[], Awaitable[_S]]) -> None:
        self._open = open
        self._stream: Any = None

    async def __aenter__(self) -> _S:
        self._stream = await self._open()
        return self._stream  # type: ignore[no-any-return]

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._stream is not None:
            await self._stream.close()
