"""``OpenAI`` and ``AsyncOpenAI``: the public clients.

Both are a :class:`~openai_kit._base_client._ClientCore` (settings, views, request preparation) plus the
generated root resources (``client.chat``, ``client.files``...; importing ``resources._root`` here is the
one place where the core reaches into generated code, documented in docs/ARCHITECTURE.md). They differ
only in how they drive the shared request pipeline (:mod:`openai_kit._pipeline`): directly, or with
``await``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from typing_extensions import Unpack

from ._base_client import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RETRIES,
    ApiKey,
    AsyncApiKey,
    ClientOptions,
    _ClientCore,
)
from ._binary import AsyncBinaryResponse, BinaryResponse
from ._encoding import clean_query
from ._parsing import parse_response
from ._pipeline import Prepared, attempts, drive_async, drive_sync
from ._provider import Provider
from ._transports import async_transport, sync_transport
from ._types import RequestOptions
from .resources._root import AsyncRootResources, SyncRootResources

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._pagination import AsyncPage, SyncPage
    from ._transports._base import Response

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_MAX_RETRIES", "AsyncOpenAI", "OpenAI", "parse_response"]

_T = TypeVar("_T")


def _bind(result: Any, client: Any) -> Any:
    """Objects with conveniences (``batch.wait()``...) remember the client that fetched them."""
    global _bind
    from ._bound import bind

    _bind = bind  # later calls go straight to it
    return bind(result, client)


class OpenAI(_ClientCore, SyncRootResources):
    """The synchronous client. Thread-safe; share one per process (it survives ``os.fork()``)."""

    def __init__(
        self,
        *,
        api_key: ApiKey | None = None,
        provider: Provider | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        super().__init__(api_key=api_key, provider=provider, **options)

    def _transport_factory(self, http_client: Any) -> Callable[[], Any]:
        return lambda: sync_transport(http_client)

    def _send(self, prep: Prepared) -> Response:
        return drive_sync(attempts(prep, self._pipe), self._holder.get())

    def request(
        self,
        method: str,
        path: str,
        *,
        cast_to: Any = object,
        body: object = None,
        query: Mapping[str, object] | None = None,
        files: Any = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
        stream_cls: Any = None,
        options: RequestOptions | Mapping[str, Any] | None = None,
    ) -> Any:
        """Send one request through the pipeline and return ``cast_to`` (see docs/ARCHITECTURE.md)."""
        mode = self._mode
        binary = cast_to is BinaryResponse
        prep = self._prepare(
            method,
            path,
            body=body,
            query=query,
            files=files,
            headers=headers,
            stream=stream or binary or mode == "stream",
            options=options,
        )
        response = self._send(prep)
        if mode is not None:
            from ._response import APIResponse

            return APIResponse(response, lambda r: self._finish(r, prep, cast_to, stream, stream_cls))
        return self._finish(response, prep, cast_to, stream, stream_cls)

    def _finish(self, response: Response, prep: Prepared, cast_to: Any, stream: bool, stream_cls: Any) -> Any:
        if stream:
            from ._streaming import Stream, is_not_streamed, not_streamed_error

            if is_not_streamed(response):
                response.read()
                raise not_streamed_error(response)
            return Stream(response, stream_cls, idle_timeout=prep.timeout.stream_idle, strict=self._strict)
        if cast_to is BinaryResponse:
            return BinaryResponse(response)
        if response.content is None:
            response.read()
        return _bind(parse_response(response, cast_to, self._strict), self)

    def _fetch_page(
        self,
        page_cls: Any,
        *,
        method: str,
        path: str,
        query: Mapping[str, object],
        body: object,
        options: Any,
    ) -> Any:
        prep = self._prepare(
            method, path, body=body, query=query, files=None, headers=None, stream=False, options=options
        )
        return parse_response(self._send(prep), page_cls, self._strict)

    def get_api_list(
        self,
        path: str,
        *,
        model: type[_T] | Any,
        query: Mapping[str, object] | None = None,
        body: object = None,
        method: str = "GET",
        options: RequestOptions | Mapping[str, Any] | None = None,
    ) -> SyncPage[_T]:
        """Fetch the first page of a list; iterating the page walks every following page lazily."""
        from ._pagination import SyncPage, page_model

        q = clean_query(query)
        if self._mode is None:
            return SyncPage(self, model, q, method, path, body, options)
        from ._response import APIResponse

        prep = self._prepare(
            method, path, body=body, query=q, files=None, headers=None, stream=False, options=options
        )

        def finish(r: Response) -> SyncPage[_T]:
            r.read()
            first = parse_response(r, page_model(cast(Any, model)), self._strict)
            return SyncPage(self._view_with_mode(None), model, q, method, path, body, options, first)

        return APIResponse(self._send(prep), finish)  # type: ignore[return-value]

    # -- raw access ("bring your own types") -------------------------------------------------------
    def get(self, path: str, *, cast_to: Any = object, **kwargs: Any) -> Any:
        return self.request("GET", path, cast_to=cast_to, **kwargs)

    def post(self, path: str, *, cast_to: Any = object, **kwargs: Any) -> Any:
        return self.request("POST", path, cast_to=cast_to, **kwargs)

    def put(self, path: str, *, cast_to: Any = object, **kwargs: Any) -> Any:
        return self.request("PUT", path, cast_to=cast_to, **kwargs)

    def patch(self, path: str, *, cast_to: Any = object, **kwargs: Any) -> Any:
        return self.request("PATCH", path, cast_to=cast_to, **kwargs)

    def delete(self, path: str, *, cast_to: Any = object, **kwargs: Any) -> Any:
        return self.request("DELETE", path, cast_to=cast_to, **kwargs)

    # -- lifecycle ---------------------------------------------------------------------------------
    def close(self) -> None:
        """Close the connection pool this client created (never a caller's ``http_client``; a
        ``with_options`` view closes nothing)."""
        if self._is_view or not self._holder.created:
            return
        self._holder.get().close()

    def __enter__(self) -> OpenAI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncOpenAI(_ClientCore, AsyncRootResources):
    """The asyncio client. Usable from several event loops in turn and after ``os.fork()``."""

    _rate_hook = "_async_request_hook"

    def __init__(
        self,
        *,
        api_key: AsyncApiKey | None = None,
        provider: Provider | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        super().__init__(api_key=api_key, provider=provider, **options)

    def _transport_factory(self, http_client: Any) -> Callable[[], Any]:
        return lambda: async_transport(http_client)

    async def _send(self, prep: Prepared) -> Response:
        return await drive_async(attempts(prep, self._pipe), self._holder.get())

    async def request(
        self,
        method: str,
        path: str,
        *,
        cast_to: Any = object,
        body: object = None,
        query: Mapping[str, object] | None = None,
        files: Any = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
        stream_cls: Any = None,
        options: RequestOptions | Mapping[str, Any] | None = None,
    ) -> Any:
        mode = self._mode
        binary = cast_to is BinaryResponse
        prep = self._prepare(
            method,
            path,
            body=body,
            query=query,
            files=files,
            headers=headers,
            stream=stream or binary or mode == "stream",
            options=options,
        )
        response = await self._send(prep)
        if mode is not None:
            from ._response import AsyncAPIResponse

            return AsyncAPIResponse(response, lambda r: self._finish(r, prep, cast_to, stream, stream_cls))
        return await self._finish(response, prep, cast_to, stream, stream_cls)

    async def _finish(
        self, response: Response, prep: Prepared, cast_to: Any, stream: bool, stream_cls: Any
    ) -> Any:
        if stream:
            from ._streaming import AsyncStream, is_not_streamed, not_streamed_error

            if is_not_streamed(response):
                await response.aread()
                raise not_streamed_error(response)
            return AsyncStream(
                response, stream_cls, idle_timeout=prep.timeout.stream_idle, strict=self._strict
            )
        if cast_to is BinaryResponse:
            return AsyncBinaryResponse(response)
        if response.content is None:
            await response.aread()
        return _bind(parse_response(response, cast_to, self._strict), self)

    async def _fetch_page(
        self,
        page_cls: Any,
        *,
        method: str,
        path: str,
        query: Mapping[str, object],
        body: object,
        options: Any,
    ) -> Any:
        prep = self._prepare(
            method, path, body=body, query=query, files=None, headers=None, stream=False, options=options
        )
        return parse_response(await self._send(prep), page_cls, self._strict)

    def get_api_list(
        self,
        path: str,
        *,
        model: type[_T] | Any,
        query: Mapping[str, object] | None = None,
        body: object = None,
        method: str = "GET",
        options: RequestOptions | Mapping[str, Any] | None = None,
    ) -> AsyncPage[_T]:
        """A page to ``await`` (first page) or ``async for`` over (every item of every page)."""
        from ._pagination import AsyncPage

        q = clean_query(query)
        if self._mode is None:
            return AsyncPage(self, model, q, method, path, body, options)
        return self._raw_list(model, q, method, path, body, options)  # type: ignore[return-value]

    async def _raw_list(
        self, model: Any, q: dict[str, object], method: str, path: str, body: object, options: Any
    ) -> Any:
        """``await client.with_raw_response.<list op>()``: the first page's response, ``parse()`` -> page."""
        from ._pagination import AsyncPage, page_model
        from ._response import AsyncAPIResponse

        prep = self._prepare(
            method, path, body=body, query=q, files=None, headers=None, stream=False, options=options
        )
        plain = self._view_with_mode(None)

        async def finish(r: Response) -> AsyncPage[Any]:
            await r.aread()
            first = parse_response(r, page_model(model), self._strict)
            return AsyncPage(plain, model, q, method, path, body, options, first)

        return AsyncAPIResponse(await self._send(prep), finish)

    async def get(self, path: str, *, cast_to: Any = object, **kwargs: Any) -> Any:
        return await self.request("GET", path, cast_to=cast_to, **kwargs)

    async def post(self, path: str, *, cast_to: Any = object, **kwargs: Any) -> Any:
        return await self.request("POST", path, cast_to=cast_to, **kwargs)

    async def put(self, path: str, *, cast_to: Any = object, **kwargs: Any) -> Any:
        return await self.request("PUT", path, cast_to=cast_to, **kwargs)

    async def patch(self, path: str, *, cast_to: Any = object, **kwargs: Any) -> Any:
        return await self.request("PATCH", path, cast_to=cast_to, **kwargs)

    async def delete(self, path: str, *, cast_to: Any = object, **kwargs: Any) -> Any:
        return await self.request("DELETE", path, cast_to=cast_to, **kwargs)

    async def close(self) -> None:
        if self._is_view or not self._holder.created:
            return
        await self._holder.get().aclose()

    async def __aenter__(self) -> AsyncOpenAI:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


#: the official SDK's other names for the clients
Client = OpenAI
AsyncClient = AsyncOpenAI
