"""The exception hierarchy.

Everything openai-kit raises on purpose derives from :class:`OpenAIError`. Errors that concern an HTTP
exchange derive from :class:`APIError`; those with a response status from :class:`APIStatusError`,
with one subclass per status the API documents. Messages never contain credentials.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._transports._base import Request, Response

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigError",
    "ConflictError",
    "InternalServerError",
    "MissingAPIKeyError",
    "NotFoundError",
    "OpenAIError",
    "PermissionDeniedError",
    "RateLimitError",
    "UnprocessableEntityError",
    "error_body",
    "error_payload",
    "status_error",
    "validation_error",
]


class OpenAIError(Exception):
    """Base of every error openai-kit raises."""


class ConfigError(OpenAIError):
    """The configuration is invalid (for example a malformed ``.openai`` file)."""


class MissingAPIKeyError(ConfigError):
    """No API key was found; the message lists every place that was searched."""

    def __init__(self, searched: tuple[str, ...]) -> None:
        self.searched = searched
        places = "\n".join(f"  - {p}" for p in searched)
        super().__init__("No API key found. Pass api_key=..., or set one of these:\n" + places)


class APIError(OpenAIError):
    """An error concerning one HTTP exchange with the API."""

    message: str
    method: str | None
    url: str | None
    body: object | None
    code: str | None
    type: str | None
    param: str | None

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        url: str | None = None,
        body: object | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.url = url
        self.body = body
        err = body.get("error", body) if isinstance(body, Mapping) else None
        if isinstance(err, Mapping):
            self.code = _str_or_none(err.get("code"))
            self.type = _str_or_none(err.get("type"))
            self.param = _str_or_none(err.get("param"))
        else:
            self.code = self.type = self.param = None

    status_code: int | None = None
    request_id: str | None = None


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


class APIStatusError(APIError):
    """The API answered with a 4xx or 5xx status."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        headers: Mapping[str, str],
        body: object | None,
        method: str | None = None,
        url: str | None = None,
        response: Response | None = None,
    ) -> None:
        super().__init__(message, method=method, url=url, body=body)
        self.status_code = status_code
        self.headers = dict(headers)
        self.request_id = self.headers.get("x-request-id")
        #: the HTTP response (``status_code``, ``headers``, ``text``, ``json()``, ``request``), as in the
        #: official SDK's ``error.response``
        self.response = response

    @property
    def request(self) -> Request | None:
        """The request that failed (method, URL, headers with the key redacted in its ``repr``)."""
        return self.response.request if self.response is not None else None


class BadRequestError(APIStatusError):
    """400"""


class AuthenticationError(APIStatusError):
    """401"""


class PermissionDeniedError(APIStatusError):
    """403"""


class NotFoundError(APIStatusError):
    """404"""


class ConflictError(APIStatusError):
    """409"""


class UnprocessableEntityError(APIStatusError):
    """422"""


class RateLimitError(APIStatusError):
    """429"""


class InternalServerError(APIStatusError):
    """500 and above"""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error_class(status: int) -> type[APIStatusError]:
    if status >= 500:
        return InternalServerError
    return _BY_STATUS.get(status, APIStatusError)


class APIConnectionError(APIError):
    """The request did not reach the API, or the connection failed before the response was complete.

    ``request_sent`` is False only when the request provably never reached the server (the connection
    could not be made, or no pooled connection was free); otherwise the server may have received, and
    executed, it. The retry rule reads it (see :mod:`openai_kit._retries`).
    """

    def __init__(
        self,
        message: str = "Connection error.",
        *,
        method: str | None = None,
        url: str | None = None,
        request_sent: bool = True,
    ) -> None:
        super().__init__(message, method=method, url=url)
        self.request_sent = request_sent


class APITimeoutError(APIConnectionError):
    """A connect, read, idle-stream or overall deadline was exceeded."""

    def __init__(
        self,
        message: str = "Request timed out.",
        *,
        method: str | None = None,
        url: str | None = None,
        request_sent: bool = True,
    ) -> None:
        super().__init__(message, method=method, url=url, request_sent=request_sent)


class APIResponseValidationError(APIError):
    """The response could not be understood: not JSON, truncated, or not the expected shape."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        body: object | None = None,
        method: str | None = None,
        url: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, method=method, url=url, body=body)
        self.status_code = status_code
        self.request_id = request_id


# -- the API's error wire format: built here (server, proxy) and read here (client) -------------------


def error_payload(
    message: str, *, type: str = "invalid_request_error", param: str | None = None, code: str | None = None
) -> dict[str, dict[str, str | None]]:
    """``{"error": {"message", "type", "param", "code"}}``: what the API (and our servers) answer."""
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def error_body(content: bytes) -> object:
    """The decoded error body, or its text when it is not JSON (never raises)."""
    import orjson

    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return content.decode("utf-8", "replace")


def status_error(response: Response, body: object) -> APIStatusError:
    """The typed error for a 4xx/5xx ``response`` whose body decoded to ``body``."""
    import orjson

    err = body.get("error") if isinstance(body, dict) else None
    detail = err.get("message") if isinstance(err, dict) else None
    if detail is None:
        detail = body if isinstance(body, str) and body else (orjson.dumps(body).decode() if body else "")
    message = f"Error code: {response.status_code}" + (f" - {detail}" if detail else "")
    req = response.request
    return status_error_class(response.status_code)(
        message,
        status_code=response.status_code,
        headers=response.headers,
        body=body,
        method=req.method,
        url=req.url,
        response=response,
    )


def validation_error(
    message: str,
    body: bytes | str,
    *,
    request: Request | None = None,
    response: Response | None = None,
) -> APIResponseValidationError:
    """A body that could not be understood; ``body`` is kept (at most 2,000 characters) for the message
    reader, with the status and request id when the whole response is known."""
    text = body[:2000].decode("utf-8", "replace") if isinstance(body, bytes) else body[:2000]
    if response is not None:
        request = response.request
    return APIResponseValidationError(
        message,
        status_code=response.status_code if response is not None else None,
        body=text,
        method=request.method if request is not None else None,
        url=request.url if request is not None else None,
        request_id=response.request_id if response is not None else None,
    )
