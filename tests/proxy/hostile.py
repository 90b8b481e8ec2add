"""Tools for the adversarial proxy tests: raw HTTP/1.1 over sockets (the SDK would refuse to send most of
these requests) and a faulty upstream that writes exactly the bytes a test asks for."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import orjson


@dataclass
class RawResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> list[str]:
        return [v for n, v in self.headers if n.lower() == name]

    def json(self) -> dict[str, object]:
        data: dict[str, object] = orjson.loads(self.body)
        return data


def connect(port: int, timeout: float = 10) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.settimeout(timeout)
    return sock


def read_response(sock: socket.socket) -> RawResponse:
    """One response from ``sock``: head, then a Content-Length body, a chunked body or until EOF."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        data = sock.recv(65536)
        if not data:
            raise ConnectionError(f"connection closed before a response head: {buf[:200]!r}")
        buf += data
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = [(n.strip().lower(), v.strip()) for n, _, v in (line.partition(":") for line in lines[1:])]
    lengths = [int(v) for n, v in headers if n == "content-length"]
    chunked = any(n == "transfer-encoding" and "chunked" in v for n, v in headers)
    if lengths:
        while len(rest) < lengths[0]:
            data = sock.recv(65536)
            if not data:
                break
            rest += data
        return RawResponse(status, headers, rest[: lengths[0]])
    if chunked:
        body = b""
        while True:
            while b"\r\n" not in rest:
                rest += sock.recv(65536)
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            while len(rest) < size + 2:
                data = sock.recv(65536)
                if not data:
                    raise ConnectionError("chunked body cut short")
                rest += data
            body += rest[:size]
            rest = rest[size + 2 :]
            if size == 0:
                return RawResponse(status, headers, body)
    while data := sock.recv(65536):
        rest += data
    return RawResponse(status, headers, rest)


def request(port: int, raw: bytes, timeout: float = 10) -> RawResponse:
    with connect(port, timeout) as sock:
        sock.sendall(raw)
        return read_response(sock)


def get(path: str, token: str, extra: str = "") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: proxy\r\nAuthorization: Bearer {token}\r\n{extra}\r\n".encode()


def flood_header(
    port: int, *, piece: int = 1024 * 1024, total: int = 16 * 1024 * 1024
) -> tuple[int, RawResponse]:
    """Send one endless header in ``piece``-byte pieces (at most ``total``) while reading; returns the bytes
    the proxy took before it answered, and its answer."""
    with connect(port) as sock:
        sock.sendall(b"GET /v1/models HTTP/1.1\r\nHost: proxy\r\nX-Flood: ")
        sent = 0
        block = b"a" * piece
        sock.setblocking(False)
        received = b""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                data = sock.recv(65536)
                if not data:
                    break
                received += data
                if b"\r\n\r\n" in received:
                    break
            except BlockingIOError:
                pass
            except ConnectionError:
                break
            if sent < total:
                try:
                    sent += sock.send(block)
                except BlockingIOError:
                    time.sleep(0.001)
                except (BrokenPipeError, ConnectionError):
                    sent = total
        sock.setblocking(True)
        sock.settimeout(5)
        rest = b""
        try:
            while data := sock.recv(65536):
                rest += data
        except (ConnectionError, TimeoutError):
            pass
        fake = _Replay(received + rest)
        return sent, read_response(fake)  # type: ignore[arg-type]


class _Replay:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def recv(self, n: int) -> bytes:
        out, self.data = self.data[:n], self.data[n:]
        return out


# --------------------------------------------------------------------------- a faulty upstream

Handler = Callable[[asyncio.StreamWriter], Awaitable[None]]


@dataclass
class FaultyUpstream:
    """An asyncio HTTP/1.1 server in a thread that keeps connections alive and answers each request with
    the handler registered for its path (which writes raw bytes). Counts connections and requests."""

    handlers: dict[str, Handler] = field(default_factory=dict)
    connections: int = 0
    requests: list[tuple[int, str]] = field(default_factory=list)  # (connection number, path)
    port: int = 0

    def __post_init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number = self.connections
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1].split("?")[0]
                length = 0
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                if length:
                    await reader.readexactly(length)
                self.requests.append((number, path))
                handler = self.handlers.get(path)
                if handler is None:
                    writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                else:
                    await handler(writer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    def __enter__(self) -> FaultyUpstream:
        self.thread.start()

        async def start() -> asyncio.Server:
            return await asyncio.start_server(self._serve, "127.0.0.1", 0)

        self.server = asyncio.run_coroutine_threadsafe(start(), self.loop).result(10)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            # close the listener and every connection task here, on this loop: a transport left to the
            # garbage collector after the loop closed warns "Event loop is closed" in some later test
            self.server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.server.wait_closed()

        try:
            asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)
            if not self.thread.is_alive():
                self.loop.close()


def response(status: int, body: bytes, *headers: str, content_type: str = "application/json") -> bytes:
    lines = [
        f"HTTP/1.1 {status} X",
        f"Content-Type: {content_type}",
        f"Content-Length: {len(body)}",
        *headers,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body
