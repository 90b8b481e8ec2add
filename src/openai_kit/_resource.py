"""Base classes of the generated resources (``client.chat``, ``client.files``...)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from typing_extensions import Self

if TYPE_CHECKING:
    from ._client import AsyncOpenAI, OpenAI

__all__ = ["AsyncAPIResource", "SyncAPIResource"]


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
        """``client.files.with_streaming_response.content(...)``: the body is read only when asked."""
        return type(self)(self._client.with_streaming_response)


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
        """``client.files.with_streaming_response.content(...)``: the body is read only when asked."""
        return type(self)(self._client.with_streaming_response)
