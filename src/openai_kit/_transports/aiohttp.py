"""The default async transport, on aiohttp.

Measured here at 100 concurrent requests, aiohttp spends ~20x less CPU per request than httpx's async
pool (see ``benchmarks/RESULTS.md``). One ``ClientSession`` is kept per event loop, so a client can be
used from several loops (e.g. successive ``asyncio.run`` calls) and after ``os.fork()``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any, cast

import aiohttp
from yarl import URL

from .._errors import APIConnectionError, APITimeoutError
from .._timeouts import Timeout
from ._base import Request, Response, forks
from ._tls import shared_ssl_context

__all__ = ["AiohttpTransport"]

_CHUNK = 64 * 1024
_NO_TIMEOUT = aiohttp.ClientTimeout(total=None)


class AiohttpTransport:
    def __init__(self, *, max_connections: int = 1000, session: aiohttp.ClientSession | None = None) -> None:
        self._max = max_connections
        self._user_session = session
        self._sessions: dict[int, tuple[asyncio.AbstractEventLoop, aiohttp.ClientSession]] = {}
        self._forks = forks.count
        self._last_timeout: tuple[Timeout | None, bool, aiohttp.ClientTimeout] = (None, False, _NO_TIMEOUT)
        self._urls: dict[tuple[str, str], URL] = {}

    def _session(self) -> aiohttp.ClientSession:
        if self._user_session is not None:
            return self._user_session
        loop = asyncio.get_running_loop()
        if self._forks != forks.count:  # a forked child: the parent's sessions are not ours
            self._forks = forks.count
            self._sessions = {}
        entry = self._sessions.get(id(loop))
        if entry is not None and entry[0] is loop and not entry[1].closed:
            return entry[1]
        # Forget sessions whose loop is gone; their sockets died with it.
        for key, (old_loop, old) in list(self._sessions.items()):
            if old_loop.is_closed():
                _detach(old)
                del self._sessions[key]
        connector = aiohttp.TCPConnector(limit=self._max, ssl=shared_ssl_context(), ttl_dns_cache=300)
        session = aiohttp.ClientSession(
            connector=connector,
            auto_decompress=True,
            skip_auto_headers=("User-Agent",),
            timeout=_NO_TIMEOUT,
        )
        self._sessions[id(loop)] = (loop, session)
        return session

    def _client_timeout(self, timeout: Timeout, stream: bool) -> aiohttp.ClientTimeout:
        """aiohttp's form of ``timeout``; the last one is kept (a client sends with the same few)."""
        last = self._last_timeout
        if last[0] is timeout and last[1] is stream:
            return last[2]
        ctimeout = aiohttp.ClientTimeout(
            total=None,
            connect=timeout.pool,
            sock_connect=timeout.connect,
            sock_read=timeout.stream_idle if stream else timeout.read,
        )
        self._last_timeout = (timeout, stream, ctimeout)
        return ctimeout

    def _url(self, origin: str, target: str) -> URL:
        """The parsed URL, kept for targets without a query (the same few paths again and again)."""
        if "?" in target:
            return URL(origin + target, encoded=True)
        key = (origin, target)
        url = self._urls.get(key)
        if url is None:
            if len(self._urls) >= 256:
                self._urls.clear()
            url = self._urls[key] = URL(origin + target, encoded=True)
        return url

    async def send(self, request: Request, *, stream: bool, timeout: Timeout) -> Response:
        session = self._session()
        content = request.content
        data: Any = content
        if content is not None and not isinstance(content, bytes):
            data = content.__aiter__()
        ctimeout = self._client_timeout(timeout, stream)
        started = time.monotonic()
        try:
            raw = await session.request(
                request.method,
                self._url(request.origin, request.target),
                data=data,
                headers=request.headers,
                timeout=ctimeout,
                allow_redirects=False,
                compress=None,
            )
        except Exception as exc:
            raise _map_error(exc, request) from exc
        headers = {k.lower(): v for k, v in raw.headers.items()}
        elapsed = time.monotonic() - started
        if not stream:
            try:
                body = await raw.read()
            except Exception as exc:
                raw.close()
                raise _map_error(exc, request) from exc
            finally:
                raw.release()
            return Response(raw.status, headers, request, content=body, elapsed=elapsed)

        # The connection is ours to give back or close, not aiohttp's: aiohttp hands it back to the pool
        # the moment the body's framing ends, before we know whether the stream ended cleanly (a stream
        # without [DONE] from a server that then closes the connection would be reused and fail the next
        # request). Holding it here makes the transport contract's close(drain) decide.
        conn = raw.connection
        raw._connection = None
        reader = raw.content
        idle = timeout.stream_idle
        loop = asyncio.get_running_loop()
        # The idle timeout of the body is ours too: aiohttp's sock_read (which bounded the wait for the
        # headers) re-arms a timer for every piece of data, which costs more than parsing an event when
        # thousands of streams are open. Ours is one timer per stream that looks every quarter of the limit
        # and fires after four looks in a row found the reader waiting with no new data: it counts the
        # time spent waiting for data (not the time the reader spends elsewhere), fires between 1 and 1.25
        # times the limit after the last data, and costs the reader two plain assignments per piece.
        watchdog: asyncio.TimerHandle | None = None
        waiting = False  # the reader is waiting for data
        pieces = 0  # pieces of data read so far
        seen = -1  # pieces at the watchdog's last look
        stalls = 0  # looks in a row that found the reader waiting and no new data
        if idle is not None and conn is not None and conn.protocol is not None:
            conn.protocol.read_timeout = None

        def watch() -> None:
            nonlocal watchdog, seen, stalls
            stalls = stalls + 1 if waiting and pieces == seen else 0
            seen = pieces
            if stalls >= 4:
                watchdog = None
                reader.set_exception(aiohttp.ServerTimeoutError("Timeout on reading data from socket"))
            else:
                watchdog = loop.call_later(cast(float, idle) / 4, watch)

        def discard() -> None:
            if conn is not None:
                conn.close()

        def stop_watching() -> None:
            nonlocal watchdog
            if watchdog is not None:
                watchdog.cancel()
                watchdog = None

        async def aiter_chunks() -> AsyncIterator[bytes]:
            nonlocal waiting, pieces, watchdog
            if idle is not None and watchdog is None:
                watchdog = loop.call_later(idle / 4, watch)
            readany = reader.readany
            try:
                while True:
                    waiting = True
                    chunk = await readany()
                    waiting = False
                    if not chunk:
                        break
                    pieces += 1
                    yield chunk
            except Exception as exc:
                discard()
                raw.close()
                raise _map_error(exc, request) from exc
            finally:
                waiting = False
                stop_watching()

        async def aclose(drain: bool) -> None:
            stop_watching()
            if drain and not reader.at_eof():

                async def rest() -> None:
                    read = 0
                    while read <= 1 << 16 and (chunk := await reader.readany()):
                        read += len(chunk)

                try:
                    await asyncio.wait_for(rest(), 1.0)
                except Exception:
                    pass
            if drain and reader.at_eof() and reader.exception() is None:
                await raw.wait_for_close()  # the request body fully written
                if conn is not None:
                    conn.release()  # the pool keeps it only if aiohttp's parser saw clean framing
            else:
                discard()  # not read cleanly to the end: never give this connection back
            raw.close()

        return Response(
            raw.status, headers, request, aiter_chunks=aiter_chunks, aclose=aclose, elapsed=elapsed
        )

    async def aclose(self) -> None:
        sessions, self._sessions = self._sessions, {}
        for loop, session in sessions.values():
            if loop is asyncio.get_running_loop():
                await session.close()
            else:
                _detach(session)

    def detach(self) -> None:
        """Close the sessions this transport made without awaiting (garbage collection, interpreter exit):
        their sockets close and aiohttp has no unclosed session to warn about."""
        sessions, self._sessions = self._sessions, {}
        for _, session in sessions.values():
            _detach(session)


def _detach(session: aiohttp.ClientSession) -> None:
    """Drop a session whose loop is gone without awaiting (its transports are already dead)."""
    connector = session.connector
    if connector is not None and not connector.closed:
        try:
            connector._close()  # sync part of close(); the async part needs the dead loop
        except Exception:
            pass
    session._connector = None


def _map_error(exc: BaseException, request: Request) -> Exception:
    method, url = request.method, request.url
    if isinstance(exc, APIConnectionError):
        return exc
    # Failures before a connection existed (refused, DNS, TLS handshake, connect or pool timeout):
    # nothing was sent, so any request may be sent again.
    unsent = isinstance(exc, (aiohttp.ClientConnectorError, _CONNECT_TIMEOUT))
    if isinstance(exc, (asyncio.TimeoutError, aiohttp.ServerTimeoutError, TimeoutError)):
        return APITimeoutError(method=method, url=url, request_sent=not unsent)
    return APIConnectionError(
        f"Connection error: {type(exc).__name__}", method=method, url=url, request_sent=not unsent
    )


#: aiohttp >= 3.10 tells a connect (or pool) timeout from a read timeout
_CONNECT_TIMEOUT: Any = getattr(aiohttp, "ConnectionTimeoutError", aiohttp.ClientConnectorError)
