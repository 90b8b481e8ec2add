"""``DefaultHttpxClient`` / ``DefaultAsyncHttpxClient``: httpx clients with openai-kit's defaults, for code
that passes ``http_client=`` (a proxy, custom certificates, mounts) the way the official SDK documents.

openai-kit's own transports (urllib3, aiohttp) are faster; use these only when you need an httpx feature.
Imported on first use, so ``import openai_kit`` does not load httpx.
"""

from __future__ import annotations

from typing import Any

import httpx

__all__ = ["DEFAULT_CONNECTION_LIMITS", "DefaultAsyncHttpxClient", "DefaultHttpxClient"]

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
