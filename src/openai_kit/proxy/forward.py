"""The HTTP relay: one ``/v1/...`` request in, the same request to the upstream with the real key, the
upstream's response streamed back.

Nothing is buffered beyond a chunk except small bodies (at most ``_SMALL`` bytes, read whole because one
write is cheaper than several; never ``text/event-stream``, whatever its framing) and, for Azure without a
fixed deployment, the JSON bodies of deployment routes (their ``model`` names the deployment; bounded by
the body size limit).

The real key never reaches the client: every response body, of any length and framing, passes through
:class:`Redactor`, which replaces the key (also when it is split across chunks) by a mask of the same
length, so ``Content-Length`` stays right and nothing has to be buffered; response header values are
masked the same way. The upstream is asked for uncompressed bodies (``Accept-Encoding: identity``), where
the key can be seen.
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.datastructures import Headers
from starlette.types import Receive, Scope, Send

from . import errors
from .access_log import AccessLog
from .client import UpstreamBusy, UpstreamClient, UpstreamError, UpstreamProtocolError, UpstreamResponse
from .config import MULTIPART_ALLOWANCE, ProxyConfig
from .errors import ProxyError, send_error
from .relay import Admission, Relay

__all__ = ["HttpRelay", "Redactor"]

_SMALL = 256 * 1024  # bodies up to this size are read (or sent) in one piece
_PIECE = 64 * 1024  # larger streamed chunks go to the client in pieces of this size, each after a drain

HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
# Never forwarded upstream: the client's credentials (replaced by the real key), identity the proxy
# configures itself, the browser's cookies and origin, and the client's network identity.
_DROP_REQUEST = HOP_BY_HOP | {
    b"host",
    b"content-length",
    b"expect",
    b"authorization",
    b"api-key",
    b"openai-organization",
    b"openai-project",
    b"cookie",
    b"origin",
    b"referer",
    b"forwarded",
    b"x-forwarded-for",
    b"x-forwarded-host",
    b"x-forwarded-proto",
    b"x-real-ip",
    b"accept-encoding",
}
# Never passed back to the client: hop-by-hop headers, upstream cookies and the upstream account's ids,
# and the upstream's Date (the proxy's server sends its own: one Date header per response).
_DROP_RESPONSE = HOP_BY_HOP | {b"set-cookie", b"openai-organization", b"openai-project", b"date"}
_REDACTED = b"sk-...(redacted)"


def mask(length: int) -> bytes:
    """What replaces the key: ``sk-...(redacted)`` cut or padded with ``*`` to the key's length."""
    return (_REDACTED + b"*" * length)[:length]


class Redactor:
    """Masks ``key`` in a byte stream cut into arbitrary chunks, with a same-length mask.

    :meth:`feed` returns what can be sent: all but a tail that could be the beginning of the key (held
    until the next chunk shows whether it is); :meth:`flush` returns that tail at the end.
    """

    __slots__ = ("first", "held", "key", "mask")

    def __init__(self, key: bytes) -> None:
        self.key = key
        self.mask = mask(len(key))
        self.first = key[:1]
        self.held = b""

    def feed(self, chunk: bytes) -> bytes:
        data = self.held + chunk if self.held else chunk
        key = self.key
        if key in data:
            data = data.replace(key, self.mask)
        # The longest suffix of ``data`` that is a proper prefix of the key, found from its first byte.
        end = len(data)
        i = data.find(self.first, max(0, end - len(key) + 1))
        while i >= 0:
            if key.startswith(data[i:]):
                self.held = data[i:]
                return data[:i]
            i = data.find(self.first, i + 1)
        self.held = b""
        return data

    def flush(self) -> bytes:
        held, self.held = self.held, b""
        return held


class Reclaimer:
    """Gives memory back to the system after streamed responses that ended early (client gone, upstream
    failed): their buffers are often held in reference cycles (exceptions, tracebacks, futures) that the
    cyclic collector would only reach after much more allocation, and what is freed stays in the C
    allocator's arenas. One full collection and a ``malloc_trim`` (glibc only), ``delay`` seconds after
    such an end, at most one pending at a time: at most one per ``delay`` seconds under a flood."""

    def __init__(self, delay: float = 1.0) -> None:
        self.delay = delay
        self._pending = False
        self._trim = _malloc_trim()
        self.runs = 0

    def schedule(self) -> None:
        if not self._pending:
            self._pending = True
            asyncio.get_running_loop().call_later(self.delay, self._run)

    def _run(self) -> None:
        self._pending = False
        self.runs += 1
        gc.collect()
        if self._trim is not None:
            self._trim(0)


def _malloc_trim() -> Any:
    try:
        return ctypes.CDLL(None).malloc_trim  # glibc; elsewhere there is nothing to trim this way
    except (OSError, AttributeError):
        return None


class _ClientGone(Exception):
    pass


class _BodyState:
    __slots__ = ("complete", "limit", "received", "started")

    def __init__(self) -> None:
        self.received = 0
        self.limit = 0
        self.complete = False
        self.started = False  # the response has started: no other response may be sent


class HttpRelay(Relay):
    """The ASGI app behind ``/v1/{path}`` (HTTP). One instance per proxy app; it owns the upstream
    :class:`~openai_kit.proxy.client.UpstreamClient`, created on first use and closed by :meth:`aclose`."""

    def __init__(self, config: ProxyConfig, admission: Admission, access_log: AccessLog) -> None:
        super().__init__(config, admission, access_log)
        self.max_body = config.max_body_size
        self._key = config.api_key.encode()
        self._mask = mask(len(self._key))
        self.reclaimer = Reclaimer()
        self._static_headers = self.upstream.headers
        self._client: UpstreamClient | None = None

    def client(self) -> UpstreamClient:
        client = self._client
        if client is None:  # created on first use, inside the server's event loop
            client = self._client = UpstreamClient(
                self.upstream.origin,
                connect_timeout=self.config.connect_timeout,
                read_timeout=self.config.read_timeout,
                max_connections=self.config.max_connections,
                slot_wait=self.config.upstream_wait,
                max_header_size=self.config.max_upstream_header_size,
            )
        return client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        start = time.perf_counter()
        state = _BodyState()
        tid = "-"
        admitted = False
        status = 0
        sent = 0
        try:
            tid = await self.admit(Headers(scope=scope))
            admitted = True
            status, sent = await self._relay(scope, receive, send, state)
        except ProxyError as exc:
            status = exc.status
            if not state.started:
                sent = await send_error(send, exc)
        except _ClientGone:
            status = 499
        except Exception:
            status = 500
            if not state.started:
                sent = await send_error(send, errors.internal_error())
        finally:
            if admitted:
                self.leave(tid)
            self.access_log.record(
                tid, scope["method"], scope["path"], status, time.perf_counter() - start, state.received, sent
            )

    async def _relay(self, scope: Scope, receive: Receive, send: Send, state: _BodyState) -> tuple[int, int]:
        method: str = scope["method"]
        path: str = scope["path"]
        raw_path: bytes = scope.get("raw_path") or path.encode()
        if not raw_path.startswith(b"/v1/") or any(s in (".", "..") for s in path.split("/")):
            raise errors.not_found()
        raw_rest = raw_path[3:].decode("latin-1")
        query = scope["query_string"].decode("latin-1")

        headers: list[tuple[str, str]] = list(self._static_headers)
        content_length: int | None = None
        chunked = False
        connection_tokens: set[bytes] = set()
        limit = self.max_body
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    content_length = int(value)
                except ValueError:
                    raise errors.bad_request("Invalid Content-Length header.") from None
            elif name == b"transfer-encoding":
                chunked = True
            elif name == b"connection":
                connection_tokens.update(t.strip().lower() for t in value.split(b","))
            elif name == b"content-type" and value[:19].lower() == b"multipart/form-data":
                limit = self.max_body + MULTIPART_ALLOWANCE
            if name not in _DROP_REQUEST:
                headers.append((name.decode("latin-1"), value.decode("latin-1")))
        if connection_tokens:
            headers = [(n, v) for n, v in headers if n.encode("latin-1") not in connection_tokens]
        # Uncompressed responses, so that the key can be found in them (see the module docstring).
        headers.append(("Accept-Encoding", "identity"))
        state.limit = limit
        if content_length is not None and content_length > limit:
            raise errors.body_too_large(self.max_body)

        model: str | None = None
        data: bytes | AsyncIterator[bytes] | None
        if content_length is None and not chunked:
            data = None
            state.complete = True
        elif self.upstream.needs_deployment(path[4:]):
            data = await self._read_all(receive, state)
            model = _json_model(data)
            if not model:
                raise errors.bad_request(
                    "This proxy routes Azure deployments by the request's 'model': "
                    "send a JSON body with a 'model' field."
                )
        elif content_length is not None and content_length <= _SMALL:
            data = await self._read_all(receive, state)
        else:
            data = self._stream_body(receive, state)
        target = self.upstream.http_target(raw_rest, query, model)
        try:
            response = await self.client().request(method, target, headers, data, content_length)
        except (ProxyError, _ClientGone):
            raise
        except Exception as exc:
            raise self._map_error(exc, state) from None
        try:
            return await self._respond(response, receive, send, state)
        finally:
            response.release()

    def _map_error(self, exc: BaseException, state: _BodyState) -> Exception:
        """The error to answer when talking to the upstream failed with ``exc``."""
        if state.received > state.limit:
            return errors.body_too_large(self.max_body)
        if isinstance(exc, UpstreamBusy):
            return errors.upstream_busy()
        if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
            return errors.upstream_timeout()
        if isinstance(exc, UpstreamProtocolError):
            return errors.upstream_bad_response()
        if isinstance(exc, (UpstreamError, OSError)):
            return errors.upstream_unreachable()
        return errors.internal_error()

    async def _read_all(self, receive: Receive, state: _BodyState) -> bytes:
        """The whole (small) body: :meth:`_stream_body` collected, with the same limit and disconnect checks."""
        parts = [chunk async for chunk in self._stream_body(receive, state)]
        return parts[0] if len(parts) == 1 else b"".join(parts)

    async def _stream_body(self, receive: Receive, state: _BodyState) -> AsyncIterator[bytes]:
        limit = state.limit
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _ClientGone()
            chunk: bytes = message.get("body", b"")
            if chunk:
                state.received += len(chunk)
                if state.received > limit:
                    raise errors.body_too_large(self.max_body)
                yield chunk
            if not message.get("more_body", False):
                state.complete = True
                return

    async def _respond(
        self, response: UpstreamResponse, receive: Receive, send: Send, state: _BodyState
    ) -> tuple[int, int]:
        status = response.status
        key = self._key
        out_headers: list[tuple[bytes, bytes]] = []
        length: int | None = None
        event_stream = False
        connection_tokens: set[bytes] = set()
        for name, value in response.headers:
            lname = name.lower()
            if lname == b"content-length":
                length = int(value) if value.isdigit() else None
            elif lname == b"content-type":
                event_stream = value[:17].lower() == b"text/event-stream"
            elif lname == b"connection":
                connection_tokens.update(t.strip().lower() for t in value.split(b","))
            if lname not in _DROP_RESPONSE:
                if key in value:
                    value = value.replace(key, self._mask)
                out_headers.append((lname, value))
        if connection_tokens:
            out_headers = [(n, v) for n, v in out_headers if n not in connection_tokens]

        if length is not None and length <= _SMALL and not event_stream:
            try:
                body = await response.read()
            except Exception as exc:
                raise self._map_error(exc, state) from None
            if key in body:
                body = body.replace(key, self._mask)  # same length: Content-Length stays right
            state.started = True
            await send({"type": "http.response.start", "status": status, "headers": out_headers})
            await send({"type": "http.response.body", "body": body, "more_body": False})
            return status, len(body)

        # Streamed: SSE, downloads, chunked responses. Each chunk goes out as soon as it arrives, less a
        # tail that might be the start of the key (held until the next chunk).
        state.started = True
        await send({"type": "http.response.start", "status": status, "headers": out_headers})
        sent = 0
        redactor = Redactor(key)
        gone = asyncio.Event()
        watcher = (
            asyncio.ensure_future(_watch_disconnect(receive, response, gone)) if state.complete else None
        )
        try:
            while chunk := await response.read_chunk():
                chunk = redactor.feed(chunk)
                if len(chunk) <= _PIECE:
                    if chunk:
                        await send({"type": "http.response.body", "body": chunk, "more_body": True})
                else:
                    # In pieces: the server's write buffer then holds one piece beyond its high-water
                    # mark, not a whole chunk, for a client that does not read.
                    view = memoryview(chunk)
                    for i in range(0, len(chunk), _PIECE):
                        await send(
                            {"type": "http.response.body", "body": view[i : i + _PIECE], "more_body": True}
                        )
                sent += len(chunk)
        except Exception:
            # The upstream failed (or the client left) after the response started: the status line is
            # gone, so the only honest signal left is to end the connection without completing the body.
            self.reclaimer.schedule()
            return (499 if gone.is_set() else status), sent
        finally:
            if watcher is not None:
                watcher.cancel()
        if gone.is_set():
            self.reclaimer.schedule()
            return 499, sent
        tail = redactor.flush()
        await send({"type": "http.response.body", "body": tail, "more_body": False})
        return status, sent + len(tail)


async def _watch_disconnect(receive: Receive, response: UpstreamResponse, gone: asyncio.Event) -> None:
    """Stop reading from the upstream as soon as the client goes away (a streamed completion would
    otherwise keep running, and costing, until its end)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            gone.set()
            response.close()
            return


def _json_model(body: bytes) -> str | None:
    try:
        data: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    model = data.get("model") if isinstance(data, dict) else None
    return model if isinstance(model, str) and model else None
