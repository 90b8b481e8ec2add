"""openai-kit: a fast, fully typed toolkit for the OpenAI API.

Names are loaded on first use, so ``import openai_kit`` stays cheap; ``from openai_kit import OpenAI``
loads only the client core (no response model is imported until an operation needs it).

Every public name is listed once, in ``_EXPORTS`` (name -> defining module): ``__all__`` and the lazy
loader derive from it. The ``TYPE_CHECKING`` imports tell type checkers the same; a test keeps the two
equal (tests/core/test_smoke.py).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._official_modules import install as _install_official_modules
from ._version import __version__

if TYPE_CHECKING:
    from ._azure import (
        AsyncAzureOpenAI as AsyncAzureOpenAI,
        AzureOpenAI as AzureOpenAI,
    )
    from ._binary import (
        AsyncBinaryResponse as AsyncBinaryResponse,
        BinaryResponse as BinaryResponse,
    )
    from ._client import (
        DEFAULT_MAX_RETRIES as DEFAULT_MAX_RETRIES,
        AsyncClient as AsyncClient,
        AsyncOpenAI as AsyncOpenAI,
        Client as Client,
        OpenAI as OpenAI,
    )
    from ._compat import (
        DataResidency as DataResidency,
        NoneType as NoneType,
        OAuthError as OAuthError,
        ProxiesTypes as ProxiesTypes,
        Transport as Transport,
        WebSocketConnectionClosedError as WebSocketConnectionClosedError,
        WebSocketQueueFullError as WebSocketQueueFullError,
    )
    from ._config import (
        ConfigWarning as ConfigWarning,
        Settings as Settings,
        find_config_file as find_config_file,
        load_config_file as load_config_file,
        resolve_settings as resolve_settings,
    )
    from ._errors import (
        APIConnectionError as APIConnectionError,
        APIError as APIError,
        APIResponseValidationError as APIResponseValidationError,
        APIStatusError as APIStatusError,
        APITimeoutError as APITimeoutError,
        AuthenticationError as AuthenticationError,
        BadRequestError as BadRequestError,
        ConfigError as ConfigError,
        ConflictError as ConflictError,
        InternalServerError as InternalServerError,
        MissingAPIKeyError as MissingAPIKeyError,
        NotFoundError as NotFoundError,
        OpenAIError as OpenAIError,
        PermissionDeniedError as PermissionDeniedError,
        RateLimitError as RateLimitError,
        UnprocessableEntityError as UnprocessableEntityError,
    )
    from ._http_clients import (
        DEFAULT_CONNECTION_LIMITS as DEFAULT_CONNECTION_LIMITS,
        DefaultAioHttpClient as DefaultAioHttpClient,
        DefaultAsyncHttpx2Client as DefaultAsyncHttpx2Client,
        DefaultAsyncHttpxClient as DefaultAsyncHttpxClient,
        DefaultHttpx2Client as DefaultHttpx2Client,
        DefaultHttpxClient as DefaultHttpxClient,
    )
    from ._models import (
        BaseModel as BaseModel,
    )
    from ._multipart import (
        file_from_path as file_from_path,
    )
    from ._pagination import (
        AsyncPage as AsyncPage,
        SyncPage as SyncPage,
    )
    from ._provider import (
        AzureProvider as AzureProvider,
        OpenAIProvider as OpenAIProvider,
        Provider as Provider,
    )
    from ._response import (
        APIResponse as APIResponse,
        AsyncAPIResponse as AsyncAPIResponse,
        LegacyAPIResponse as LegacyAPIResponse,
    )
    from ._retries import (
        RetryPolicy as RetryPolicy,
    )
    from ._sdk_helpers.assistant_stream import (
        AssistantEventHandler as AssistantEventHandler,
        AsyncAssistantEventHandler as AsyncAssistantEventHandler,
    )
    from ._sse import (
        ServerSentEvent as ServerSentEvent,
        SSEDecoder as SSEDecoder,
    )
    from ._streaming import (
        AsyncStream as AsyncStream,
        Stream as Stream,
    )
    from ._timeouts import (
        DEFAULT_TIMEOUT as DEFAULT_TIMEOUT,
        Timeout as Timeout,
    )
    from ._transports import (
        Request as Request,
        Response as Response,
    )
    from ._transports.mock import (
        MockResponse as MockResponse,
        MockTransport as MockTransport,
    )
    from ._types import (
        NOT_GIVEN as NOT_GIVEN,
        NotGiven as NotGiven,
        Omit as Omit,
        RequestOptions as RequestOptions,
        not_given as not_given,
        omit as omit,
    )
    from .ratelimit import RateLimiter as RateLimiter
    from .realtime import (
        ReconnectingEvent as ReconnectingEvent,
        ReconnectingOverrides as ReconnectingOverrides,
    )
    from .structured import (
        ContentFilterFinishReasonError as ContentFilterFinishReasonError,
        LengthFinishReasonError as LengthFinishReasonError,
        StructuredOutputError as StructuredOutputError,
        pydantic_function_tool as pydantic_function_tool,
        pydantic_responses_function_tool as pydantic_responses_function_tool,
    )
    from .webhooks import (
        InvalidWebhookSignatureError as InvalidWebhookSignatureError,
    )

#: every public name -> the module that defines it
_EXPORTS: dict[str, str] = {
    "AsyncAzureOpenAI": "_azure",
    "AzureOpenAI": "_azure",
    "AsyncBinaryResponse": "_binary",
    "BinaryResponse": "_binary",
    "DEFAULT_MAX_RETRIES": "_client",
    "AsyncOpenAI": "_client",
    "OpenAI": "_client",
    "Client": "_client",
    "AsyncClient": "_client",
    "Settings": "_config",
    "find_config_file": "_config",
    "load_config_file": "_config",
    "resolve_settings": "_config",
    "ConfigWarning": "_config",
    "APIConnectionError": "_errors",
    "APIError": "_errors",
    "APIResponseValidationError": "_errors",
    "APIStatusError": "_errors",
    "APITimeoutError": "_errors",
    "AuthenticationError": "_errors",
    "BadRequestError": "_errors",
    "ConfigError": "_errors",
    "ConflictError": "_errors",
    "InternalServerError": "_errors",
    "MissingAPIKeyError": "_errors",
    "NotFoundError": "_errors",
    "OpenAIError": "_errors",
    "PermissionDeniedError": "_errors",
    "RateLimitError": "_errors",
    "UnprocessableEntityError": "_errors",
    "DEFAULT_CONNECTION_LIMITS": "_http_clients",
    "DefaultAsyncHttpxClient": "_http_clients",
    "DefaultHttpxClient": "_http_clients",
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
    "BaseModel": "_models",
    "file_from_path": "_multipart",
    "AsyncPage": "_pagination",
    "SyncPage": "_pagination",
    "AzureProvider": "_provider",
    "OpenAIProvider": "_provider",
    "Provider": "_provider",
    "APIResponse": "_response",
    "AsyncAPIResponse": "_response",
    "RetryPolicy": "_retries",
    "AssistantEventHandler": "_sdk_helpers.assistant_stream",
    "AsyncAssistantEventHandler": "_sdk_helpers.assistant_stream",
    "ServerSentEvent": "_sse",
    "SSEDecoder": "_sse",
    "AsyncStream": "_streaming",
    "Stream": "_streaming",
    "DEFAULT_TIMEOUT": "_timeouts",
    "Timeout": "_timeouts",
    "Request": "_transports",
    "Response": "_transports",
    "MockResponse": "_transports.mock",
    "MockTransport": "_transports.mock",
    "NOT_GIVEN": "_types",
    "NotGiven": "_types",
    "Omit": "_types",
    "RequestOptions": "_types",
    "not_given": "_types",
    "omit": "_types",
    "ContentFilterFinishReasonError": "structured",
    "LengthFinishReasonError": "structured",
    "StructuredOutputError": "structured",
    "pydantic_function_tool": "structured",
    "pydantic_responses_function_tool": "structured",
    "InvalidWebhookSignatureError": "webhooks",
}
VERSION = __version__
__title__ = "openai_kit"
_install_official_modules()  # the official SDK's module paths (openai_kit.types.chat.chat_completion...)
_EXPORTS["RateLimiter"] = "ratelimit"  # client-side rate limiting (issue 16)
_EXPORTS.update(ReconnectingEvent="realtime", ReconnectingOverrides="realtime")  # websocket reconnection
__all__ = [*_EXPORTS, "VERSION", "__version__"]


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

#: openai-kit modules of their own, not resources of the module-level client
_OWN_MODULES = frozenset(
    {
        "types",
        "resources",
        "cli",
        "server",
        "proxy",
        "webhooks",
        "structured",
        "tools",
        "polling",
        "realtime",
        "pagination",
        "version",
    }
)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is not None:
        value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
        globals()[name] = value
        return value
    if name in _OWN_MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    from .resources._root import ROOT_RESOURCES

    if name in ROOT_RESOURCES:
        import sys

        from ._module_client import module_client

        return getattr(module_client(sys.modules[__name__]), name)
    raise AttributeError(f"module 'openai_kit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
