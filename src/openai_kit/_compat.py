"""Small names of the official SDK's top level that code may import or annotate with."""

from __future__ import annotations

from typing import Any, Literal, TypeAlias

from ._errors import AuthenticationError, OpenAIError
from ._transports._base import SyncTransport

__all__ = [
    "DataResidency",
    "NoneType",
    "OAuthError",
    "ProxiesTypes",
    "Transport",
    "WebSocketConnectionClosedError",
    "WebSocketQueueFullError",
]

NoneType: type[None] = type(None)
#: regional endpoints the official SDK knows by name
DataResidency: TypeAlias = Literal["global", "us", "eu", "ae", "au", "in", "jp"]
#: what httpx accepts as ``proxy=`` (a URL or a proxy object)
ProxiesTypes: TypeAlias = str | Any
#: openai-kit's transports (``http_client=`` also accepts any object with ``send()``)
Transport: TypeAlias = SyncTransport


class OAuthError(AuthenticationError):
    """An authentication failure reported by a token endpoint."""


class WebSocketConnectionClosedError(OpenAIError):
    """The realtime websocket was closed while a message was being sent or awaited."""


class WebSocketQueueFullError(OpenAIError):
    """Too many realtime messages are waiting to be sent."""
