"""The proxy's own upstream HTTP client on the awkward parts of HTTP/1.1, through the proxy, against a
raw socket upstream that answers exactly the bytes each test needs."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from openai_kit.proxy import ProxyConfig, create_proxy_app

from .support import TOKEN, UPSTREAM_KEY, ServerThread

RESPONSES: dict[bytes, list[bytes]] = {
    # the body ends when the connection does (no Content-Length, not chunked)
    b"/v1/eof": [b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nuntil the end"],
    # an informational response before the real one
    b"/v1/hints": [
        b"HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n",
        b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}',
    ],
    # not HTTP at all
    b"/v1/garbage": [b"SSH-2.0-OpenSSH\r\n\r\n"],
    # a body cut short
    b"/v1/short": [b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b"],
    # a HEAD answer announces a length but carries no body
    b"/v1/head": [b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nX-Request-Id: req_head\r\n\r\n"],
}


class RawUpstream:
    """asyncio server in a thread: reads one request head, writes the canned bytes for its path, closes."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.port = 0
        self.connections = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        head = await reader.readuntil(b"\r\n\r\n")
        path = head.split(b" ")[1]
        for part in RESPONSES.get(path, [b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"]):
            writer.write(part)
            await writer.drain()
            await asyncio.sleep(0.01)
        writer.close()

    def __enter__(self) -> RawUpstream:
        self.thread.start()

        async def start() -> asyncio.Server:
            return await asyncio.start_server(self.handle, "127.0.0.1", 0)

        self.server = asyncio.run_coroutine_threadsafe(start(), self.loop).result(10)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def raw_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tokens = tmp_path_factory.mktemp("raw") / "tokens"
    tokens.write_text(TOKEN + "\n")
    with RawUpstream() as up:
        config = ProxyConfig(
            api_key=UPSTREAM_KEY,
            upstream_url=f"http://127.0.0.1:{up.port}/v1",
            token_file=str(tokens),
            read_timeout=2,
        )
        with ServerThread(create_proxy_app(config)) as server:
            yield f"{server.url}/v1"


AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_body_until_connection_close(raw_proxy: str) -> None:
    r = httpx.get(f"{raw_proxy}/eof", headers=AUTH)
    assert (r.status_code, r.text) == (200, "until the end")


def test_informational_response_is_skipped(raw_proxy: str) -> None:
    r = httpx.get(f"{raw_proxy}/hints", headers=AUTH)
    assert (r.status_code, r.json()) == (200, {"ok": True})


def test_invalid_or_truncated_upstream_response_is_502(raw_proxy: str) -> None:
    for path, code in (("garbage", "upstream_invalid_response"), ("short", "upstream_connection_error")):
        r = httpx.get(f"{raw_proxy}/{path}", headers=AUTH)
        assert r.status_code == 502, path
        assert r.json()["error"]["code"] == code


def test_head_has_no_body(raw_proxy: str) -> None:
    start = time.monotonic()
    r = httpx.head(f"{raw_proxy}/head", headers=AUTH)
    assert r.status_code == 200 and r.headers["x-request-id"] == "req_head" and r.content == b""
    assert time.monotonic() - start < 1.5  # not waiting for the 1234 announced bytes until the timeout


def test_idle_connections_closed_by_the_upstream_are_not_reused(tmp_path: Path) -> None:
    """uvicorn closes idle keep-alive connections after 0.2 s here; the next request must not fail."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def ok(request: object) -> JSONResponse:
        return JSONResponse({"ok": True})

    tokens = tmp_path / "tokens"
    tokens.write_text(TOKEN + "\n")
    upstream = Starlette(routes=[Route("/v1/ok", ok)])
    with ServerThread(upstream, timeout_keep_alive=0.2) as up:
        config = ProxyConfig(api_key=UPSTREAM_KEY, upstream_url=f"{up.url}/v1", token_file=str(tokens))
        with ServerThread(create_proxy_app(config)) as server, httpx.Client() as client:
            for _ in range(3):
                assert client.get(f"{server.url}/v1/ok", headers=AUTH).status_code == 200
                time.sleep(0.4)
