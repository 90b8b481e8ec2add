"""Transport-neutral request and response objects."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .._multipart import MultipartBody
    from .._timeouts import Timeout

__all__ = ["AsyncTransport", "Request", "Response", "SyncTransport", "forks"]


class _Forks:
    """How many times this process is a forked child (transports drop inherited pools when it changes):
    counted by an at-fork hook, so a request need not ask the kernel for its pid."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0

    def forked(self) -> None:
        self.count += 1


forks = _Forks()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=forks.forked)


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

    def json(self) -> Any:
        """The body parsed as JSON (a request whose body is bytes: every JSON request)."""
        import orjson

        if not isinstance(self.content, bytes):
            raise TypeError("this request's body is not JSON bytes")
        return orjson.loads(self.content)

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.url}>"


class Response:
    """A response whose body is either already read (``content``) or still streaming.

    The connection of a streamed body goes back to the pool only when the body was read to the exact end
    of its framing (Content-Length reached, or the chunked terminator consumed) and the reader said it
    finished cleanly; every other ending discards the connection, so no later request can read bytes of
    this one. See the transport contract in :class:`SyncTransport`.
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
    def iter_raw(self) -> Iterator[bytes]:
        """The body's chunks as they arrive; the connection stays held until :meth:`close`."""
        if self.content is not None:
            if self.content:
                yield self.content
            return
        if self._iter is None:
            raise RuntimeError("this response body is read asynchronously; use aiter_bytes()")
        yield from self._iter()

    def iter_bytes(self) -> Iterator[bytes]:
        """The body's chunks; read to the end, the connection is released cleanly (an abandoned
        iteration leaves that to :meth:`close`, which then discards the connection)."""
        yield from self.iter_raw()
        self.close(drain=True)

    def read(self) -> bytes:
        if self.content is None:
            self.content = b"".join(self.iter_bytes())
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
        """Release the connection; idempotent. ``drain=True``: the reader finished cleanly, so read what
        is left (briefly: normally the chunked terminator) and reuse the connection if the body ends at
        the end of its framing. ``drain=False``: an unclean ending; the connection is discarded."""
        close, self._close = self._close, None
        if close is not None:
            close(drain)

    # -- async body access
    def aiter_raw(self) -> AsyncIterator[bytes]:
        """The body's chunks as they arrive (the transport's own iterator: no extra layer per chunk)."""
        if self.content is None and self._aiter is not None:
            return self._aiter()
        return self._aiter_read()

    async def _aiter_read(self) -> AsyncIterator[bytes]:
        if self.content is None:
            raise RuntimeError("this response body is read synchronously; use iter_bytes()")
        if self.content:
            yield self.content

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        async for chunk in self.aiter_raw():
            yield chunk
        await self.aclose(drain=True)

    async def aread(self) -> bytes:
        if self.content is None:
            self.content = b"".join([c async for c in self.aiter_bytes()])
        return self.content

    async def aclose(self, drain: bool = False) -> None:
        aclose, self._aclose = self._aclose, None
        if aclose is not None:
            await aclose(drain)


class SyncTransport(Protocol):
    """What a sync transport does; the urllib3, httpx and mock transports implement it.

    ``send(request, stream=, timeout=)`` performs one attempt, with no retries and no redirects, and
    returns a :class:`Response` as soon as the status line and headers arrived:

    - ``stream=False``: the body is read completely and passed as ``content``; the connection is back in
      the pool before ``send`` returns (when its framing allowed).
    - ``stream=True``: the body is passed as ``iter_chunks`` (a callable returning an iterator of bytes)
      and ``close`` (a callable taking ``drain: bool``). ``close(True)`` means the reader finished
      cleanly: read what is left for a bounded time and size, then return the connection to the pool
      only if the body ended at the exact end of its framing and nothing is left on it. ``close(False)``
      means any other ending (early exit, an exception, a partial read, a stream without ``[DONE]``): the
      connection must be discarded. ``iter_chunks`` raises :class:`~openai_kit.APIConnectionError` on a
      body cut short (fewer bytes than its Content-Length, a chunked body without terminator).
    - Network failures are raised as :class:`~openai_kit.APIConnectionError` (or
      :class:`~openai_kit.APITimeoutError`) with ``request_sent=False`` only when the request provably
      never left (connect failure or timeout, no free pooled connection); the retry rule depends on it.
    - ``timeout``: ``connect`` and ``read`` (``stream_idle`` for streams) bound each socket operation;
      ``pool`` bounds the wait for a pooled connection and ``write`` the sending of the body where the
      transport's library supports it (httpx and aiohttp; urllib3 applies ``read`` to writes).
    - ``close()`` closes the pool (only what the transport created).
    """

    def send(self, request: Request, *, stream: bool, timeout: Timeout) -> Response: ...

    def close(self) -> None: ...


class AsyncTransport(Protocol):
    """The async counterpart of :class:`SyncTransport` (``aiter_chunks`` / ``aclose`` on responses)."""

    async def send(self, request: Request, *, stream: bool, timeout: Timeout) -> Response: ...

    async def aclose(self) -> None: ...
