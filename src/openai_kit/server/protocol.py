"""uvicorn's HTTP protocol, answering its own errors in the API's JSON error format.

uvicorn answers a request it cannot parse (malformed request line, bad header, invalid chunking)
with a plain-text ``400 Invalid HTTP request received.`` before the app sees it. A client of an
OpenAI-compatible server expects ``{"error": {...}}``, so these subclasses write that instead, and
limit what uvicorn does not: the request target (414 past ``MAX_URL_BYTES``) and the request head
(431 past ``MAX_HEAD_BYTES``, counted while it arrives, so an endless header is cut off early).
Pass ``http=http_protocol()`` to ``uvicorn.Config`` / ``uvicorn.run``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from uvicorn.protocols.http.h11_impl import H11Protocol

from .errors import RequestError

#: longest request target (path and query) accepted: Cloudflare, in front of the API, allows 16 KiB
MAX_URL_BYTES = 16 * 1024
#: largest request head (request line and headers) accepted
MAX_HEAD_BYTES = 64 * 1024

_HEAD_TOO_LARGE = f"Request header fields too large: the limit is {MAX_HEAD_BYTES} bytes."
_REASONS = {400: b"Bad Request", 414: b"URI Too Long", 431: b"Request Header Fields Too Large"}


def error_response(status: int, message: str) -> bytes:
    """A complete HTTP/1.1 response carrying the API's error body; the connection closes after it."""
    body = orjson.dumps(RequestError(status, message).body())
    return b"".join(
        [
            b"HTTP/1.1 %d %s\r\n" % (status, _REASONS.get(status, b"Error")),
            b"content-type: application/json\r\n",
            b"content-length: %d\r\n" % len(body),
            b"connection: close\r\n\r\n",
            body,
        ]
    )


class _Rejected(Exception):
    """Raised from a parser callback to stop parsing; ``data_received`` answers with ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class H11JSONProtocol(H11Protocol):
    """h11 (pure Python, uvicorn's fallback without httptools): its errors become JSON. h11 limits a
    head to 16 KiB while it arrives in pieces; the exact URL and head limits are httptools' only."""

    def send_400_response(self, msg: str) -> None:
        message = "Invalid HTTP request: the request line or headers are malformed or larger than 16 KiB."
        self.transport.write(error_response(400, message))
        self.transport.close()


def _httptools_class() -> type[asyncio.Protocol] | None:
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # pragma: no cover - httptools is part of uvicorn[standard]
        return None

    class HttpToolsJSONProtocol(HttpToolsProtocol):
        """httptools (llhttp, C): the faster parser, with the URL and head limits added."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._in_head = True
            self._received_in_head = 0
            self._rejection: _Rejected | None = None
            self._header_bytes = 0

        def data_received(self, data: bytes) -> None:
            if self._in_head:
                self._received_in_head += len(data)
            super().data_received(data)
            if self._in_head and self._received_in_head > MAX_HEAD_BYTES and not self.transport.is_closing():
                self._reject(_Rejected(431, _HEAD_TOO_LARGE))

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._header_bytes = 0

        def on_url(self, url: bytes) -> None:
            super().on_url(url)
            if len(self.url) > MAX_URL_BYTES:
                self._rejection = _Rejected(
                    414, f"Request URL too long: the limit is {MAX_URL_BYTES} bytes for the path and query."
                )
                raise self._rejection

        def on_header(self, name: bytes, value: bytes) -> None:
            # counted here too: a head that arrives in one piece never looks incomplete
            self._header_bytes += len(name) + len(value) + 4
            if self._header_bytes > MAX_HEAD_BYTES:
                self._rejection = _Rejected(431, _HEAD_TOO_LARGE)
                raise self._rejection
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self._in_head = False
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            super().on_message_complete()
            self._in_head = True
            self._received_in_head = 0

        def send_400_response(self, msg: str) -> None:
            self._reject(
                self._rejection
                or _Rejected(
                    400, "Invalid HTTP request: the request line, headers or body framing are malformed."
                )
            )

        def _reject(self, rejection: _Rejected) -> None:
            self.transport.write(error_response(rejection.status, rejection.message))
            self.transport.close()

    return HttpToolsJSONProtocol


_HTTPTOOLS = _httptools_class()


def http_protocol() -> type[asyncio.Protocol]:
    """The protocol class for uvicorn's ``http`` option: httptools when installed, else h11."""
    return _HTTPTOOLS or H11JSONProtocol
