"""Adapter code shared by every client that exposes the official SDK's surface (openai and openai-kit).

This module imports no client library: subclasses only supply `construct`, so both families run literally
the same user code.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from benchmarks.clients.base import EMBEDDING_MODEL, MESSAGES, MODEL, UPLOAD_PURPOSE


class SurfaceSync:
    def __init__(self, base_url: str, api_key: str) -> None:
        self.base_url = base_url
        self.api_key = api_key

    def construct(self) -> Any:
        raise NotImplementedError

    def close(self, client: Any) -> None:
        client.close()

    def chat(self, client: Any) -> str:
        completion = client.chat.completions.create(model=MODEL, messages=MESSAGES)
        content: str = completion.choices[0].message.content
        return content

    def stream(self, client: Any, chunks: int) -> int:
        seen = 0
        parts: list[str] = []
        stream = client.chat.completions.create(
            model=MODEL, messages=MESSAGES, stream=True, max_completion_tokens=chunks
        )
        for chunk in stream:
            seen += 1
            if chunk.choices:
                content = chunk.choices[0].delta.content
                if content:
                    parts.append(content)
        return seen

    def embeddings(self, client: Any, inputs: list[str], encoding_format: str | None) -> int:
        kwargs: dict[str, Any] = {} if encoding_format is None else {"encoding_format": encoding_format}
        response = client.embeddings.create(model=EMBEDDING_MODEL, input=inputs, **kwargs)
        return len(response.data) * len(response.data[-1].embedding)

    def list_files(self, client: Any, page_size: int, max_items: int) -> int:
        count = 0
        for file in client.files.list(limit=page_size):
            count += 1 if file.id else 0
            if count >= max_items:
                break
        return count

    def upload(self, client: Any, path: Path) -> int:
        created = client.files.create(file=path, purpose=UPLOAD_PURPOSE)
        size: int = created.bytes
        return size

    def download(self, client: Any, file_id: str, dest: Path) -> int:
        client.files.content(file_id).write_to_file(dest)
        return dest.stat().st_size


class SurfaceAsync:
    def __init__(self, base_url: str, api_key: str) -> None:
        self.base_url = base_url
        self.api_key = api_key

    async def construct(self) -> Any:
        raise NotImplementedError

    async def close(self, client: Any) -> None:
        await client.close()

    async def chat(self, client: Any) -> str:
        completion = await client.chat.completions.create(model=MODEL, messages=MESSAGES)
        content: str = completion.choices[0].message.content
        return content

    async def stream(self, client: Any, chunks: int) -> int:
        seen = 0
        parts: list[str] = []
        stream = await client.chat.completions.create(
            model=MODEL, messages=MESSAGES, stream=True, max_completion_tokens=chunks
        )
        async for chunk in stream:
            seen += 1
            if chunk.choices:
                content = chunk.choices[0].delta.content
                if content:
                    parts.append(content)
        return seen

    async def embeddings(self, client: Any, inputs: list[str], encoding_format: str | None) -> int:
        kwargs: dict[str, Any] = {} if encoding_format is None else {"encoding_format": encoding_format}
        response = await client.embeddings.create(model=EMBEDDING_MODEL, input=inputs, **kwargs)
        return len(response.data) * len(response.data[-1].embedding)

    async def list_files(self, client: Any, page_size: int, max_items: int) -> int:
        count = 0
        async for file in client.files.list(limit=page_size):
            count += 1 if file.id else 0
            if count >= max_items:
                break
        return count

    async def upload(self, client: Any, path: Path) -> int:
        created = await client.files.create(file=path, purpose=UPLOAD_PURPOSE)
        size: int = created.bytes
        return size

    async def download(self, client: Any, file_id: str, dest: Path) -> int:
        content = await client.files.content(file_id)
        written = content.write_to_file(dest)  # official: sync method; openai-kit: may be a coroutine
        if inspect.isawaitable(written):
            await written
        return dest.stat().st_size
