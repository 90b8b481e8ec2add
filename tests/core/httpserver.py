"""A real HTTP/1.1 server on a local socket for the core tests.

Each test registers handlers: coroutines that receive the parsed request and write raw bytes, so tests
control framing exactly (chunked SSE split anywhere, pings, stalls, a connection cut mid-body...). The
server records every request and counts TCP connections, so tests can assert connection reuse.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson


@dataclass
class Req:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    raw_query: str = ""
    #: which TCP connection (1, 2, ... in order of acceptance) carried this request
    conn_id: int = 0

    def json(self) -> Any:
        return orjson.loads(self.body)


@dataclass
class Conn:
    writer: asyncio.StreamWriter
    closed: bool = False

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def respond(
        self,
        status: int,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> None:
        hdrs = {"content-type": content_type, "content-length": str(len(body)), **(headers or {})}
        head = f"HTTP/1.1 {status} X\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items()) + "\r\n"
        await self.send(head.encode() + body)

    async def json(self, obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> None:
        await self.respond(status, orjson.dumps(obj), headers)

    async def start_chunked(
        self,
        status: int = 200,
        content_type: str = "text/event-stream",
        headers: dict[str, str] | None = None,
    ) -> None:
        hdrs = {"content-type": content_type, "transfer-encoding": "chunked", **(headers or {})}
        head = f"HTTP/1.1 {status} X\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items()) + "\r\n"
        await self.send(head.encode())

    async def chunk(self, data: bytes) -> None:
        if data:
            await self.send(b"%x\r\n%s\r\n" % (len(data), data))

    async def end_chunked(self) -> None:
        await self.send(b"0\r\n\r\n")

    def abort(self) -> None:
        self.closed = True
        self.writer.transport.abort()


Handler = Callable[[Req, Conn], Awaitable[None]]


@dataclass
class LocalHTTPServer:
    routes: dict[tuple[str, str], Handler] = field(default_factory=dict)
    requests: list[Req] = field(default_factory=list)
    connections: int = 0
    port: int = 0
    #: paths whose request bodies are read and discarded (only their size is kept, in Req.headers)
    discard_paths: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def route(self, method: str, path: str) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            self.routes[(method.upper(), path)] = fn
            return fn

        return register

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def start() -> None:
            self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0, limit=1 << 20)
            self.port = self._server.sockets[0].getsockname()[1]
            self._ready.set()

        self._loop.run_until_complete(start())
        self._loop.run_forever()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        conn_id = self.connections
        conn = Conn(writer)
        try:
            while not conn.closed:
                line = await reader.readline()
                if not line:
                    break
                method, target, _ = line.decode().split(" ", 2)
                headers: dict[str, str] = {}
                while True:
                    h = await reader.readline()
                    if h in (b"\r\n", b"\n", b""):
                        break
                    k, _, v = h.decode().partition(":")
                    headers[k.strip().lower()] = v.strip()
                path_only = target.split("?", 1)[0]
                if path_only in self.discard_paths:
                    body = b""
                    size = 0
                    remaining = int(headers.get("content-length", "0"))
                    while remaining:
                        chunk = await reader.read(min(remaining, 1 << 20))
                        if not chunk:
                            break
                        size += len(chunk)
                        remaining -= len(chunk)
                    headers["x-received-bytes"] = str(size)
                elif "content-length" in headers:
                    body = await reader.readexactly(int(headers["content-length"]))
                elif headers.get("transfer-encoding") == "chunked":
                    parts = []
                    while True:
                        size = int((await reader.readline()).strip(), 16)
                        if size == 0:
                            await reader.readline()
                            break
                        parts.append(await reader.readexactly(size))
                        await reader.readline()
                    body = b"".join(parts)
                else:
                    body = b""
                url = urlsplit(target)
                req = Req(method, url.path, {}, headers, body, url.query, conn_id)
                for k, v in parse_qsl(url.query, keep_blank_values=True):
                    req.query.setdefault(k, []).append(v)
                self.requests.append(req)
                handler = self.routes.get((method, url.path))
                if handler is None:
                    await conn.json(
                        {
                            "error": {
                                "message": f"no route {method} {url.path}",
                                "type": "x",
                                "param": None,
                                "code": None,
                            }
                        },
                        status=404,
                    )
                else:
                    await handler(req, conn)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            if not conn.closed:
                writer.close()

    def close(self) -> None:
        async def stop() -> None:
            self._server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
