"""Plain aiohttp + orjson, no models: the practical floor for an async client."""

from __future__ import annotations

import array
import base64
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from benchmarks.clients.base import (
    EMBEDDING_MODEL,
    MAX_PAGES,
    MESSAGES,
    MODEL,
    UPLOAD_PURPOSE,
    SSESplitter,
)

JSON = {"content-type": "application/json"}


def _chat_body(**extra: Any) -> bytes:
    return orjson.dumps({"model": MODEL, "messages": MESSAGES, **extra})


class Async:
    def __init__(self, base_url: str, api_key: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {"authorization": f"Bearer {api_key}"}

    async def construct(self) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(
            headers=self.headers,
            timeout=aiohttp.ClientTimeout(total=600, connect=5),
            connector=aiohttp.TCPConnector(limit=1000, limit_per_host=0),
        )

    async def close(self, client: aiohttp.ClientSession) -> None:
        await client.close()

    async def chat(self, client: aiohttp.ClientSession) -> str:
        async with client.post(f"{self.base_url}/chat/completions", data=_chat_body(), headers=JSON) as r:
            r.raise_for_status()
            return self.content(await r.read())

    @staticmethod
    def content(body: bytes) -> str:
        """The reply's text from a chat completion body (the typed floor validates it instead)."""
        content: str = orjson.loads(body)["choices"][0]["message"]["content"]
        return content

    async def stream(self, client: aiohttp.ClientSession, chunks: int) -> int:
        seen = 0
        parts: list[str] = []
        splitter = SSESplitter()
        body = _chat_body(stream=True, max_completion_tokens=chunks)
        async with client.post(f"{self.base_url}/chat/completions", data=body, headers=JSON) as r:
            r.raise_for_status()
            async for data in r.content.iter_any():
                for payload in splitter.feed(data):
                    if payload == b"[DONE]":
                        continue
                    choices = orjson.loads(payload)["choices"]
                    seen += 1
                    if choices:
                        content = choices[0]["delta"].get("content")
                        if content:
                            parts.append(content)
        return seen

    async def embeddings(
        self, client: aiohttp.ClientSession, inputs: list[str], encoding_format: str | None
    ) -> int:
        body: dict[str, Any] = {"model": EMBEDDING_MODEL, "input": inputs}
        body["encoding_format"] = "base64" if encoding_format is None else encoding_format
        async with client.post(f"{self.base_url}/embeddings", data=orjson.dumps(body), headers=JSON) as r:
            r.raise_for_status()
            items = orjson.loads(await r.read())["data"]
        if encoding_format is None:  # like the SDKs: ask for base64, hand back floats
            vectors = [array.array("f", base64.b64decode(item["embedding"])).tolist() for item in items]
            return len(vectors) * len(vectors[-1])
        return len(items) * len(items[-1]["embedding"])

    async def list_files(self, client: aiohttp.ClientSession, page_size: int, max_items: int) -> int:
        count = 0
        params: dict[str, Any] = {"limit": page_size}
        for _ in range(MAX_PAGES):
            async with client.get(f"{self.base_url}/files", params=params) as r:
                r.raise_for_status()
                page = orjson.loads(await r.read())
            for item in page["data"]:
                count += 1 if item["id"] else 0
                if count >= max_items:
                    return count
            if not page["has_more"] or not page["data"]:
                break
            params = {"limit": page_size, "after": page["data"][-1]["id"]}
        return count

    async def upload(self, client: aiohttp.ClientSession, path: Path) -> int:
        with path.open("rb") as f:
            form = aiohttp.FormData()
            form.add_field("purpose", UPLOAD_PURPOSE)
            form.add_field("file", f, filename=path.name, content_type="application/octet-stream")
            async with client.post(f"{self.base_url}/files", data=form) as r:
                r.raise_for_status()
                size: int = orjson.loads(await r.read())["bytes"]
        return size

    async def download(self, client: aiohttp.ClientSession, file_id: str, dest: Path) -> int:
        async with client.get(f"{self.base_url}/files/{file_id}/content") as r:
            r.raise_for_status()
            with dest.open("wb") as out:
                async for data in r.content.iter_chunked(1024 * 1024):
                    out.write(data)
        return dest.stat().st_size
