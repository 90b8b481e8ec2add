"""aiohttp + pydantic validation of the body: the typed floor of an async client (see typed_models)."""

from __future__ import annotations

import aiohttp

from benchmarks.clients.aiohttp_floor import JSON, Async as _Untyped, _chat_body
from benchmarks.clients.typed_models import ChatCompletion


class Async(_Untyped):
    async def chat(self, client: aiohttp.ClientSession) -> str:
        async with client.post(f"{self.base_url}/chat/completions", data=_chat_body(), headers=JSON) as r:
            r.raise_for_status()
            content = ChatCompletion.model_validate_json(await r.read()).choices[0].message.content
        return content or ""
