"""The official `openai` package: sync, async over its default httpx transport, async over aiohttp."""

from __future__ import annotations

from typing import Any

from openai import AsyncOpenAI, DefaultAioHttpClient, OpenAI

from benchmarks.clients._surface import SurfaceAsync, SurfaceSync


class Sync(SurfaceSync):
    def construct(self) -> Any:
        return OpenAI(api_key=self.api_key, base_url=self.base_url)


class Async(SurfaceAsync):
    async def construct(self) -> Any:
        return AsyncOpenAI(api_key=self.api_key, base_url=self.base_url)


class AsyncAiohttp(SurfaceAsync):
    async def construct(self) -> Any:
        return AsyncOpenAI(api_key=self.api_key, base_url=self.base_url, http_client=DefaultAioHttpClient())
