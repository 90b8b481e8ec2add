"""Raw access to a response: status, headers and body, with parsing on demand — the official SDK's API.

- ``client.x.with_raw_response.op(...)`` returns a :class:`LegacyAPIResponse` (the official SDK's class for
  raw responses): the body is already read, ``content`` / ``text`` are properties and ``parse()`` is a
  plain call on the async client too.
- ``client.x.with_streaming_response.op(...)`` returns an :class:`APIResponse` (async:
  :class:`AsyncAPIResponse`, entered with ``async with``) whose body is read only when you ask:
  ``read()``, ``text()``, ``json()``, ``iter_bytes()``, ``parse()``; leaving the ``with`` block closes it.

``parse()`` gives what the operation would have returned (a model, a stream, a page, a binary response).
"""

from __future__ import annotations

import datetime
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator, Mapping
from types import TracebackType
from typing import Any, Generic, TypeVar

import orjson

from ._errors import validation_error
from ._transports._base import Request, Response

__all__ = [
    "APIResponse",
    "AsyncAPIResponse",
    "AsyncResponseContextManager",
    "AsyncStreamedBinaryAPIResponse",
    "LegacyAPIResponse",
    "ResponseContextManager",
    "StreamedBinaryAPIResponse",
]

_R = TypeVar("_R")


def _decode(content: bytes) -> str:
    return content.decode("utf-8", "replace")


class _ResponseInfo:
    """What every raw response tells without touching the body."""

    def __init__(self, response: Response, finish: Callable[..., Any], *, retries_taken: int = 0) -> None:
        self.http_response = response
        self._finish = finish
        #: how many retries were made before this response (0 when the first attempt answered)
        self.retries_taken = retries_taken

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def headers(self) -> Mapping[str, str]:
        return self.http_response.headers

    @property
    def request_id(self) -> str | None:
        return self.http_response.request_id

    @property
    def http_request(self) -> Request:
        return self.http_response.request

    @property
    def url(self) -> str:
        return self.http_response.request.url

    @property
    def method(self) -> str:
        return self.http_response.request.method

    @property
    def http_version(self) -> str:
        return "HTTP/1.1"

    @property
    def elapsed(self) -> datetime.timedelta:
        """Time from sending the request to receiving the response headers."""
        return datetime.timedelta(seconds=self.http_response.elapsed)

    @property
    def is_closed(self) -> bool:
        """Whether the body is fully read or released (``False`` while unread data is pending)."""
        r = self.http_response
        return r._close is None and r._aclose is None

    def __repr__(self) -> str:
        r = self.http_response.request
        return f"<{type(self).__name__} [{self.status_code}] {r.method} {r.url}>"


def _parse_to(response: Response, to: Any) -> Any:
    from ._parsing import parse_response

    return parse_response(response, to)


def _json(content: bytes) -> Any:
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        raise validation_error(f"Response body is not valid JSON: {exc}", content) from None


class LegacyAPIResponse(_ResponseInfo):
    """The result of ``with_raw_response``: body already read; ``parse()`` gives the usual result."""

    def __init__(
        self, response: Response, finish: Callable[[Response], Any], *, retries_taken: int = 0
    ) -> None:
        super().__init__(response, finish, retries_taken=retries_taken)
        self._parsed: dict[Any, Any] = {}

    def parse(self, *, to: Any = None) -> Any:
        """What the operation returns normally, or the body parsed as ``to`` (a model class, ``dict``...)."""
        if to in self._parsed:
            return self._parsed[to]
        value = self._finish(self.http_response) if to is None else _parse_to(self.http_response, to)
        self._parsed[to] = value
        return value

    @property
    def content(self) -> bytes:
        return self.http_response.content or b""

    @property
    def text(self) -> str:
        return _decode(self.content)

    def json(self) -> Any:
        return _json(self.content)


class APIResponse(_ResponseInfo, Generic[_R]):
    """The result of ``with_streaming_response`` on the sync client (use it in a ``with`` block)."""

    def read(self) -> bytes:
        return self.http_response.read()

    def text(self) -> str:
        return _decode(self.read())

    def json(self) -> Any:
        return _json(self.read())

    def iter_bytes(self, chunk_size: int | None = None) -> Iterator[bytes]:
        try:
            yield from _rechunk(self.http_response.iter_bytes(), chunk_size)
        finally:
            self.http_response.close()

    def iter_text(self, chunk_size: int | None = None) -> Iterator[str]:
        import codecs

        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        for chunk in self.iter_bytes(chunk_size):
            text = decoder.decode(chunk)
            if text:
                yield text
        tail = decoder.decode(b"", final=True)
        if tail:
            yield tail

    def iter_lines(self) -> Iterator[str]:
        from ._binary import _lines

        return _lines(self.iter_text())

    def parse(self, *, to: Any = None) -> Any:
        """What the operation returns normally (a model, a stream, a page, a binary response...)."""
        if to is not None:
            self.read()
            return _parse_to(self.http_response, to)
        return self._finish(self.http_response)

    def close(self) -> None:
        self.http_response.close()

    def __enter__(self) -> APIResponse[_R]:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncAPIResponse(_ResponseInfo, Generic[_R]):
    """The result of ``with_streaming_response`` on the async client (use it in an ``async with`` block)."""

    async def read(self) -> bytes:
        return await self.http_response.aread()

    async def text(self) -> str:
        return _decode(await self.read())

    async def json(self) -> Any:
        return _json(await self.read())

    async def iter_bytes(self, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        try:
            cutter = _Rechunker(chunk_size)
            async for chunk in self.http_response.aiter_bytes():
                for piece in cutter.feed(chunk):
                    yield piece
            for piece in cutter.end():
                yield piece
        finally:
            await self.http_response.aclose()

    async def iter_text(self, chunk_size: int | None = None) -> AsyncIterator[str]:
        import codecs

        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        async for chunk in self.iter_bytes(chunk_size):
            text = decoder.decode(chunk)
            if text:
                yield text
        tail = decoder.decode(b"", final=True)
        if tail:
            yield tail

    async def iter_lines(self) -> AsyncIterator[str]:
        from ._binary import LineSplitter

        splitter = LineSplitter()
        async for chunk in self.iter_text():
            for line in splitter.feed(chunk):
                yield line
        for line in splitter.end():
            yield line

    async def parse(self, *, to: Any = None) -> Any:
        if to is not None:
            await self.read()
            return _parse_to(self.http_response, to)
        result = self._finish(self.http_response)
        if hasattr(result, "__await__"):
            result = await result
        return result

    async def close(self) -> None:
        await self.http_response.aclose()

    async def __aenter__(self) -> AsyncAPIResponse[_R]:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


class StreamedBinaryAPIResponse(APIResponse[bytes]):
    """``with_streaming_response`` of a binary operation (file content, speech...)."""

    def parse(self, *, to: Any = None) -> Any:
        """The whole body as bytes (or parsed as ``to``)."""
        return self.read() if to is None else super().parse(to=to)

    def stream_to_file(self, file: str | os.PathLike[str], *, chunk_size: int | None = None) -> None:
        with open(file, "wb") as f:
            for chunk in self.iter_bytes(chunk_size):
                f.write(chunk)


class AsyncStreamedBinaryAPIResponse(AsyncAPIResponse[bytes]):
    async def parse(self, *, to: Any = None) -> Any:
        return await self.read() if to is None else await super().parse(to=to)

    async def stream_to_file(self, file: str | os.PathLike[str], *, chunk_size: int | None = None) -> None:
        with open(file, "wb") as f:
            async for chunk in self.iter_bytes(chunk_size):
                f.write(chunk)


class _Rechunker:
    """Bytes as they arrive, re-cut into pieces of ``size`` (the last may be shorter); ``None`` keeps the
    chunks as received. Shared by the sync and async ``iter_bytes(chunk_size)``."""

    __slots__ = ("pending", "size")

    def __init__(self, size: int | None) -> None:
        self.size = size
        self.pending = b""

    def feed(self, chunk: bytes) -> list[bytes]:
        size = self.size
        if size is None:
            return [chunk]
        pending = self.pending + chunk
        pieces = []
        while len(pending) >= size:
            pieces.append(pending[:size])
            pending = pending[size:]
        self.pending = pending
        return pieces

    def end(self) -> list[bytes]:
        pending, self.pending = self.pending, b""
        return [pending] if pending else []


def _rechunk(chunks: Iterator[bytes], size: int | None) -> Iterator[bytes]:
    if size is None:
        yield from chunks
        return
    cutter = _Rechunker(size)
    for chunk in chunks:
        yield from cutter.feed(chunk)
    yield from cutter.end()


_A = TypeVar("_A", bound=AsyncAPIResponse[Any])


class ResponseContextManager(Generic[_R]):
    """``with client.x.with_streaming_response.op(...) as response``: sends on enter, closes on exit."""

    def __init__(self, request: Callable[[], _R]) -> None:
        self._request = request
        self._response: Any = None

    def __enter__(self) -> _R:
        self._response = self._request()
        return self._response  # type: ignore[no-any-return]

    def __exit__(self, *exc: object) -> None:
        if self._response is not None:
            self._response.close()


class AsyncResponseContextManager(Generic[_A]):
    """``async with client.x.with_streaming_response.op(...) as response`` (also awaitable, which returns
    the response unentered)."""

    def __init__(self, request: Awaitable[_A]) -> None:
        self._request = request
        self._response: _A | None = None

    def __await__(self) -> Generator[Any, None, _A]:
        return self._request.__await__()

    async def __aenter__(self) -> _A:
        self._response = await self._request
        return self._response

    async def __aexit__(self, *exc: object) -> None:
        if self._response is not None:
            await self._response.close()
