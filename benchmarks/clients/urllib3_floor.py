"""Plain urllib3 + orjson, no models: the practical floor for a sync client on urllib3 (the transport
openai-kit uses by default), so the kit's sync figures can be compared with the library under it."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import orjson
import urllib3

from benchmarks.clients.base import MAX_PAGES, MESSAGES, MODEL, SSESplitter
from benchmarks.clients.httpx_floor import _decoded_size, _embeddings_body, _embeddings_size


def _chat_body(**extra: Any) -> bytes:
    return orjson.dumps({"model": MODEL, "messages": MESSAGES, **extra})


class Sync:
    def __init__(self, base_url: str, api_key: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {"authorization": f"Bearer {api_key}", "content-type": "application/json"}
        self.timeout = urllib3.Timeout(connect=5.0, read=600.0)

    def construct(self) -> urllib3.PoolManager:
        return urllib3.PoolManager(maxsize=100, retries=False, timeout=self.timeout)

    def close(self, client: urllib3.PoolManager) -> None:
        client.clear()

    def _post(self, client: urllib3.PoolManager, path: str, body: bytes) -> Any:
        r = client.request("POST", self.base_url + path, body=body, headers=self.headers)
        if r.status >= 400:
            raise RuntimeError(f"HTTP {r.status}")
        return orjson.loads(r.data)

    def chat(self, client: urllib3.PoolManager) -> str:
        content: str = self._post(client, "/chat/completions", _chat_body())["choices"][0]["message"][
            "content"
        ]
        return content

    def stream(self, client: urllib3.PoolManager, chunks: int) -> int:
        seen = 0
        parts: list[str] = []
        splitter = SSESplitter()
        body = _chat_body(stream=True, max_completion_tokens=chunks)
        r = client.request(
            "POST",
            self.base_url + "/chat/completions",
            body=body,
            headers=self.headers,
            preload_content=False,
        )
        try:
            if r.status >= 400:
                raise RuntimeError(f"HTTP {r.status}")
            for data in r.stream(65536):
                for payload in splitter.feed(data):
                    if payload == b"[DONE]":
                        continue
                    choices = orjson.loads(payload)["choices"]
                    seen += 1
                    if choices:
                        content = choices[0]["delta"].get("content")
                        if content:
                            parts.append(content)
        finally:
            r.release_conn()
        return seen

    def embeddings(self, client: urllib3.PoolManager, inputs: list[str], encoding_format: str | None) -> int:
        if encoding_format is None:  # like the SDKs: ask for base64, hand back floats
            return _decoded_size(self._post(client, "/embeddings", _embeddings_body(inputs, "base64")))
        return _embeddings_size(self._post(client, "/embeddings", _embeddings_body(inputs, encoding_format)))

    def list_files(self, client: urllib3.PoolManager, page_size: int, max_items: int) -> int:
        count = 0
        params: dict[str, Any] = {"limit": page_size}
        for _ in range(MAX_PAGES):
            r = client.request("GET", f"{self.base_url}/files?{urlencode(params)}", headers=self.headers)
            if r.status >= 400:
                raise RuntimeError(f"HTTP {r.status}")
            page = orjson.loads(r.data)
            for item in page["data"]:
                count += 1 if item["id"] else 0
                if count >= max_items:
                    return count
            if not page["has_more"] or not page["data"]:
                break
            params = {"limit": page_size, "after": page["data"][-1]["id"]}
        return count

    def upload(self, client: urllib3.PoolManager, path: Path) -> int:
        raise NotImplementedError(
            "urllib3 has no streaming multipart encoder; not part of the upload scenario"
        )

    def download(self, client: urllib3.PoolManager, file_id: str, dest: Path) -> int:
        r = client.request("GET", f"{self.base_url}/files/{file_id}/content", headers=self.headers,
                           preload_content=False)  # fmt: skip
        try:
            with dest.open("wb") as out:
                for data in r.stream(1 << 20):
                    out.write(data)
        finally:
            r.release_conn()
        return dest.stat().st_size
