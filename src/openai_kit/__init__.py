"""openai-kit: a fast, fully typed toolkit for the OpenAI API.

Names are loaded on first use, so ``import openai_kit`` stays cheap; ``from openai_kit import OpenAI``
loads only the client core (no response model is imported until an operation needs it).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from ._azure import AsyncAzureOpenAI, AzureOpenAI
    from ._binary import AsyncBinaryResponse, BinaryResponse
    from ._client import AsyncOpenAI, OpenAI
    from ._config import Settings, find_config_file, load_config_file, resolve_settings
    from ._errors import (
        APIConnectionError,
        APIError,
        APIResponseValidationError,
        APIStatusError,
        APITimeoutError,
        AuthenticationError,
        BadRequestError,
        ConfigError,
        ConflictError,
        InternalServerError,
        MissingAPIKeyError,
        NotFoundError,
        OpenAIError,
        PermissionDeniedError,
        RateLimitError,
        UnprocessableEntityError,
    )
    from ._models import BaseModel
    from ._pagination import AsyncPage, SyncPage
    from ._response import APIResponse, AsyncAPIResponse
    from ._retries import RetryPolicy
    from ._sse import ServerSentEvent, SSEDecoder
    from ._streaming import AsyncStream, Stream
    from ._timeouts import Timeout
    from ._transports import Request, Response
    from ._types import NOT_GIVEN, NotGiven, RequestOptions

_EXPORTS: dict[str, str] = {
    "OpenAI": "_client",
    "AsyncOpenAI": "_client",
    "AzureOpenAI": "_azure",
    "AsyncAzureOpenAI": "_azure",
    "BinaryResponse": "_binary",
    "AsyncBinaryResponse": "_binary",
    "Settings": "_config",
    "find_config_file": "_config",
    "load_config_file": "_config",
    "resolve_settings": "_config",
    "BaseModel": "_models",
    "SyncPage": "_pagination",
    "AsyncPage": "_pagination",
    "APIResponse": "_response",
    "AsyncAPIResponse": "_response",
    "RetryPolicy": "_retries",
    "ServerSentEvent": "_sse",
    "SSEDecoder": "_sse",
    "Stream": "_streaming",
    "AsyncStream": "_streaming",
    "Timeout": "_timeouts",
    "Request": "_transports",
    "Response": "_transports",
    "NOT_GIVEN": "_types",
    "NotGiven": "_types",
    "RequestOptions": "_types",
}
for _name in [
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
]:
    _EXPORTS[_name] = "_errors"

__all__ = [
    "NOT_GIVEN",
    "APIConnectionError",
    "APIError",
    "APIResponse",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncAPIResponse",
    "AsyncAzureOpenAI",
    "AsyncBinaryResponse",
    "AsyncOpenAI",
    "AsyncPage",
    "AsyncStream",
    "AuthenticationError",
    "AzureOpenAI",
    "BadRequestError",
    "BaseModel",
    "BinaryResponse",
    "ConfigError",
    "ConflictError",
    "InternalServerError",
    "MissingAPIKeyError",
    "NotFoundError",
    "NotGiven",
    "OpenAI",
    "OpenAIError",
    "PermissionDeniedError",
    "RateLimitError",
    "Request",
    "RequestOptions",
    "Response",
    "RetryPolicy",
    "SSEDecoder",
    "ServerSentEvent",
    "Settings",
    "Stream",
    "SyncPage",
    "Timeout",
    "UnprocessableEntityError",
    "__version__",
    "find_config_file",
    "load_config_file",
    "resolve_settings",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        if name in ("types", "resources", "cli", "server", "proxy"):
            return importlib.import_module(f"{__name__}.{name}")
        raise AttributeError(f"module 'openai_kit' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
