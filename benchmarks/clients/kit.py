"""openai-kit, driven through the same official-compatible surface as the official SDK."""

from __future__ import annotations

import inspect
from typing import Any

from benchmarks.clients._surface import SurfaceAsync, SurfaceSync
from openai_kit import AsyncOpenAI, OpenAI  # resolve the lazy exports now, not in `construct`


class Sync(SurfaceSync):
    def construct(self) -> Any:
        return OpenAI(api_key=self.api_key, base_url=self.base_url)


class Async(SurfaceAsync):
    async def construct(self) -> Any:
        return AsyncOpenAI(api_key=self.api_key, base_url=self.base_url)

    async def close(self, client: Any) -> None:
        closed = client.close()
        if inspect.isawaitable(closed):
            await closed
