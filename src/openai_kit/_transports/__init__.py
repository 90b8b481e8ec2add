"""Transports: the only code that talks to the network.

A transport turns a :class:`Request` into a :class:`Response`. The defaults are chosen on measured CPU
cost per request (see ``benchmarks/RESULTS.md``): urllib3 for the sync client, aiohttp for the async
client. A caller-supplied ``httpx.Client`` / ``httpx.AsyncClient`` is served by the httpx adapters.
"""

from __future__ import annotations

from typing import Any, cast

from .._errors import ConfigError
from .._utils import package_of
from ._base import AsyncTransport, Request, Response, SyncTransport

__all__ = ["AsyncTransport", "Request", "Response", "SyncTransport", "async_transport", "sync_transport"]


def sync_transport(http_client: Any) -> SyncTransport:
    """The transport for ``OpenAI(http_client=...)``: urllib3 by default; an httpx / httpx2 client, a
    ``urllib3.PoolManager`` or anything with the :class:`SyncTransport` methods otherwise."""
    if http_client is None:
        from .urllib3 import Urllib3Transport

        return Urllib3Transport()
    from .httpx import HttpxSyncTransport, httpx_package

    if httpx_package(http_client):
        return HttpxSyncTransport(http_client)
    if package_of(http_client, "urllib3"):
        from .urllib3 import Urllib3Transport

        return Urllib3Transport(pool_manager=http_client)
    if callable(getattr(http_client, "send", None)):
        return cast(SyncTransport, http_client)
    raise ConfigError(
        f"http_client: unsupported type {type(http_client).__name__}; pass an httpx.Client, "
        "a urllib3.PoolManager or a transport with send()"
    )


def async_transport(http_client: Any) -> AsyncTransport:
    """The transport for ``AsyncOpenAI(http_client=...)``: aiohttp by default; an httpx / httpx2 async
    client, an ``aiohttp.ClientSession``, a :class:`~openai_kit.MockTransport` or anything with the
    :class:`AsyncTransport` methods otherwise."""
    if http_client is None or getattr(http_client, "_openai_kit_default", False):  # DefaultAioHttpClient
        from .aiohttp import AiohttpTransport

        return AiohttpTransport()
    from .httpx import HttpxAsyncTransport, httpx_package
    from .mock import MockTransport, _AsyncView

    if isinstance(http_client, MockTransport):
        return _AsyncView(http_client)
    if httpx_package(http_client):
        return HttpxAsyncTransport(http_client)
    if package_of(http_client, "aiohttp"):
        from .aiohttp import AiohttpTransport

        return AiohttpTransport(session=http_client)
    if callable(getattr(http_client, "send", None)):
        return cast(AsyncTransport, http_client)
    raise ConfigError(
        f"http_client: unsupported type {type(http_client).__name__}; pass an "
        "httpx.AsyncClient, an aiohttp.ClientSession or a transport with send()"
    )
