"""``OpenAI`` and ``AsyncOpenAI``: the public clients.

Both are a :class:`~openai_kit._base_client._ClientCore` (settings, views, request preparation) plus the
generated root resources (``client.chat``, ``client.files``...; importing ``resources._root`` here is the
one place where the core reaches into generated code, documented in docs/ARCHITECTURE.md). They differ
only in how they drive the shared request pipeline (:mod:`openai_kit._pipeline`): directly, or with
``await``.
"""

from __future__ import annotations

from collections.abc import Coroutine, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

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
_SyncP = TypeVar("_SyncP", bound="SyncPage[Any]")
_AsyncP = TypeVar("_AsyncP", bound="AsyncPage[Any]")


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
        return drive_sync(attempts(prep, self._pipe_for(prep)), self._holder.get())

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
        post_parser: Callable[[Any], Any] | None = None,
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
            return self._wrap(mode, response, prep, cast_to, stream, stream_cls, post_parser)
        result = self._finish(response, prep, cast_to, stream, stream_cls)
        return result if post_parser is None else post_parser(result)

    def _wrap(
        self,
        mode: str,
        response: Response,
        prep: Prepared,
        cast_to: Any,
        stream: bool,
        stream_cls: Any,
        post_parser: Callable[[Any], Any] | None,
    ) -> Any:
        """The response object of ``with_raw_response`` / ``with_streaming_response``. (Its own method:
        a closure in ``request`` would make every plain call allocate the cells it captures.)"""
        from ._response import APIResponse, LegacyAPIResponse, StreamedBinaryAPIResponse

        def finish(r: Response) -> Any:
            value = self._finish(r, prep, cast_to, stream, stream_cls)
            return value if post_parser is None else post_parser(value)

        if mode == "raw":  # with_raw_response: the body is read now, as the official SDK does
            if not stream:
                response.read()
            return LegacyAPIResponse(response, finish, retries_taken=prep.retries_taken)
        cls = StreamedBinaryAPIResponse if cast_to is BinaryResponse else APIResponse
        return cls(response, finish, retries_taken=prep.retries_taken)

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

    @overload
    def get_api_list(
        self,
        path: str,
        *,
        model: type[_T] | Any,
        query: Mapping[str, object] | None = None,
        body: object = None,
        method: str = "GET",
        options: RequestOptions | Mapping[str, Any] | None = None,
        page: None = None,
    ) -> SyncPage[_T]: ...

    @overload
    def get_api_list(
        self,
        path: str,
        *,
        model: type[_T] | Any,
        query: Mapping[str, object] | None = None,
        body: object = None,
        method: str = "GET",
        options: RequestOptions | Mapping[str, Any] | None = None,
        page: type[_SyncP],
    ) -> _SyncP: ...

    def get_api_list(
        self,
        path: str,
        *,
        model: type[_T] | Any,
        query: Mapping[str, object] | None = None,
        body: object = None,
        method: str = "GET",
        options: RequestOptions | Mapping[str, Any] | None = None,
        page: type[SyncPage[Any]] | None = None,
    ) -> Any:
        """Fetch the first page of a list; iterating the page walks every following page lazily."""
        from ._pagination import SyncPage, named_page, page_model

        q = clean_query(query)
        # the official SDK's page class of the operation if it has one, named after the item type
        page_cls = named_page(page or SyncPage, model)
        if self._mode is None:
            return page_cls(self, model, q, method, path, body, options)
        from ._response import APIResponse, LegacyAPIResponse

        prep = self._prepare(
            method,
            path,
            body=body,
            query=q,
            files=None,
            headers=None,
            stream=self._mode == "stream",
            options=options,
        )

        def finish(r: Response) -> SyncPage[_T]:
            r.read()
            first = parse_response(r, page_model(cast(Any, model)), self._strict)
            return page_cls(self._view_with_mode(None), model, q, method, path, body, options, first)

        response = self._send(prep)
        if self._mode == "raw":
            response.read()
            return LegacyAPIResponse(response, finish, retries_taken=prep.retries_taken)
        return APIResponse(response, finish, retries_taken=prep.retries_taken)

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
        if self._is_view:
            return
        self._holder.closed = True
        if self._holder.created:
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

    def _send(self, prep: Prepared) -> Coroutine[Any, Any, Response]:
        # (not itself a coroutine function: one coroutine object fewer alive during every request)
        return drive_async(attempts(prep, self._pipe_for(prep)), self._holder.get())

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
        post_parser: Callable[[Any], Any] | None = None,
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
            return await self._wrap(mode, response, prep, cast_to, stream, stream_cls, post_parser)
        result = await self._finish(response, prep, cast_to, stream, stream_cls)
        return result if post_parser is None else post_parser(result)

    async def _wrap(
        self,
        mode: str,
        response: Response,
        prep: Prepared,
        cast_to: Any,
        stream: bool,
        stream_cls: Any,
        post_parser: Callable[[Any], Any] | None,
    ) -> Any:
        """The response object of ``with_raw_response`` / ``with_streaming_response`` (its own method,
        as in the sync client: no closure cells in ``request``)."""
        if mode == "raw":  # with_raw_response: body read now, parse() is a plain call (official SDK)
            from ._response import LegacyAPIResponse

            if not stream:
                await response.aread()

            def finish_read(r: Response) -> Any:
                value = self._finish_read(r, prep, cast_to, stream, stream_cls)
                return value if post_parser is None else post_parser(value)

            return LegacyAPIResponse(response, finish_read, retries_taken=prep.retries_taken)
        from ._response import AsyncAPIResponse, AsyncStreamedBinaryAPIResponse

        async def finish(r: Response) -> Any:
            value = await self._finish(r, prep, cast_to, stream, stream_cls)
            return value if post_parser is None else post_parser(value)

        cls = AsyncStreamedBinaryAPIResponse if cast_to is BinaryResponse else AsyncAPIResponse
        return cls(response, finish, retries_taken=prep.retries_taken)

    def _finish_read(
        self, response: Response, prep: Prepared, cast_to: Any, stream: bool, stream_cls: Any
    ) -> Any:
        """The result of a response whose body is read already (or streams)."""
        if stream:
            from ._streaming import AsyncStream, is_not_streamed, not_streamed_error

            if is_not_streamed(response):
                raise not_streamed_error(response)
            return AsyncStream(
                response, stream_cls, idle_timeout=prep.timeout.stream_idle, strict=self._strict
            )
        if cast_to is BinaryResponse:
            return AsyncBinaryResponse(response)
        return _bind(parse_response(response, cast_to, self._strict), self)

    async def _finish(
        self, response: Response, prep: Prepared, cast_to: Any, stream: bool, stream_cls: Any
    ) -> Any:
        if stream:
            from ._streaming import is_not_streamed

            if is_not_streamed(response):
                await response.aread()
        elif cast_to is not BinaryResponse and response.content is None:
            await response.aread()
        return self._finish_read(response, prep, cast_to, stream, stream_cls)

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

    @overload
    def get_api_list(
        self,
        path: str,
        *,
        model: type[_T] | Any,
        query: Mapping[str, object] | None = None,
        body: object = None,
        method: str = "GET",
        options: RequestOptions | Mapping[str, Any] | None = None,
        page: None = None,
    ) -> AsyncPage[_T]: ...

    @overload
    def get_api_list(
        self,
        path: str,
        *,
        model: type[_T] | Any,
        query: Mapping[str, object] | None = None,
        body: object = None,
        method: str = "GET",
        options: RequestOptions | Mapping[str, Any] | None = None,
        page: type[_AsyncP],
    ) -> _AsyncP: ...

    def get_api_list(
        self,
        path: str,
        *,
        model: type[_T] | Any,
        query: Mapping[str, object] | None = None,
        body: object = None,
        method: str = "GET",
        options: RequestOptions | Mapping[str, Any] | None = None,
        page: type[AsyncPage[Any]] | None = None,
    ) -> Any:
        """A page to ``await`` (first page) or ``async for`` over (every item of every page)."""
        from ._pagination import AsyncPage, named_page

        q = clean_query(query)
        page_cls = named_page(page or AsyncPage, model)  # (as in the sync client)
        if self._mode is None:
            return page_cls(self, model, q, method, path, body, options)
        return self._raw_list(model, q, method, path, body, options, page_cls)

    async def _raw_list(
        self,
        model: Any,
        q: dict[str, object],
        method: str,
        path: str,
        body: object,
        options: Any,
        page_cls: type[AsyncPage[Any]],
    ) -> Any:
        """``await client.with_raw_response.<list op>()``: the first page's response, ``parse()`` -> page."""
        from ._pagination import page_model
        from ._response import AsyncAPIResponse, LegacyAPIResponse

        prep = self._prepare(
            method,
            path,
            body=body,
            query=q,
            files=None,
            headers=None,
            stream=self._mode == "stream",
            options=options,
        )
        plain = self._view_with_mode(None)

        def first_page(r: Response) -> AsyncPage[Any]:
            first = parse_response(r, page_model(model), self._strict)
            return page_cls(plain, model, q, method, path, body, options, first)

        async def finish(r: Response) -> AsyncPage[Any]:
            await r.aread()
            return first_page(r)

        response = await self._send(prep)
        if self._mode == "raw":
            await response.aread()
            return LegacyAPIResponse(response, first_page, retries_taken=prep.retries_taken)
        return AsyncAPIResponse(response, finish, retries_taken=prep.retries_taken)

    @property
    def with_streaming_response(self) -> AsyncOpenAI:
        """``async with client.with_streaming_response.files.content(...) as response``: the body is read
        only when asked (each call is also awaitable)."""
        from ._resource import async_streaming_view

        return cast("AsyncOpenAI", async_streaming_view(self._view_with_mode("stream")))

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
        if self._is_view:
            return
        self._holder.closed = True
        if self._holder.created:
            await self._holder.get().aclose()

    async def __aenter__(self) -> AsyncOpenAI:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


#: the official SDK's other names for the clients
Client = OpenAI
AsyncClient = AsyncOpenAI
