"""``DefaultHttpxClient`` / ``DefaultAsyncHttpxClient``: httpx clients with openai-kit's defaults, for code
that passes ``http_client=`` (a proxy, custom certificates, mounts) the way the official SDK documents.

openai-kit's own transports (urllib3, aiohttp) are faster; use these only when you need an httpx feature.
Imported on first use, so ``import openai_kit`` does not load httpx.
"""

from __future__ import annotations

from typing import Any

import httpx

__all__ = [
    "DEFAULT_CONNECTION_LIMITS",
    "DefaultAioHttpClient",
    "DefaultAsyncHttpxClient",
    "DefaultHttpxClient",
]

DEFAULT_CONNECTION_LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=100)


def _defaults(kwargs: dict[str, Any]) -> dict[str, Any]:
    # per-request timeouts come from the openai-kit client; this one only bounds a request made directly
    kwargs.setdefault("timeout", httpx.Timeout(600.0, connect=5.0))
    kwargs.setdefault("limits", DEFAULT_CONNECTION_LIMITS)
    kwargs.setdefault("follow_redirects", True)
    return kwargs


class DefaultHttpxClient(httpx.Client):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**_defaults(kwargs))


class DefaultAsyncHttpxClient(httpx.AsyncClient):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**_defaults(kwargs))


class DefaultAioHttpClient:
    """``AsyncOpenAI(http_client=DefaultAioHttpClient())``: openai-kit's own aiohttp transport (already
    the default of the async client), owned and closed by the client. Keyword arguments are accepted for
    compatibility and ignored."""

    _openai_kit_default = True

    def __init__(self, **kwargs: Any) -> None:
        self.options = kwargs


def _httpx2_classes() -> tuple[type, type]:
    import httpx2

    def defaults(kwargs: dict[str, Any]) -> dict[str, Any]:
        kwargs.setdefault("timeout", httpx2.Timeout(600.0, connect=5.0))
        kwargs.setdefault("limits", httpx2.Limits(max_connections=1000, max_keepalive_connections=100))
        kwargs.setdefault("follow_redirects", True)
        return kwargs

    class DefaultHttpx2Client(httpx2.Client):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**defaults(kwargs))

    class DefaultAsyncHttpx2Client(httpx2.AsyncClient):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**defaults(kwargs))

    for cls in (DefaultHttpx2Client, DefaultAsyncHttpx2Client):
        cls.__qualname__ = cls.__name__
    return DefaultHttpx2Client, DefaultAsyncHttpx2Client


def __getattr__(name: str) -> Any:
    """``DefaultHttpx2Client`` / ``DefaultAsyncHttpx2Client``: httpx2 (the official SDK 3.x's HTTP
    library) clients with the same defaults; built on first use, they need ``httpx2`` installed."""
    if name in ("DefaultHttpx2Client", "DefaultAsyncHttpx2Client"):
        sync_cls, async_cls = _httpx2_classes()
        globals().update(DefaultHttpx2Client=sync_cls, DefaultAsyncHttpx2Client=async_cls)
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
