"""Embeddings: base64 on the wire unless the caller chose a format, decoded to floats without numpy."""

from __future__ import annotations

import array
import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from openai_kit import AsyncOpenAI, OpenAI

VECTORS = [[0.5, -1.25, 3.0], [0.0, 1e-3, -2.5]]


class _Handler(BaseHTTPRequestHandler):
    seen: list[dict[str, Any]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        self.seen.append(body)
        fmt = body.get("encoding_format", "float")

        def enc(v: list[float]) -> Any:
            return base64.b64encode(array.array("f", v).tobytes()).decode() if fmt == "base64" else v

        out = {
            "object": "list",
            "model": body["model"],
            "data": [{"object": "embedding", "index": i, "embedding": enc(v)} for i, v in enumerate(VECTORS)],
            "usage": {"prompt_tokens": 2, "total_tokens": 2},
        }
        data = json.dumps(out).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(scope="module")
def emb_url() -> Iterator[str]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def _close(a: list[float], b: list[float]) -> bool:
    return all(abs(x - y) < 1e-6 for x, y in zip(a, b, strict=False)) and len(a) == len(b)


def test_default_requests_base64_and_returns_floats(emb_url: str) -> None:
    with OpenAI(api_key="k", base_url=emb_url) as c:
        r = c.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
    assert _Handler.seen[-1]["encoding_format"] == "base64"
    assert all(isinstance(d.embedding, list) for d in r.data)
    assert _close(r.data[0].embedding, VECTORS[0])  # type: ignore[arg-type]
    assert _close(r.data[1].embedding, VECTORS[1])  # type: ignore[arg-type]


def test_explicit_base64_is_returned_as_is(emb_url: str) -> None:
    with OpenAI(api_key="k", base_url=emb_url) as c:
        r = c.embeddings.create(model="m", input="a", encoding_format="base64")
    assert _Handler.seen[-1]["encoding_format"] == "base64"
    assert isinstance(r.data[0].embedding, str)
    raw = array.array("f")
    raw.frombytes(base64.b64decode(r.data[0].embedding))
    assert _close(raw.tolist(), VECTORS[0])


def test_explicit_float_is_sent_as_float(emb_url: str) -> None:
    with OpenAI(api_key="k", base_url=emb_url) as c:
        r = c.embeddings.create(model="m", input="a", encoding_format="float")
    assert _Handler.seen[-1]["encoding_format"] == "float"
    assert r.data[1].embedding == VECTORS[1]


async def test_async_default_decodes(emb_url: str) -> None:
    async with AsyncOpenAI(api_key="k", base_url=emb_url) as c:
        r = await c.embeddings.create(model="m", input="a")
    assert _Handler.seen[-1]["encoding_format"] == "base64"
    assert _close(r.data[0].embedding, VECTORS[0])  # type: ignore[arg-type]
