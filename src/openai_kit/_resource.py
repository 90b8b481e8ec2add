"""Base classes of the generated resources (``client.chat``, ``client.files``...)."""

from __future__ import annotations

import functools
import inspect
from typing import TYPE_CHECKING, Any, cast

from typing_extensions import Self

if TYPE_CHECKING:
    from ._client import AsyncOpenAI, OpenAI

__all__ = ["AsyncAPIResource", "AsyncStreamingResponseView", "SyncAPIResource", "async_streaming_view"]


class SyncAPIResource:
    __slots__ = ("__dict__", "_client")

    def __init__(self, client: OpenAI) -> None:
        self._client = client

    @property
    def with_raw_response(self) -> Self:
        """``client.files.with_raw_response.list()`` (the official SDK's spelling of
        ``client.with_raw_response.files.list()``): operations return an ``APIResponse``."""
        return type(self)(self._client.with_raw_response)

    @property
    def with_streaming_response(self) -> Self:
        """``with client.files.with_streaming_response.content(...) as response``: the body is read only
        when asked."""
        return type(self)(self._client.with_streaming_response)


class _AsyncStreamingView:
    """Wraps an async client or resource so that each operation returns an object usable both with
    ``async with`` (the official SDK's way) and ``await``: ``AsyncResponseContextManager``."""

    __slots__ = ("_target",)

    def __init__(self, target: Any) -> None:
        self._target = target

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if isinstance(attr, AsyncAPIResource):
            return _AsyncStreamingView(attr)
        if not callable(attr) or isinstance(attr, type):
            return attr

        @functools.wraps(attr)
        def call(*args: Any, **kwargs: Any) -> Any:
            from ._response import AsyncResponseContextManager

            result = attr(*args, **kwargs)
            return AsyncResponseContextManager(result) if inspect.isawaitable(result) else result

        return call

    def __repr__(self) -> str:
        return f"<with_streaming_response of {self._target!r}>"


def async_streaming_view(target: Any) -> Any:
    return _AsyncStreamingView(target)


class AsyncStreamingResponseView(_AsyncStreamingView):
    """Base of the generated ``Async<Resource>WithStreamingResponse`` classes (the official SDK's names
    of ``async_resource.with_streaming_response``): built from the resource, behaves as that view."""

    __slots__ = ()

    def __init__(self, resource: AsyncAPIResource) -> None:
        super().__init__(type(resource)(resource._client._view_with_mode("stream")))


class AsyncAPIResource:
    __slots__ = ("__dict__", "_client")

    def __init__(self, client: AsyncOpenAI) -> None:
        self._client = client

    @property
    def with_raw_response(self) -> Self:
        """``client.files.with_raw_response.list()``: operations return an ``AsyncAPIResponse``."""
        return type(self)(self._client.with_raw_response)

    @property
    def with_streaming_response(self) -> Self:
        """``async with client.files.with_streaming_response.content(...) as response``: the body is read
        only when asked."""
        return cast(Self, _AsyncStreamingView(type(self)(self._client._view_with_mode("stream"))))
