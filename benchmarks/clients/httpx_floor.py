"""Plain httpx + orjson, no models: the practical floor for a client built on httpx."""

from __future__ import annotations

import array
import base64
from pathlib import Path
from typing import Any

import httpx
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
TIMEOUT = httpx.Timeout(600.0, connect=5.0)
LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=100)


def _chat_body(**extra: Any) -> bytes:
    return orjson.dumps({"model": MODEL, "messages": MESSAGES, **extra})


def _embeddings_body(inputs: list[str], encoding_format: str | None) -> bytes:
    body: dict[str, Any] = {"model": EMBEDDING_MODEL, "input": inputs}
    if encoding_format is not None:
        body["encoding_format"] = encoding_format
    return orjson.dumps(body)


def _embeddings_size(data: Any) -> int:
    items = data["data"]
    return len(items) * len(items[-1]["embedding"])


def _decoded_size(data: Any) -> int:
    """What the SDKs do when `encoding_format` is omitted: base64 on the wire, floats for the user."""
    items = data["data"]
    vectors = [array.array("f", base64.b64decode(item["embedding"])).tolist() for item in items]
    return len(vectors) * len(vectors[-1])


class Sync:
    def __init__(self, base_url: str, api_key: str) -> None:
        self.base_url = base_url
        self.headers = {"authorization": f"Bearer {api_key}"}

    def construct(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers=self.headers, timeout=TIMEOUT, limits=LIMITS)

    def close(self, client: httpx.Client) -> None:
        client.close()

    def chat(self, client: httpx.Client) -> str:
        response = client.post("/chat/completions", content=_chat_body(), headers=JSON)
        response.raise_for_status()
        content: str = orjson.loads(response.content)["choices"][0]["message"]["content"]
        return content

    def stream(self, client: httpx.Client, chunks: int) -> int:
        seen = 0
        parts: list[str] = []
        splitter = SSESplitter()
        body = _chat_body(stream=True, max_completion_tokens=chunks)
        with client.stream("POST", "/chat/completions", content=body, headers=JSON) as response:
            response.raise_for_status()
            for data in response.iter_raw():
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

    def embeddings(self, client: httpx.Client, inputs: list[str], encoding_format: str | None) -> int:
        if encoding_format is None:  # like the SDKs: ask for base64, hand back floats
            return _decoded_size(self.embeddings_raw(client, inputs, "base64"))
        return _embeddings_size(self.embeddings_raw(client, inputs, encoding_format))

    def embeddings_raw(self, client: httpx.Client, inputs: list[str], encoding_format: str) -> Any:
        response = client.post("/embeddings", content=_embeddings_body(inputs, encoding_format), headers=JSON)
        response.raise_for_status()
        return orjson.loads(response.content)

    def list_files(self, client: httpx.Client, page_size: int, max_items: int) -> int:
        count = 0
        params: dict[str, Any] = {"limit": page_size}
        for _ in range(MAX_PAGES):
            response = client.get("/files", params=params)
            response.raise_for_status()
            page = orjson.loads(response.content)
            for item in page["data"]:
                count += 1 if item["id"] else 0
                if count >= max_items:
                    return count
            if not page["has_more"] or not page["data"]:
                break
            params = {"limit": page_size, "after": page["data"][-1]["id"]}
        return count

    def upload(self, client: httpx.Client, path: Path) -> int:
        with path.open("rb") as f:
            response = client.post(
                "/files",
                data={"purpose": UPLOAD_PURPOSE},
                files={"file": (path.name, f, "application/octet-stream")},
            )
        response.raise_for_status()
        size: int = orjson.loads(response.content)["bytes"]
        return size

    def download(self, client: httpx.Client, file_id: str, dest: Path) -> int:
        with client.stream("GET", f"/files/{file_id}/content") as response, dest.open("wb") as out:
            response.raise_for_status()
            for data in response.iter_raw():
                out.write(data)
        return dest.stat().st_size


class Async:
    def __init__(self, base_url: str, api_key: str) -> None:
        self.base_url = base_url
        self.headers = {"authorization": f"Bearer {api_key}"}

    async def construct(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base_url, headers=self.headers, timeout=TIMEOUT, limits=LIMITS)

    async def close(self, client: httpx.AsyncClient) -> None:
        await client.aclose()

    async def chat(self, client: httpx.AsyncClient) -> str:
        response = await client.post("/chat/completions", content=_chat_body(), headers=JSON)
        response.raise_for_status()
        content: str = orjson.loads(response.content)["choices"][0]["message"]["content"]
        return content

    async def stream(self, client: httpx.AsyncClient, chunks: int) -> int:
        seen = 0
        parts: list[str] = []
        splitter = SSESplitter()
        body = _chat_body(stream=True, max_completion_tokens=chunks)
        async with client.stream("POST", "/chat/completions", content=body, headers=JSON) as response:
            response.raise_for_status()
            async for data in response.aiter_raw():
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
        self, client: httpx.AsyncClient, inputs: list[str], encoding_format: str | None
    ) -> int:
        fmt = "base64" if encoding_format is None else encoding_format
        response = await client.post("/embeddings", content=_embeddings_body(inputs, fmt), headers=JSON)
        response.raise_for_status()
        data = orjson.loads(response.content)
        return _decoded_size(data) if encoding_format is None else _embeddings_size(data)

    async def list_files(self, client: httpx.AsyncClient, page_size: int, max_items: int) -> int:
        count = 0
        params: dict[str, Any] = {"limit": page_size}
        for _ in range(MAX_PAGES):
            response = await client.get("/files", params=params)
            response.raise_for_status()
            page = orjson.loads(response.content)
            for item in page["data"]:
                count += 1 if item["id"] else 0
                if count >= max_items:
                    return count
            if not page["has_more"] or not page["data"]:
                break
            params = {"limit": page_size, "after": page["data"][-1]["id"]}
        return count

    async def upload(self, client: httpx.AsyncClient, path: Path) -> int:
        with path.open("rb") as f:
            response = await client.post(
                "/files",
                data={"purpose": UPLOAD_PURPOSE},
                files={"file": (path.name, f, "application/octet-stream")},
            )
        response.raise_for_status()
        size: int = orjson.loads(response.content)["bytes"]
        return size

    async def download(self, client: httpx.AsyncClient, file_id: str, dest: Path) -> int:
        async with client.stream("GET", f"/files/{file_id}/content") as response:
            response.raise_for_status()
            with dest.open("wb") as out:
                async for data in response.aiter_raw():
                    out.write(data)
        return dest.stat().st_size
