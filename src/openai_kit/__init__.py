"""openai-kit: a fast, fully typed toolkit for the OpenAI API.

Names are loaded on first use, so ``import openai_kit`` stays cheap; ``from openai_kit import OpenAI``
loads only the client core (no response model is imported until an operation needs it).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._official_modules import install as _install_official_modules
from ._version import __version__

if TYPE_CHECKING:
    from ._azure import AsyncAzureOpenAI, AzureOpenAI
    from ._binary import AsyncBinaryResponse, BinaryResponse
    from ._client import DEFAULT_MAX_RETRIES, AsyncOpenAI, OpenAI
    from ._compat import (
        DataResidency,
        NoneType,
        OAuthError,
        ProxiesTypes,
        Transport,
        WebSocketConnectionClosedError,
        WebSocketQueueFullError,
    )
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
    from ._http_clients import (
        DEFAULT_CONNECTION_LIMITS,
        DefaultAioHttpClient,
        DefaultAsyncHttpx2Client,
        DefaultAsyncHttpxClient,
        DefaultHttpx2Client,
        DefaultHttpxClient,
    )
    from ._models import BaseModel
    from ._multipart import file_from_path
    from ._pagination import AsyncPage, SyncPage
    from ._response import APIResponse, AsyncAPIResponse
    from ._retries import RetryPolicy
    from ._sdk_helpers.assistant_stream import AssistantEventHandler, AsyncAssistantEventHandler
    from ._sse import ServerSentEvent, SSEDecoder
    from ._streaming import AsyncStream, Stream
    from ._timeouts import DEFAULT_TIMEOUT, Timeout
    from ._transports import Request, Response
    from ._types import NOT_GIVEN, NotGiven, Omit, RequestOptions, not_given, omit
    from .structured import (
        ContentFilterFinishReasonError,
        LengthFinishReasonError,
        StructuredOutputError,
        pydantic_function_tool,
        pydantic_responses_function_tool,
    )
    from .webhooks import InvalidWebhookSignatureError

_EXPORTS: dict[str, str] = {
    "OpenAI": "_client",
    "AsyncOpenAI": "_client",
    "Client": "_client",
    "AsyncClient": "_client",
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
    "not_given": "_types",
    "Omit": "_types",
    "omit": "_types",
    "DEFAULT_MAX_RETRIES": "_client",
    "DEFAULT_TIMEOUT": "_timeouts",
    "DefaultHttpxClient": "_http_clients",
    "DefaultAsyncHttpxClient": "_http_clients",
    "DEFAULT_CONNECTION_LIMITS": "_http_clients",
    "file_from_path": "_multipart",
    "InvalidWebhookSignatureError": "webhooks",
    "LengthFinishReasonError": "structured",
    "ContentFilterFinishReasonError": "structured",
    "StructuredOutputError": "structured",
    "pydantic_function_tool": "structured",
    "pydantic_responses_function_tool": "structured",
    "AssistantEventHandler": "_sdk_helpers.assistant_stream",
    "AsyncAssistantEventHandler": "_sdk_helpers.assistant_stream",
    # the official SDK's other top-level names
    "DefaultAioHttpClient": "_http_clients",
    "DefaultHttpx2Client": "_http_clients",
    "DefaultAsyncHttpx2Client": "_http_clients",
    "DataResidency": "_compat",
    "NoneType": "_compat",
    "OAuthError": "_compat",
    "ProxiesTypes": "_compat",
    "Transport": "_compat",
    "WebSocketConnectionClosedError": "_compat",
    "WebSocketQueueFullError": "_compat",
    "LegacyAPIResponse": "_response",
}
VERSION = __version__
__title__ = "openai_kit"
_install_official_modules()  # the official SDK's module paths (openai_kit.types.chat.chat_completion...)
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
    "DEFAULT_CONNECTION_LIMITS",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "NOT_GIVEN",
    "VERSION",
    "APIConnectionError",
    "APIError",
    "APIResponse",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AssistantEventHandler",
    "AsyncAPIResponse",
    "AsyncAssistantEventHandler",
    "AsyncAzureOpenAI",
    "AsyncBinaryResponse",
    "AsyncClient",
    "AsyncOpenAI",
    "AsyncPage",
    "AsyncStream",
    "AuthenticationError",
    "AzureOpenAI",
    "BadRequestError",
    "BaseModel",
    "BinaryResponse",
    "Client",
    "ConfigError",
    "ConflictError",
    "ContentFilterFinishReasonError",
    # the official SDK's other top-level names
    "DataResidency",
    "DefaultAioHttpClient",
    "DefaultAsyncHttpx2Client",
    "DefaultAsyncHttpxClient",
    "DefaultHttpx2Client",
    "DefaultHttpxClient",
    "InternalServerError",
    "InvalidWebhookSignatureError",
    "LegacyAPIResponse",
    "LengthFinishReasonError",
    "MissingAPIKeyError",
    "NoneType",
    "NotFoundError",
    "NotGiven",
    "OAuthError",
    "Omit",
    "OpenAI",
    "OpenAIError",
    "PermissionDeniedError",
    "ProxiesTypes",
    "RateLimitError",
    "Request",
    "RequestOptions",
    "Response",
    "RetryPolicy",
    "SSEDecoder",
    "ServerSentEvent",
    "Settings",
    "Stream",
    "StructuredOutputError",
    "SyncPage",
    "Timeout",
    "Transport",
    "UnprocessableEntityError",
    "WebSocketConnectionClosedError",
    "WebSocketQueueFullError",
    "__version__",
    "file_from_path",
    "find_config_file",
    "load_config_file",
    "not_given",
    "omit",
    "pydantic_function_tool",
    "pydantic_responses_function_tool",
    "resolve_settings",
]


# The module-level client (``openai_kit.api_key = ...; openai_kit.chat.completions.create(...)``): these
# settings are read on every use; ``None`` means "from the .openai file or the environment".
api_key: str | None = None
organization: str | None = None
project: str | None = None
base_url: str | None = None
timeout: float | Timeout | None = None
max_retries: int | None = None
default_headers: dict[str, str] | None = None
default_query: dict[str, object] | None = None
webhook_secret: str | None = None
http_client: Any = None

#: resources reachable on the module (``realtime`` and ``webhooks`` are openai-kit modules of their own)
_MODULE_RESOURCES = frozenset(
    {
        "admin", "audio", "batches", "beta", "chat", "completions", "containers", "content_provenance_checks",
        "conversations", "embeddings", "evals", "files", "fine_tuning", "images", "models", "moderations",
        "responses", "skills", "uploads", "vector_stores", "videos",
    }
)  # fmt: skip


def __getattr__(name: str) -> Any:
    if name in _MODULE_RESOURCES:
        import sys

        from ._module_client import module_client

        return getattr(module_client(sys.modules[__name__]), name)
    module = _EXPORTS.get(name)
    if module is None:
        if name in (
            "types",
            "resources",
            "cli",
            "server",
            "proxy",
            "webhooks",
            "structured",
            "tools",
            "polling",
            "pagination",
            "version",
        ):
            return importlib.import_module(f"{__name__}.{name}")
        raise AttributeError(f"module 'openai_kit' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
