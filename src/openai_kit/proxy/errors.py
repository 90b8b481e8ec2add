"""Error responses in the API's own format.

Every error the proxy produces itself is ``{"error": {"message", "type", "param", "code"}}`` with a fixed,
human-written message: never exception text, a stack trace, a URL or a credential.
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson
from starlette.types import Send

from .._errors import error_payload

__all__ = ["ProxyError", "error_body", "error_headers", "send_error"]


class ProxyError(Exception):
    """An error the proxy answers itself; ``message`` is safe to show to the client."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str,
        code: str | None,
        headers: Iterable[tuple[bytes, bytes]] = (),
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.headers = tuple(headers)


def error_body(message: str, *, type: str, code: str | None, param: str | None = None) -> bytes:
    return orjson.dumps(error_payload(message, type=type, param=param, code=code))


def error_headers(body: bytes, extra: Iterable[tuple[bytes, bytes]] = ()) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *extra,
    ]


async def send_error(send: Send, error: ProxyError, *, prefix: str = "http") -> int:
    """Send ``error`` as a complete response; returns the number of body bytes sent.

    ``prefix`` is ``"websocket.http"`` for the websocket denial response extension.
    """
    body = error_body(error.message, type=error.type, code=error.code)
    await send(
        {
            "type": f"{prefix}.response.start",
            "status": error.status,
            "headers": error_headers(body, error.headers),
        }
    )
    await send({"type": f"{prefix}.response.body", "body": body, "more_body": False})
    return len(body)


# The errors the proxy produces, in one place so their wording stays consistent.


def missing_token() -> ProxyError:
    return ProxyError(
        401,
        "Missing session token. Send it as 'Authorization: Bearer <token>'.",
        type="invalid_request_error",
        code="invalid_api_key",
    )


def invalid_token(message: str | None = None) -> ProxyError:
    return ProxyError(
        401, message or "Invalid session token.", type="invalid_request_error", code="invalid_api_key"
    )


def body_too_large(limit: int) -> ProxyError:
    return ProxyError(
        413,
        f"Request body too large: the limit is {limit} bytes.",
        type="invalid_request_error",
        code="request_too_large",
    )


def rate_limited(retry_after: float) -> ProxyError:
    seconds = max(1, int(retry_after + 0.999))
    return ProxyError(
        429,
        f"Rate limit reached for this session token. Try again in {seconds}s.",
        type="requests",
        code="rate_limit_exceeded",
        headers=[(b"retry-after", str(seconds).encode())],
    )


def upstream_timeout() -> ProxyError:
    return ProxyError(
        504, "The upstream API did not answer in time.", type="server_error", code="upstream_timeout"
    )


def upstream_unreachable() -> ProxyError:
    return ProxyError(
        502, "The upstream API could not be reached.", type="server_error", code="upstream_connection_error"
    )


def internal_error() -> ProxyError:
    return ProxyError(500, "The proxy failed to handle the request.", type="server_error", code=None)


def not_found() -> ProxyError:
    return ProxyError(
        404,
        "Unknown route: this proxy only serves /v1/... paths.",
        type="invalid_request_error",
        code="unknown_url",
    )


def bad_request(message: str) -> ProxyError:
    return ProxyError(400, message, type="invalid_request_error", code=None)


def too_many_concurrent(limit: int) -> ProxyError:
    return ProxyError(
        429,
        f"Too many concurrent requests for this session token: the limit is {limit}. "
        "Wait for a request to finish.",
        type="requests",
        code="concurrency_limit_exceeded",
        headers=[(b"retry-after", b"1")],
    )


def upstream_busy() -> ProxyError:
    return ProxyError(
        503,
        "The proxy is at its upstream connection limit. Try again shortly.",
        type="server_error",
        code="proxy_overloaded",
        headers=[(b"retry-after", b"1")],
    )


def limits_unavailable() -> ProxyError:
    return ProxyError(
        503,
        "The proxy cannot check this session token's limits right now. Try again shortly.",
        type="server_error",
        code="limits_unavailable",
        headers=[(b"retry-after", b"1")],
    )


def upstream_bad_response() -> ProxyError:
    return ProxyError(
        502,
        "The upstream API sent an invalid response.",
        type="server_error",
        code="upstream_invalid_response",
    )


def request_line_too_long(limit: int) -> ProxyError:
    return ProxyError(
        414,
        f"Request line too long: the limit is {limit} bytes.",
        type="invalid_request_error",
        code="request_line_too_long",
    )


def headers_too_large(limit: int) -> ProxyError:
    return ProxyError(
        431,
        f"Request headers too large: the limit is {limit} bytes.",
        type="invalid_request_error",
        code="request_header_fields_too_large",
    )


def header_timeout(seconds: float) -> ProxyError:
    return ProxyError(
        408,
        f"Request headers not received within {seconds:g} seconds.",
        type="invalid_request_error",
        code="request_timeout",
    )


def malformed_request() -> ProxyError:
    return ProxyError(400, "Malformed HTTP request.", type="invalid_request_error", code="invalid_request")


_REASONS = {
    400: b"Bad Request",
    408: b"Request Timeout",
    414: b"URI Too Long",
    431: b"Request Header Fields Too Large",
}


def raw_response(error: ProxyError, extra: Iterable[tuple[bytes, bytes]] = ()) -> bytes:
    """``error`` as the bytes of a complete HTTP/1.1 response that closes the connection, for answers
    given below the ASGI layer (before a request exists)."""
    body = error_body(error.message, type=error.type, code=error.code)
    lines = [b"HTTP/1.1 %d %s\r\n" % (error.status, _REASONS.get(error.status, b"Error"))]
    for name, value in (*extra, *error_headers(body, error.headers), (b"connection", b"close")):
        lines.append(b"%s: %s\r\n" % (name, value))
    lines.append(b"\r\n")
    lines.append(body)
    return b"".join(lines)
