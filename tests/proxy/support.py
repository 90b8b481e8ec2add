"""Real servers for the proxy tests: uvicorn in a thread, a recording upstream, a websockets upstream."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from websockets.asyncio.server import ServerConnection, serve

UPSTREAM_KEY = "sk-upstream-SECRET-0123456789abcdef"
TOKEN = "sess-alice-7f3c9a1e5b"
OTHER_TOKEN = "sess-bob-22d81c0f94"


# --------------------------------------------------------------------------- servers in threads


class ServerThread:
    """An ASGI app served by uvicorn on 127.0.0.1 (a free port) in a daemon thread."""

    def __init__(self, app: Any, **config: Any) -> None:
        self.config = uvicorn.Config(
            app, host="127.0.0.1", port=0, log_level="warning", access_log=False, lifespan="on", **config
        )
        self.server = uvicorn.Server(self.config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.port = 0

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.005)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def proxy_server(config: Any) -> ServerThread:
    """The proxy app served as ``openai-kit proxy`` serves it: with its own HTTP and websocket protocols."""
    from openai_kit.proxy import create_proxy_app
    from openai_kit.proxy.server import WebSocketProtocol, protocol_class

    return ServerThread(create_proxy_app(config), http=protocol_class(config), ws=WebSocketProtocol)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# --------------------------------------------------------------------------- the recording upstream


@dataclass
class Received:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes = b""
    size: int = 0
    sha256: str = ""
    head: bytes = b""
    tail: bytes = b""


@dataclass
class Upstream:
    received: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    stream_finished: threading.Event = field(default_factory=threading.Event)

    def reset(self) -> None:
        self.received.clear()
        self.release.clear()
        self.stream_finished.clear()

    def paths(self) -> list[str]:
        return [r.path for r in self.received]


def chunk(i: int, content: str, finish: str | None = None) -> bytes:
    data = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-test",
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": finish}],
    }
    return b"data: " + json.dumps(data).encode() + b"\n\n"


def completion(content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-test",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def pattern(size: int) -> Iterator[bytes]:
    block = bytes(range(256)) * 256  # 64 KiB
    sent = 0
    while sent < size:
        part = block[: min(len(block), size - sent)]
        sent += len(part)
        yield part


def pattern_sha256(size: int) -> str:
    h = hashlib.sha256()
    for part in pattern(size):
        h.update(part)
    return h.hexdigest()


UPSTREAM_HEADERS = {
    "x-request-id": "req_upstream_123",
    "x-ratelimit-limit-requests": "500",
    "x-ratelimit-remaining-requests": "499",
    "openai-processing-ms": "3",
    "set-cookie": "__cf_bm=abc; path=/",
    "openai-organization": "org-upstream",
}


def upstream_app(state: Upstream) -> Starlette:
    async def record(request: Request, *, keep_body: bool = True) -> Received:
        h = hashlib.sha256()
        size = 0
        parts: list[bytes] = []
        head = tail = b""
        async for part in request.stream():  # never more than a chunk in memory unless keep_body
            h.update(part)
            size += len(part)
            if keep_body and size <= 1024 * 1024:
                parts.append(part)
            if len(head) < 4096:
                head += part[: 4096 - len(head)]
            tail = (tail + part)[-4096:]
        rec = Received(
            request.method,
            request.url.path,
            request.url.query,
            {k.lower(): v for k, v in request.headers.items()},
            b"".join(parts),
            size,
            h.hexdigest(),
            head,
            tail,
        )
        state.received.append(rec)
        return rec

    async def chat(request: Request) -> Response:
        rec = await record(request)
        body = json.loads(rec.body)
        if body.get("stream"):

            async def events() -> AsyncIterator[bytes]:
                yield chunk(0, "Hel")
                deadline = time.monotonic() + 10
                while not state.release.is_set() and time.monotonic() < deadline:
                    await asyncio.sleep(0.005)
                yield chunk(1, "lo")
                yield chunk(2, "", "stop")
                yield b"data: [DONE]\n\n"
                state.stream_finished.set()

            return StreamingResponse(events(), media_type="text/event-stream", headers=UPSTREAM_HEADERS)
        text = body["messages"][-1]["content"]
        return JSONResponse(completion(f"echo: {text}"), headers=UPSTREAM_HEADERS)

    async def files_create(request: Request) -> Response:
        rec = await record(request, keep_body=False)
        return JSONResponse(
            {
                "id": "file-up",
                "object": "file",
                "bytes": rec.size,
                "created_at": 1,
                "filename": rec.sha256,
                "purpose": "batch",
                "status": "processed",
            }
        )

    async def file_content(request: Request) -> Response:
        await record(request)
        size = int(request.path_params["id"].removeprefix("file-"))  # file-<size>
        return StreamingResponse(
            _aiter(pattern(size)),
            media_type="application/octet-stream",
            headers={"content-length": str(size)},
        )

    async def slow(request: Request) -> Response:
        await record(request)
        await asyncio.sleep(3)
        return JSONResponse({})

    async def echo_key(request: Request) -> Response:
        rec = await record(request)
        message = f"Incorrect API key provided: {rec.headers.get('authorization', '')}"
        return JSONResponse(
            {
                "error": {
                    "message": message,
                    "type": "invalid_request_error",
                    "param": None,
                    "code": "invalid_api_key",
                }
            },
            status_code=401,
        )

    async def echo(request: Request) -> Response:
        rec = await record(request)
        return JSONResponse(
            {
                "object": "list",
                "data": [],
                "method": rec.method,
                "path": rec.path,
                "query": rec.query,
                "has_more": False,
            },
            headers=UPSTREAM_HEADERS,
        )

    return Starlette(
        routes=[
            Route("/v1/chat/completions", chat, methods=["POST"]),
            Route("/v1/files", files_create, methods=["POST"]),
            Route("/v1/files/{id}/content", file_content, methods=["GET"]),
            Route("/v1/slow", slow, methods=["GET"]),
            Route("/v1/echo-key", echo_key, methods=["GET"]),
            Route("/{path:path}", echo, methods=["GET", "POST", "DELETE", "PUT", "PATCH"]),
        ]
    )


async def _aiter(it: Iterator[bytes]) -> AsyncIterator[bytes]:
    for part in it:
        yield part


# --------------------------------------------------------------------------- the websockets upstream


@dataclass
class WsUpstream:
    handshakes: list[dict[str, Any]] = field(default_factory=list)
    closes: list[int | None] = field(default_factory=list)
    port: int = 0


class WsUpstreamThread:
    """A realtime-like upstream with the ``websockets`` server: sends session.created, then answers each
    text frame with an ``echo`` event and each binary frame with its bytes reversed; ``bye`` makes it
    close with code 4000."""

    def __init__(self) -> None:
        self.state = WsUpstream()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._server: Any = None

    async def _handler(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        self.state.handshakes.append(
            {
                "path": ws.request.path,
                "headers": {k.lower(): v for k, v in ws.request.headers.raw_items()},
                "subprotocol": ws.subprotocol,
            }
        )
        await ws.send(json.dumps({"type": "session.created"}))
        try:
            async for message in ws:
                if isinstance(message, bytes):
                    await ws.send(message[::-1])
                elif message == "bye":
                    await ws.close(4000, "upstream says bye")
                    break
                else:
                    await ws.send(json.dumps({"type": "echo", "data": message}))
        finally:
            self.state.closes.append(ws.close_code)

    def __enter__(self) -> WsUpstreamThread:
        self.thread.start()

        async def start() -> Any:
            def select(conn: ServerConnection, offered: Sequence[str]) -> Any:
                return "realtime" if "realtime" in offered else None  # optional, as at OpenAI

            return await serve(
                self._handler, "127.0.0.1", 0, select_subprotocol=select, max_size=None, compression=None
            )

        self._server = asyncio.run_coroutine_threadsafe(start(), self.loop).result(10)
        self.state.port = next(iter(self._server.sockets)).getsockname()[1]
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            self._server.close()
            await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


# --------------------------------------------------------------------------- log capture and subprocess


class ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextlib.contextmanager
def proxy_process(args: list[str], env: dict[str, str], log_path: str) -> Iterator[tuple[str, int]]:
    """``openai-kit proxy`` as a real subprocess; yields (base URL, pid); stderr goes to ``log_path``."""
    port = free_port()
    src = os.path.join(os.path.dirname(__file__), "..", "..", "src")
    full_env = {**os.environ, **env}
    full_env["PYTHONPATH"] = os.pathsep.join([os.path.abspath(src), full_env.get("PYTHONPATH", "")])
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "openai_kit.cli", "proxy", "--port", str(port), *args],
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                with open(log_path) as f:
                    raise RuntimeError("proxy did not start: " + f.read())
            time.sleep(0.05)
        yield url, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
