"""Adapters for a caller-supplied ``httpx.Client`` / ``httpx.AsyncClient``.

Used when ``http_client=`` is an httpx client, so code written for the official SDK (proxies, mounts,
custom transports, event hooks) keeps working. openai-kit never closes a client it did not create.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx

from .._errors import APIConnectionError, APITimeoutError
from .._timeouts import Timeout
from ._base import Request, Response

__all__ = ["HttpxAsyncTransport", "HttpxSyncTransport"]


def _timeout(timeout: Timeout, stream: bool) -> httpx.Timeout:
    return httpx.Timeout(
        connect=timeout.connect,
        read=timeout.stream_idle if stream else timeout.read,
        write=timeout.write,
        pool=timeout.pool,
    )


def _map_error(exc: BaseException, request: Request) -> Exception:
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(method=request.method, url=request.url)
    return APIConnectionError(
        f"Connection error: {type(exc).__name__}", method=request.method, url=request.url
    )


class HttpxSyncTransport:
    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def send(self, request: Request, *, stream: bool, timeout: Timeout) -> Response:
        content: Any = request.content
        if content is not None and not isinstance(content, bytes):
            content = iter(content)
        started = time.monotonic()
        try:
            req = self.client.build_request(
                request.method,
                request.url,
                headers=request.headers,
                content=content,
                timeout=_timeout(timeout, stream),
            )
            raw = self.client.send(req, stream=True)
        except httpx.HTTPError as exc:
            raise _map_error(exc, request) from exc
        headers = {k.lower(): v for k, v in raw.headers.items()}
        elapsed = time.monotonic() - started
        if not stream:
            try:
                body = raw.read()
            except httpx.HTTPError as exc:
                raise _map_error(exc, request) from exc
            finally:
                raw.close()
            return Response(raw.status_code, headers, request, content=body, elapsed=elapsed)

        def iter_chunks() -> Iterator[bytes]:
            try:
                yield from raw.iter_bytes()
            except httpx.HTTPError as exc:
                raw.close()
                raise _map_error(exc, request) from exc

        def close(drain: bool) -> None:
            del drain  # httpx drains or discards by itself
            raw.close()

        return Response(
            raw.status_code, headers, request, iter_chunks=iter_chunks, close=close, elapsed=elapsed
        )

    def close(self) -> None:
        """Does nothing: the caller owns the httpx client."""


class HttpxAsyncTransport:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def send(self, request: Request, *, stream: bool, timeout: Timeout) -> Response:
        content: Any = request.content
        if content is not None and not isinstance(content, bytes):
            content = content.__aiter__()
        started = time.monotonic()
        try:
            req = self.client.build_request(
                request.method,
                request.url,
                headers=request.headers,
                content=content,
                timeout=_timeout(timeout, stream),
            )
            raw = await self.client.send(req, stream=True)
        except httpx.HTTPError as exc:
            raise _map_error(exc, request) from exc
        headers = {k.lower(): v for k, v in raw.headers.items()}
        elapsed = time.monotonic() - started
        if not stream:
            try:
                body = await raw.aread()
            except httpx.HTTPError as exc:
                raise _map_error(exc, request) from exc
            finally:
                await raw.aclose()
            return Response(raw.status_code, headers, request, content=body, elapsed=elapsed)

        async def aiter_chunks() -> AsyncIterator[bytes]:
            try:
                async for chunk in raw.aiter_bytes():
                    yield chunk
            except httpx.HTTPError as exc:
                await raw.aclose()
                raise _map_error(exc, request) from exc

        async def aclose(drain: bool) -> None:
            del drain
            await raw.aclose()

        return Response(
            raw.status_code, headers, request, aiter_chunks=aiter_chunks, aclose=aclose, elapsed=elapsed
        )

    async def aclose(self) -> None:
        """Does nothing: the caller owns the httpx client."""
