"""The proxy's HTTP server: uvicorn's httptools protocol with limits on each request's head.

uvicorn with httptools puts no bound on a request line or on headers, and no time limit on receiving them:
one client with no token could send an endless header (174 MiB in 60 s was measured) and slow everyone
down. This protocol enforces, while the head arrives and so before any ASGI code or authentication runs:

- the request target at most ``max_request_line`` bytes, else 414;
- the request line and headers together at most ``max_header_size`` bytes, else 431;
- the head complete within ``header_timeout`` seconds of the connection's start (first request) or of the
  request's first byte (later requests; the idle time between requests is uvicorn's keep-alive timeout),
  else 408;
- a malformed request gets 400.

Each is answered in the API's JSON error format and the connection is closed. Nothing is logged above
DEBUG (a flood of rejected requests must not become a flood of log lines).

``uvicorn.run(app, http=protocol_class(config), ws=WebSocketProtocol)`` uses it; ``openai-kit proxy``
does. :class:`WebSocketProtocol` is uvicorn's websockets protocol, less an ERROR line ("ASGI callable
returned without completing handshake") that it logs after every handshake the app rejects with an HTTP
response (the proxy's 401/429/502 answers); :func:`quiet_uvicorn_logs` drops the query string (which may
carry credentials) from uvicorn's websocket log lines and the duplicate "connection rejected" line.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from . import errors
from .config import ProxyConfig
from .errors import ProxyError

__all__ = ["WebSocketLogFilter", "WebSocketProtocol", "protocol_class", "quiet_uvicorn_logs"]

_log = logging.getLogger("openai_kit.proxy.server")


class _HeadLimit(Exception):
    pass


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    max_request_line = 16 * 1024
    max_header_size = 64 * 1024
    header_timeout = 10.0

    _head_timer: asyncio.TimerHandle | None = None
    _in_head = True
    _head_bytes = 0
    _limit_error: ProxyError | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.header_timeout, self._head_expired)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_expired(self) -> None:
        self._head_timer = None
        if self._in_head:
            self._reject(errors.header_timeout(self.header_timeout))

    def _reject(self, error: ProxyError) -> None:
        self._disarm()
        transport = self.transport
        if transport.is_closing():
            return
        _log.debug("rejected a request before the application: %d", error.status)
        if self.cycle is None or self.cycle.response_complete:
            transport.write(errors.raw_response(error, self.server_state.default_headers))
            transport.close()
        else:  # a pipelined request while a response is being sent: no room for an answer
            transport.abort()

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            room = self.max_header_size - self._head_bytes
            if len(data) > room:
                # Only ``room`` more bytes may belong to the head; what follows them is parsed only if the
                # head ended within them.
                self._feed(data[:room])
                if self._in_head:
                    self._reject(errors.headers_too_large(self.max_header_size))
                elif not self.transport.is_closing() and self.transport.get_protocol() is self:
                    self.data_received(data[room:])
                return
            self._head_bytes += len(data)
        self._feed(data)

    def _feed(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
        except httptools.HttpParserError:
            self._reject(self._limit_error or errors.malformed_request())

    # -- parser callbacks
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._arm()

    def on_url(self, url: bytes) -> None:
        self.url += url
        if len(self.url) > self.max_request_line:
            self._limit_error = errors.request_line_too_long(self.max_request_line)
            raise _HeadLimit()

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._disarm()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head = True
        self._head_bytes = 0


def protocol_class(config: ProxyConfig) -> type[asyncio.Protocol]:
    """The uvicorn ``http`` protocol class enforcing ``config``'s limits on request heads."""
    attrs: dict[str, Any] = {
        "max_request_line": config.max_request_line,
        "max_header_size": config.max_header_size,
        "header_timeout": config.header_timeout,
    }
    return type("ProxyHttpProtocol", (LimitedHttpToolsProtocol,), attrs)


class WebSocketProtocol(WebSocketsSansIOProtocol):
    async def send(self, message: Any) -> None:
        await super().send(message)
        if message["type"] == "websocket.http.response.body" and not message.get("more_body", False):
            # The handshake ended with the app's own HTTP response: complete, not an error.
            self.handshake_complete = True


class WebSocketLogFilter(logging.Filter):
    """Drops the query string (which may carry credentials) from uvicorn's websocket log lines, and the
    line the websockets library adds after each rejected handshake (uvicorn has already logged it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.msg
        if isinstance(msg, str):
            if msg.startswith('%s - "WebSocket %s"'):
                args = record.args
                if isinstance(args, tuple) and len(args) >= 2 and isinstance(args[1], str):
                    record.args = (args[0], args[1].partition("?")[0], *args[2:])
            elif msg == "connection rejected (%d %s)":
                return False
        return True


def quiet_uvicorn_logs() -> None:
    """Install :class:`WebSocketLogFilter` on uvicorn's logger (once)."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, WebSocketLogFilter) for f in logger.filters):
        logger.addFilter(WebSocketLogFilter())
