"""Base classes of the generated resources (``client.chat``, ``client.files``...)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._client import AsyncOpenAI, OpenAI

__all__ = ["AsyncAPIResource", "SyncAPIResource"]


class SyncAPIResource:
    __slots__ = ("__dict__", "_client")

    def __init__(self, client: OpenAI) -> None:
        self._client = client


class AsyncAPIResource:
    __slots__ = ("__dict__", "_client")

    def __init__(self, client: AsyncOpenAI) -> None:
        self._client = client
