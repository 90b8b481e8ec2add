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
    """The realtime websocket was closed while a message was being sent or awaited; ``unsent_messages``
    (and ``unsent_frames``, in order) hold what was queued and never sent."""

    def __init__(self, message: str, *, unsent_messages: list[str] | list[str | bytes] | None = None) -> None:
        super().__init__(message)
        self.unsent_frames: list[str] | list[str | bytes] = list(unsent_messages or [])
        self.unsent_messages: list[str] = []
        for frame in self.unsent_frames:
            if isinstance(frame, bytes):
                try:
                    frame = frame.decode()
                except UnicodeDecodeError:
                    continue  # opaque binary stays in unsent_frames only
            self.unsent_messages.append(frame)


class WebSocketQueueFullError(OpenAIError):
    """Too many realtime messages are waiting to be sent."""
