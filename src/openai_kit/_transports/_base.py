"""Transport-neutral request and response objects."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .._multipart import MultipartBody
    from .._timeouts import Timeout

__all__ = ["AsyncTransport", "Request", "Response", "SyncTransport"]


class Request:
    """One HTTP request as it goes on the wire. Hooks may change ``headers`` before it is sent."""

    __slots__ = ("content", "headers", "method", "origin", "target")

    def __init__(
        self,
        method: str,
        origin: str,
        target: str,
        headers: dict[str, str],
        content: bytes | MultipartBody | None = None,
    ) -> None:
        self.method = method
        self.origin = origin  # scheme://host[:port]
        self.target = target  # /path?query
        self.headers = headers
        self.content = content

    @property
    def url(self) -> str:
        return self.origin + self.target

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.url}>"


class Response:
    """A response whose body is either already read (``content``) or still streaming.

    ``close()`` returns the connection to the pool when the body was read to the end, and discards it
    otherwise (so an abandoned stream never poisons the pool).
    """

    __slots__ = (
        "_aclose",
        "_aiter",
        "_close",
        "_iter",
        "content",
        "elapsed",
        "headers",
        "request",
        "status_code",
    )

    def __init__(
        self,
        status_code: int,
        headers: Mapping[str, str],
        request: Request,
        *,
        content: bytes | None = None,
        iter_chunks: Callable[[], Iterator[bytes]] | None = None,
        aiter_chunks: Callable[[], AsyncIterator[bytes]] | None = None,
        close: Callable[[bool], None] | None = None,
        aclose: Callable[[bool], Any] | None = None,
        elapsed: float = 0.0,
    ) -> None:
        self.status_code = status_code
        self.headers = headers  # lower-case keys
        self.request = request
        self.content = content
        self._iter = iter_chunks
        self._aiter = aiter_chunks
        self._close = close
        self._aclose = aclose
        self.elapsed = elapsed

    def __repr__(self) -> str:
        return f"<Response [{self.status_code}]>"

    @property
    def request_id(self) -> str | None:
        return self.headers.get("x-request-id")

    # -- sync body access
    def iter_bytes(self) -> Iterator[bytes]:
        if self.content is not None:
            if self.content:
                yield self.content
            return
        if self._iter is None:
            raise RuntimeError("this response body is read asynchronously; use aiter_bytes()")
        yield from self._iter()

    def read(self) -> bytes:
        if self.content is None:
            self.content = b"".join(self.iter_bytes())
            self.close(drain=True)
        return self.content

    @property
    def text(self) -> str:
        """The body read so far as text (httpx's ``response.text``; read the body first when streaming)."""
        return (self.content or b"").decode("utf-8", "replace")

    def json(self) -> Any:
        """The body, read so far, parsed as JSON (httpx's ``response.json()``)."""
        import orjson

        return orjson.loads(self.content or b"")

    def close(self, drain: bool = False) -> None:
        """Release the connection. ``drain=True`` (after a complete stream) first reads what is left of
        the body, briefly, so the connection can go back to the pool."""
        close, self._close = self._close, None
        if close is not None:
            close(drain)

    # -- async body access
    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        if self.content is not None:
            if self.content:
                yield self.content
            return
        if self._aiter is None:
            raise RuntimeError("this response body is read synchronously; use iter_bytes()")
        async for chunk in self._aiter():
            yield chunk

    async def aread(self) -> bytes:
        if self.content is None:
            self.content = b"".join([c async for c in self.aiter_bytes()])
            await self.aclose(drain=True)
        return self.content

    async def aclose(self, drain: bool = False) -> None:
        aclose, self._aclose = self._aclose, None
        if aclose is not None:
            await aclose(drain)


class SyncTransport(Protocol):
    def send(self, request: Request, *, stream: bool, timeout: Timeout) -> Response: ...

    def close(self) -> None: ...


class AsyncTransport(Protocol):
    async def send(self, request: Request, *, stream: bool, timeout: Timeout) -> Response: ...

    async def aclose(self) -> None: ...


def monotonic() -> float:
    return time.monotonic()
