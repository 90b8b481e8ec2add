"""A small HTTP/1.1 client for the upstream: pooled keep-alive connections, httptools for parsing.

Why not aiohttp or httpx: measured on a 2-core machine against a local upstream (see
``benchmarks/proxy_bench.py``), one request costs about 40 us of CPU here, 160-250 us with
``aiohttp.ClientSession`` and several times that with ``httpx.AsyncClient``; for a proxy that is the
difference between adding a quarter and most of a millisecond per request. The client does only what the
proxy needs: one request at a time per connection, request bodies as bytes or streamed (with
``Content-Length`` or chunked), response bodies streamed with backpressure (reading from the upstream
pauses while the client is slower), TLS through the standard library, a connect timeout, and a read
timeout that bounds every silence of the upstream once the request is sent.

Faulty upstreams: response headers over ``max_header_size`` bytes, a response that cannot be parsed, and
any byte after a complete response (a second response to one request, or bytes on an idle connection)
are :class:`UpstreamProtocolError`; the connection is then closed, never reused. A connection goes back to
the pool only after a complete response that was read to its end and allows keep-alive. At most
``max_connections`` are in use at once; a request waits at most ``slot_wait`` seconds for one
(:class:`UpstreamBusy`).
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import deque
from collections.abc import AsyncIterator
from typing import Any, cast
from urllib.parse import urlsplit

import httptools

__all__ = [
    "UpstreamBusy",
    "UpstreamClient",
    "UpstreamConnectionError",
    "UpstreamError",
    "UpstreamProtocolError",
    "UpstreamResponse",
    "UpstreamTimeout",
]

# Response bytes buffered before reading from the upstream pauses. Reading resumes only when the reader
# has passed on what it took and asks for more (see UpstreamResponse.read_chunk), so one slow client holds
# at most this plus one socket read (up to 256 KiB with uvloop) plus what it is being sent.
_HIGH_WATER = 64 * 1024


class UpstreamError(Exception):
    """The exchange with the upstream failed; the message never carries secrets."""


class UpstreamConnectionError(UpstreamError):
    """Connecting failed, or the connection broke before the response was complete."""


class UpstreamTimeout(UpstreamError, TimeoutError):
    """The connect timeout or the read timeout expired."""


class UpstreamProtocolError(UpstreamConnectionError):
    """The upstream sent something that is not one well-framed HTTP/1.1 response."""


class UpstreamBusy(UpstreamError):
    """No upstream connection slot became free within the wait allowed."""


class _ExtraResponse(Exception):
    pass


def _expire(waiter: asyncio.Future[None], what: str) -> None:
    if not waiter.done():
        waiter.set_exception(UpstreamTimeout(what))


class _Connection(asyncio.Protocol):
    def __init__(self, max_header_size: int = 64 * 1024) -> None:
        self.max_header_size = max_header_size
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.closed = False
        self.idle_since = 0.0
        self._waiter: asyncio.Future[None] | None = None
        self._drain: asyncio.Future[None] | None = None
        self._write_paused = False
        self._read_paused = False
        self.reset(head=False)

    def reset(self, *, head: bool) -> None:
        self.head = head
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.headers_done = False
        self.complete = False
        self.keep_alive = False
        self.until_eof = False
        self.informational = False
        self.error: BaseException | None = None
        self.chunks: deque[bytes] = deque()
        self.buffered = 0
        self.received_any = False
        self.head_bytes = 0
        self.resume()  # a response read to its end may have left reading paused

    # -- asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass it

    def data_received(self, data: bytes) -> None:
        self.received_any = True
        if self.complete:  # bytes after the response: the connection is out of step, never reuse it
            self._fail(UpstreamProtocolError("bytes after the end of the upstream's response"))
            self.abort()
            return
        if not self.headers_done:
            room = self.max_header_size - self.head_bytes
            if len(data) > room:
                self._feed(data[:room])
                if not self.headers_done:
                    self._fail(UpstreamProtocolError("the upstream's response headers are too large"))
                    self.abort()
                elif not self.closed:
                    self.data_received(data[room:])
                return
            self.head_bytes += len(data)
        self._feed(data)

    def _feed(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self._fail(UpstreamProtocolError("invalid HTTP response from the upstream"))
            self.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.headers_done and self.until_eof and not self.complete:
            self.complete = True  # a body delimited by the end of the connection
            self._wake()
        elif not self.complete:
            self._fail(UpstreamConnectionError("the upstream closed the connection"))
        if self._drain is not None and not self._drain.done():
            self._drain.set_exception(UpstreamConnectionError("the upstream closed the connection"))

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        if self._drain is not None and not self._drain.done():
            self._drain.set_result(None)

    # -- httptools callbacks
    def on_message_begin(self) -> None:
        if self.complete:  # a second response to one request
            raise _ExtraResponse()

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if status < 200:  # 1xx (103 Early Hints, ...): not the response
            self.informational = True
            self.headers = []
            self.head_bytes = 0
            return
        self.status = status
        self.headers_done = True
        has_length = chunked = False
        for name, value in self.headers:
            lname = name.lower()
            if lname == b"content-length":
                has_length = True
            elif lname == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        self.until_eof = not has_length and not chunked and status not in (204, 304)
        if self.head:  # no body follows, whatever the headers say; the parser cannot know it
            self.complete = True
            self.keep_alive = False
        self._wake()

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)
        self.buffered += len(body)
        if self.buffered > _HIGH_WATER and not self._read_paused and self.transport is not None:
            self._read_paused = True
            self.transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        if self.informational:
            self.informational = False
            return
        if not self.complete:
            self.complete = True
            self.keep_alive = self.parser.should_keep_alive()
        self._wake()

    # -- helpers
    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _fail(self, exc: BaseException) -> None:
        if self.error is None:
            self.error = exc
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    async def wait(self, timeout: float | None) -> None:
        """Wait for the next event from the upstream (headers, body bytes, end, failure)."""
        if self.error is not None:
            raise self.error
        loop = asyncio.get_running_loop()
        waiter = self._waiter = loop.create_future()
        handle = loop.call_later(timeout, _expire, waiter, "read timeout") if timeout is not None else None
        try:
            await waiter
        finally:
            self._waiter = None
            if handle is not None:
                handle.cancel()

    async def drain(self) -> None:
        if self.closed:
            raise UpstreamConnectionError("the upstream closed the connection")
        if self._write_paused:
            self._drain = asyncio.get_running_loop().create_future()
            await self._drain

    def write(self, data: bytes) -> None:
        assert self.transport is not None
        self.transport.write(data)

    def take(self) -> bytes:
        """Everything buffered so far, as one piece."""
        chunks = self.chunks
        data = chunks.popleft() if len(chunks) == 1 else b"".join(chunks)
        chunks.clear()
        self.buffered = 0
        return data

    def resume(self) -> None:
        if self._read_paused and self.transport is not None and not self.closed:
            self._read_paused = False
            self.transport.resume_reading()

    def abort(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()
        self._fail(UpstreamConnectionError("the connection to the upstream was closed"))


class UpstreamResponse:
    """Status, raw headers and a streamed body. Call :meth:`release` (or :meth:`close`) exactly once."""

    def __init__(self, client: UpstreamClient, conn: _Connection, writer: asyncio.Task[None] | None) -> None:
        self._client = client
        self._conn = conn
        self._writer = writer
        self._done = False
        self.status = conn.status
        self.headers = conn.headers

    async def read_chunk(self) -> bytes:
        """The next bytes of the body as soon as any arrive; ``b""`` at the end."""
        conn = self._conn
        while True:
            if conn.chunks:
                return conn.take()
            if conn.complete:
                return b""
            conn.resume()
            await conn.wait(self._client.read_timeout)

    async def iter_chunks(self) -> AsyncIterator[bytes]:
        while chunk := await self.read_chunk():
            yield chunk

    async def read(self) -> bytes:
        parts = [chunk async for chunk in self.iter_chunks()]
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def close(self) -> None:
        """Abandon the response: the connection is closed, not reused."""
        if not self._done:
            self._done = True
            self._conn.abort()
            self._client._finish(self._conn, self._writer, reuse=False)
        else:
            self._conn.abort()

    def release(self) -> None:
        """Give the connection back for reuse if the response was read to its end, else close it."""
        if self._done:
            return
        self._done = True
        conn = self._conn
        reuse = conn.complete and conn.keep_alive and not conn.closed and not conn.chunks
        if not reuse:
            conn.abort()
        self._client._finish(conn, self._writer, reuse=reuse)


class UpstreamClient:
    """Connections to one upstream origin (``http://`` or ``https://``)."""

    def __init__(
        self,
        base_url: str,
        *,
        connect_timeout: float,
        read_timeout: float,
        max_connections: int = 1000,
        slot_wait: float | None = None,
        max_header_size: int = 64 * 1024,
        idle_timeout: float = 15.0,
        max_idle: int = 256,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        self.tls = parts.scheme == "https"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (443 if self.tls else 80)
        default_port = 443 if self.tls else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.host_header = host if self.port == default_port else f"{host}:{self.port}"
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.idle_timeout = idle_timeout
        self.slot_wait = slot_wait
        self.max_header_size = max_header_size
        self.max_idle = max_idle
        self._ssl = (ssl_context or ssl.create_default_context()) if self.tls else None
        self._idle: list[_Connection] = []
        self._slots = asyncio.Semaphore(max_connections)
        self._closed = False

    async def _new_connection(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            _, conn = await asyncio.wait_for(
                loop.create_connection(
                    lambda: _Connection(self.max_header_size),
                    self.host,
                    self.port,
                    ssl=self._ssl,
                    server_hostname=self.host if self.tls else None,
                ),
                self.connect_timeout,
            )
        except (asyncio.TimeoutError, TimeoutError):
            raise UpstreamTimeout("connect timeout") from None
        except (OSError, ssl.SSLError):
            raise UpstreamConnectionError("cannot connect to the upstream") from None
        return conn

    def _idle_connection(self) -> _Connection | None:
        now = time.monotonic()
        while self._idle:
            conn = self._idle.pop()
            if conn.closed or now - conn.idle_since > self.idle_timeout:
                conn.abort()
                continue
            return conn
        return None

    def _finish(self, conn: _Connection, writer: asyncio.Task[None] | None, *, reuse: bool) -> None:
        if writer is not None and not writer.done():
            writer.cancel()
            reuse = False
            conn.abort()
        if reuse and not self._closed and len(self._idle) < self.max_idle:
            conn.idle_since = time.monotonic()
            self._idle.append(conn)
        elif reuse:
            conn.abort()
        self._slots.release()

    async def request(
        self,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        body: bytes | AsyncIterator[bytes] | None = None,
        content_length: int | None = None,
    ) -> UpstreamResponse:
        """Send a request; returns once the response's status and headers are in.

        ``target`` is the already encoded path and query. ``headers`` must not contain ``Host``,
        ``Content-Length`` or ``Transfer-Encoding``: the framing is decided here from ``body`` (and
        ``content_length`` for a streamed body of known length; else it is sent chunked). Exceptions raised
        by a streamed ``body`` while it is being sent propagate unchanged.
        """
        lines = [f"{method} {target} HTTP/1.1\r\nHost: {self.host_header}\r\n"]
        lines.extend(f"{name}: {value}\r\n" for name, value in headers)
        chunked = False
        if isinstance(body, bytes):
            lines.append(f"Content-Length: {len(body)}\r\n\r\n")
        elif body is None:
            lines.append("Content-Length: 0\r\n\r\n" if method in ("POST", "PUT", "PATCH") else "\r\n")
        elif content_length is not None:
            lines.append(f"Content-Length: {content_length}\r\n\r\n")
        else:
            chunked = True
            lines.append("Transfer-Encoding: chunked\r\n\r\n")
        head = "".join(lines).encode("latin-1")
        replayable = not isinstance(body, AsyncIterator)

        slots = self._slots
        if slots.locked() and self.slot_wait is not None:
            try:
                await asyncio.wait_for(slots.acquire(), self.slot_wait)
            except (asyncio.TimeoutError, TimeoutError):
                raise UpstreamBusy("no upstream connection became free") from None
        else:
            await slots.acquire()
        try:
            for attempt in (0, 1):
                conn = self._idle_connection()
                reused = conn is not None
                if conn is None:
                    conn = await self._new_connection()
                conn.reset(head=method == "HEAD")
                try:
                    return await self._exchange(conn, head, body, chunked)
                except UpstreamConnectionError:
                    # A kept-alive connection the upstream had closed meanwhile: try once more on a new
                    # one, if nothing came back and the body can be sent again.
                    conn.abort()
                    if attempt or not reused or conn.received_any or not replayable:
                        raise
                except BaseException:
                    conn.abort()
                    raise
            raise AssertionError("unreachable")  # pragma: no cover
        except BaseException:
            self._slots.release()
            raise

    async def _exchange(
        self, conn: _Connection, head: bytes, body: bytes | AsyncIterator[bytes] | None, chunked: bool
    ) -> UpstreamResponse:
        if body is None or isinstance(body, bytes):
            conn.write(head + body if body else head)
            while not conn.headers_done:
                await conn.wait(self.read_timeout)
            return UpstreamResponse(self, conn, None)
        conn.write(head)
        writer = asyncio.ensure_future(_send_body(conn, body, chunked))
        writer.add_done_callback(_retrieve)
        # While the body goes out, wait for it or an early response; the read timeout starts after it.
        while not conn.headers_done and not writer.done():
            conn_event = asyncio.ensure_future(conn.wait(None))
            await asyncio.wait((conn_event, writer), return_when=asyncio.FIRST_COMPLETED)
            if not conn_event.done():
                conn_event.cancel()
                await asyncio.gather(conn_event, return_exceptions=True)
            else:
                failure = conn_event.exception()
                if failure is not None and not conn.headers_done:
                    writer.cancel()
                    raise failure
        if not conn.headers_done:
            exc = writer.exception()
            if exc is not None:
                raise exc
            while not conn.headers_done:
                await conn.wait(self.read_timeout)
        return UpstreamResponse(self, conn, writer)

    async def aclose(self) -> None:
        self._closed = True
        while self._idle:
            self._idle.pop().abort()


async def _send_body(conn: _Connection, body: AsyncIterator[bytes], chunked: bool) -> None:
    async for chunk in body:
        if not chunk:
            continue
        conn.write(b"%x\r\n%b\r\n" % (len(chunk), chunk) if chunked else chunk)
        await conn.drain()
    if chunked:
        conn.write(b"0\r\n\r\n")


def _retrieve(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()
