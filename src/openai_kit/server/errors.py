"""Errors in the API's wire format: ``{"error": {"message", "type", "param", "code"}}``."""

from __future__ import annotations

from typing import Any

from .._errors import error_payload


class RequestError(Exception):
    """Raised anywhere in a request; the app turns it into the API's error body and status. (Not the client's
    :class:`openai_kit.APIError`: this is the server side of the same wire format.)"""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code

    def body(self) -> dict[str, Any]:
        return error_payload(self.message, type=self.type, param=self.param, code=self.code)


def invalid(param: str, message: str, *, code: str | None = None, status: int = 400) -> RequestError:
    """A 400 naming the bad parameter."""
    return RequestError(status, message, param=param, code=code)


def missing(param: str) -> RequestError:
    return RequestError(
        400, f"Missing required parameter: '{param}'.", param=param, code="missing_required_parameter"
    )


def not_found(label: str, object_id: str, param: str) -> RequestError:
    return RequestError(404, f"No {label} found with id '{object_id}'.", param=param, code="not_found")
