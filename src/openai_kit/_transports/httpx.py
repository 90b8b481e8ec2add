"""Adapters for a caller-supplied ``httpx.Client`` / ``httpx.AsyncClient``.

Used when ``http_client=`` is an httpx client, so code written for the official SDK (proxies, mounts,
custom transports, event hooks) keeps working. ``httpx2`` clients (the official SDK 3.x builds on that
fork: ``openai.DefaultHttpxClient``) work the same way: the adapter uses the module the client comes
from for timeouts and errors. openai-kit never closes a client it did not create.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import AsyncIterator, Iterator
from types import ModuleType
from typing import Any

from .._errors import APIConnectionError, APITimeoutError
from .._timeouts import Timeout
from .._utils import package_of
from ._base import Request, Response

__all__ = ["HttpxAsyncTransport", "HttpxSyncTransport"]

#: how much of a finished stream's rest a clean close reads before giving up on reusing the connection
_DRAIN_LIMIT = 1 << 16


def httpx_package(client: object) -> str | None:
    """``"httpx"`` or ``"httpx2"`` when ``client`` is (a subclass of) one of their clients, else None."""
    return package_of(client, "httpx", "httpx2")


class _Flavor:
    """What the adapter needs from ``httpx`` or ``httpx2``: the one the client was built with."""

    __slots__ = ("HTTPError", "TimeoutException", "mod")

    def __init__(self, client: object) -> None:
        self.mod: ModuleType = importlib.import_module(httpx_package(client) or "httpx")
        self.HTTPError: type[Exception] = self.mod.HTTPError
        self.TimeoutException: type[Exception] = self.mod.TimeoutException

    def timeout(self, timeout: Timeout, stream: bool) -> Any:
        return self.mod.Timeout(
            connect=timeout.connect,
            read=timeout.stream_idle if stream else timeout.read,
            write=timeout.write,
            pool=timeout.pool,
        )

    def error(self, exc: BaseException, request: Request) -> Exception:
        # connect errors and connect/pool timeouts happen before anything is sent
        unsent = isinstance(exc, (self.mod.ConnectError, self.mod.ConnectTimeout, self.mod.PoolTimeout))
        if isinstance(exc, self.TimeoutException):
            return APITimeoutError(method=request.method, url=request.url, request_sent=not unsent)
        return APIConnectionError(
            f"Connection error: {type(exc).__name__}",
            method=request.method,
            url=request.url,
            request_sent=not unsent,
        )


class HttpxSyncTransport:
    def __init__(self, client: Any) -> None:
        """``client``: an ``httpx.Client`` or ``httpx2.Client``."""
        self.client = client
        self.flavor = _Flavor(client)

    def send(self, request: Request, *, stream: bool, timeout: Timeout) -> Response:
        content: Any = request.content
        if content is not None and not isinstance(content, bytes):
            content = iter(content)
        flavor = self.flavor
        started = time.monotonic()
        try:
            req = self.client.build_request(
                request.method,
                request.url,
                headers=request.headers,
                content=content,
                timeout=flavor.timeout(timeout, stream),
            )
            raw = self.client.send(req, stream=True)
        except flavor.HTTPError as exc:
            raise flavor.error(exc, request) from exc
        headers = {k.lower(): v for k, v in raw.headers.items()}
        elapsed = time.monotonic() - started
        if not stream:
            try:
                body = raw.read()
            except flavor.HTTPError as exc:
                raise flavor.error(exc, request) from exc
            finally:
                raw.close()
            return Response(raw.status_code, headers, request, content=body, elapsed=elapsed)

        chunks = raw.iter_bytes()  # one iterator: a clean close goes on reading where the reader stopped

        def iter_chunks() -> Iterator[bytes]:
            try:
                for chunk in chunks:  # noqa: UP028 (``yield from`` would end ``chunks`` when abandoned)
                    yield chunk
            except flavor.HTTPError as exc:
                raw.close()
                raise flavor.error(exc, request) from exc

        def close(drain: bool) -> None:
            # httpcore reuses a connection only after a complete, well-framed response (h11's state
            # machine) and discards it otherwise; a clean close reads the rest (normally the chunked
            # terminator, bounded) so that it can
            if drain:
                try:
                    read = 0
                    for chunk in chunks:
                        read += len(chunk)
                        if read > _DRAIN_LIMIT:
                            break
                except Exception:
                    pass
            raw.close()

        return Response(
            raw.status_code, headers, request, iter_chunks=iter_chunks, close=close, elapsed=elapsed
        )

    def close(self) -> None:
        """Does nothing: the caller owns the httpx client."""


class HttpxAsyncTransport:
    def __init__(self, client: Any) -> None:
        """``client``: an ``httpx.AsyncClient`` or ``httpx2.AsyncClient``."""
        self.client = client
        self.flavor = _Flavor(client)

    async def send(self, request: Request, *, stream: bool, timeout: Timeout) -> Response:
        content: Any = request.content
        if content is not None and not isinstance(content, bytes):
            content = content.__aiter__()
        flavor = self.flavor
        started = time.monotonic()
        try:
            req = self.client.build_request(
                request.method,
                request.url,
                headers=request.headers,
                content=content,
                timeout=flavor.timeout(timeout, stream),
            )
            raw = await self.client.send(req, stream=True)
        except flavor.HTTPError as exc:
            raise flavor.error(exc, request) from exc
        headers = {k.lower(): v for k, v in raw.headers.items()}
        elapsed = time.monotonic() - started
        if not stream:
            try:
                body = await raw.aread()
            except flavor.HTTPError as exc:
                raise flavor.error(exc, request) from exc
            finally:
                await raw.aclose()
            return Response(raw.status_code, headers, request, content=body, elapsed=elapsed)

        chunks = raw.aiter_bytes()

        async def aiter_chunks() -> AsyncIterator[bytes]:
            try:
                async for chunk in chunks:
                    yield chunk
            except flavor.HTTPError as exc:
                await raw.aclose()
                raise flavor.error(exc, request) from exc

        async def aclose(drain: bool) -> None:
            if drain:
                try:
                    read = 0
                    async for chunk in chunks:
                        read += len(chunk)
                        if read > _DRAIN_LIMIT:
                            break
                except Exception:
                    pass
            await raw.aclose()

        return Response(
            raw.status_code, headers, request, aiter_chunks=aiter_chunks, aclose=aclose, elapsed=elapsed
        )

    async def aclose(self) -> None:
        """Does nothing: the caller owns the httpx client."""
