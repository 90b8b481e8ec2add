"""A fake OpenAI API server that is never the bottleneck.

Raw asyncio protocol + httptools parser + uvloop (when installed): no framework, no per-request allocation
beyond the parser's, every body precomputed. Binds 127.0.0.1 only. Run it as its own process pinned to
one core (the orchestrator does `taskset -c 0 python benchmarks/fake_server.py ...`).

Routes (all under `/v1`):
  POST /chat/completions      ~1 KB completion; `stream: true` -> chunked SSE of `max_completion_tokens`
                              (or `max_tokens`, else --stream-chunks) `chat.completion.chunk` events + [DONE]
  POST /responses             a completed response with one output message (not streamed)
  POST /embeddings            one embedding per input, `dimensions` (default 1536) floats, float or base64
  GET  /files                 cursor pages over --files file objects, honouring `after` and `limit`
  POST /files                 multipart upload, read and discarded (`bytes` in the answer = bytes received)
  GET  /files/{id}            a file object
  GET  /files/{id}/content    binary download; `file-bytes-<N>` ids are N bytes long
  GET  /health, GET /models   small bodies, used for readiness checks
  GET  /batches/batch_bench, /fine_tuning/jobs, /vector_stores/vs_bench, /models/gpt-4o-mini,
  POST /moderations           one fixed object each (first use of an API area)

The server prints `READY <port>` on stdout once every precomputed body is built.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import signal
import sys
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

import httptools
import orjson

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from benchmarks import payloads

MAX_KEPT_BODY = 64 * 1024 * 1024  # request bodies we parse (JSON); uploads are discarded, never kept
WRITE_SLICE = 1024 * 1024
DOWNLOAD_BLOCK = 1024 * 1024
MAX_DOWNLOAD = 64 * 1024 * 1024 * 1024


@dataclass
class ServerConfig:
    files: int = 10_000
    stream_chunks: int = 20
    embeddings: list[tuple[int, int]] = field(default_factory=list)
    lifetime: float = 3600.0


class Bodies:
    """Precomputed and cached response bodies."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.chat = payloads.chat_completion_body()
        self.response = orjson.dumps(payloads.response_object())
        # first use of an API area (first_* scenarios): one fixed answer per route
        self.fixed: dict[tuple[str, str], bytes] = {
            ("GET", "/v1/batches/batch_bench"): orjson.dumps(payloads.batch_object()),
            ("GET", "/v1/fine_tuning/jobs"): orjson.dumps(payloads.fine_tuning_jobs_page()),
            ("GET", "/v1/vector_stores/vs_bench"): orjson.dumps(payloads.vector_store_object()),
            ("POST", "/v1/moderations"): orjson.dumps(payloads.moderation_object()),
            ("GET", f"/v1/models/{payloads.MODEL}"): orjson.dumps(payloads.model_object()),
        }
        self._streams: dict[int, bytes] = {}
        self._vectors: dict[tuple[int, int], list[list[float]]] = {}
        self._embeddings: dict[tuple[int, int, str], bytes] = {}
        self.file_items = [payloads.file_object_bytes(i) for i in range(config.files)]
        self.file_ids = [payloads.file_id(i) for i in range(config.files)]
        self.file_index = {fid: i for i, fid in enumerate(self.file_ids)}
        self._pages: dict[tuple[int, int], bytes] = {}
        self.download_block = bytes(DOWNLOAD_BLOCK)
        self.stream(config.stream_chunks)
        for count, dims in config.embeddings:
            self.embeddings(count, dims, "float")
            self.embeddings(count, dims, "base64")

    def stream(self, chunks: int) -> bytes:
        body = self._streams.get(chunks)
        if body is None:
            body = self._streams[chunks] = payloads.stream_body(chunks)
        return body

    def embeddings(self, count: int, dims: int, encoding_format: str) -> bytes:
        key = (count, dims, encoding_format)
        body = self._embeddings.get(key)
        if body is None:
            vectors = self._vectors.get((count, dims))
            if vectors is None:
                # Vectors of a bigger cached set are reused (a prefix of the same deterministic sequence).
                vectors = self._vectors[(count, dims)] = payloads.embedding_vectors(count, dims)
            body = self._embeddings[key] = payloads.embeddings_body(vectors, encoding_format)
        return body

    def files_page(self, start: int, limit: int) -> bytes:
        key = (start, limit)
        body = self._pages.get(key)
        if body is None:
            end = min(start + limit, len(self.file_items))
            items = self.file_items[start:end]
            first = self.file_ids[start] if items else None
            last = self.file_ids[end - 1] if items else None
            body = payloads.files_page(items, first, last, end < len(self.file_items))
            if len(self._pages) < 10_000:
                self._pages[key] = body
        return body


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[bytes, bytes]
    body: bytes
    body_size: int
    keep_alive: bool


# A handler returns either a complete response (bytes), or a coroutine factory that writes it.
Response = bytes | Callable[["HttpProtocol"], Any]

_REASONS = {200: b"OK", 400: b"Bad Request", 404: b"Not Found", 405: b"Method Not Allowed", 413: b"Too Large"}


def head(status: int, content_type: bytes, length: int | None, keep_alive: bool, extra: bytes = b"") -> bytes:
    lines = [
        b"HTTP/1.1 %d %s\r\n" % (status, _REASONS.get(status, b"OK")),
        b"content-type: " + content_type + b"\r\n",
        b"x-request-id: req_0123456789abcdef0123456789abcdef\r\n",
        b"openai-processing-ms: 42\r\nopenai-version: 2020-10-01\r\n",
    ]
    if length is None:
        lines.append(b"transfer-encoding: chunked\r\n")
    else:
        lines.append(b"content-length: %d\r\n" % length)
    if not keep_alive:
        lines.append(b"connection: close\r\n")
    lines.append(extra)
    lines.append(b"\r\n")
    return b"".join(lines)


def json_response(body: bytes, keep_alive: bool, status: int = 200) -> bytes:
    return head(status, b"application/json", len(body), keep_alive) + body


class App:
    def __init__(self, bodies: Bodies) -> None:
        self.bodies = bodies

    def discard_body(self, method: str, path: str) -> bool:
        return method == "POST" and path in ("/v1/files", "/v1/uploads")

    def handle(self, req: Request) -> Response:
        path, method = req.path, req.method
        if path == "/v1/chat/completions" and method == "POST":
            return self.chat(req)
        if path == "/v1/embeddings" and method == "POST":
            return self.embeddings(req)
        if path == "/v1/responses" and method == "POST":
            return json_response(self.bodies.response, req.keep_alive)
        if path == "/v1/files":
            if method == "GET":
                return self.list_files(req)
            if method == "POST":
                return json_response(payloads.uploaded_file(req.body_size), req.keep_alive)
        if path.startswith("/v1/files/") and method == "GET":
            rest = path[len("/v1/files/") :]
            if rest.endswith("/content"):
                return self.download(req, rest[: -len("/content")])
            index = self.bodies.file_index.get(rest)
            if index is not None:
                return json_response(self.bodies.file_items[index], req.keep_alive)
        if method in ("GET", "POST"):
            fixed = self.bodies.fixed.get((method, path))
            if fixed is not None:
                return json_response(fixed, req.keep_alive)
        if path in ("/health", "/v1/models") and method == "GET":
            return json_response(b'{"object":"list","data":[]}', req.keep_alive)
        return json_response(payloads.error_body(f"Unknown route {method} {path}"), req.keep_alive, 404)

    def _json_body(self, req: Request) -> dict[str, Any] | None:
        try:
            data = orjson.loads(req.body)
        except orjson.JSONDecodeError:
            return None
        return data if isinstance(data, dict) else None

    def chat(self, req: Request) -> Response:
        data = self._json_body(req)
        if data is None:
            return json_response(payloads.error_body("invalid JSON body"), req.keep_alive, 400)
        if data.get("stream") is not True:
            return json_response(self.bodies.chat, req.keep_alive)
        chunks = (
            data.get("max_completion_tokens") or data.get("max_tokens") or self.bodies.config.stream_chunks
        )
        if not isinstance(chunks, int) or not 2 <= chunks <= 1_000_000:
            return json_response(payloads.error_body("bad max_completion_tokens"), req.keep_alive, 400)
        body = self.bodies.stream(chunks)
        hdr = head(
            200, b"text/event-stream; charset=utf-8", None, req.keep_alive, b"cache-control: no-cache\r\n"
        )
        return lambda proto: proto.write_large(hdr, body)

    def embeddings(self, req: Request) -> Response:
        data = self._json_body(req)
        if data is None:
            return json_response(payloads.error_body("invalid JSON body"), req.keep_alive, 400)
        inputs = data.get("input")
        count = len(inputs) if isinstance(inputs, list) else 1
        dims = data.get("dimensions") or payloads.EMBEDDING_DIMS
        fmt = data.get("encoding_format") or "float"
        if fmt not in ("float", "base64") or not isinstance(dims, int) or not 1 <= dims <= 4096:
            return json_response(payloads.error_body("bad encoding_format/dimensions"), req.keep_alive, 400)
        if not 1 <= count <= 2048:
            return json_response(payloads.error_body("input must have 1..2048 items"), req.keep_alive, 400)
        body = self.bodies.embeddings(count, dims, fmt)
        hdr = head(200, b"application/json", len(body), req.keep_alive)
        if len(body) <= WRITE_SLICE:
            return hdr + body
        return lambda proto: proto.write_large(hdr, body)

    def list_files(self, req: Request) -> Response:
        after = req.query.get("after", [None])[0]
        try:
            limit = int(req.query.get("limit", ["10000"])[0])
        except ValueError:
            limit = -1
        if not 1 <= limit <= 10_000:
            return json_response(payloads.error_body("limit must be in 1..10000"), req.keep_alive, 400)
        start = 0
        if after is not None:
            index = self.bodies.file_index.get(after)
            if index is None:
                return json_response(payloads.error_body(f"No such file: {after}"), req.keep_alive, 400)
            start = index + 1
        return json_response(self.bodies.files_page(start, limit), req.keep_alive)

    def download(self, req: Request, fid: str) -> Response:
        if not fid.startswith(payloads.DOWNLOAD_PREFIX):
            return json_response(payloads.error_body(f"No such file: {fid}"), req.keep_alive, 404)
        try:
            size = int(fid[len(payloads.DOWNLOAD_PREFIX) :])
        except ValueError:
            size = -1
        if not 0 <= size <= MAX_DOWNLOAD:
            return json_response(payloads.error_body("bad size"), req.keep_alive, 400)
        hdr = head(200, b"application/octet-stream", size, req.keep_alive)
        block = self.bodies.download_block
        return lambda proto: proto.write_repeated(hdr, block, size)


class HttpProtocol(asyncio.Protocol):
    def __init__(self, app: App) -> None:
        self.app = app
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.url = b""
        self.headers: dict[bytes, bytes] = {}
        self.body_parts: list[bytes] = []
        self.body_size = 0
        self.discard = False
        self.too_large = False
        self.pending: deque[Request] = deque()
        self.busy = False
        self.closed = False
        self.can_write = asyncio.Event()
        self.can_write.set()

    # -- asyncio.Protocol -------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not subclasses

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.can_write.set()

    def pause_writing(self) -> None:
        self.can_write.clear()

    def resume_writing(self) -> None:
        self.can_write.set()

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.send(json_response(payloads.error_body("malformed HTTP request"), False, 400), False)

    # -- httptools callbacks ----------------------------------------------------------------------
    def on_message_begin(self) -> None:
        self.url = b""
        self.headers = {}
        self.body_parts = []
        self.body_size = 0
        self.too_large = False

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.lower()] = value

    def on_headers_complete(self) -> None:
        method = self.parser.get_method().decode("ascii")
        self.discard = self.app.discard_body(method, urlsplit(self.url.decode("latin-1")).path)
        if self.headers.get(b"expect", b"").lower() == b"100-continue" and self.transport is not None:
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        self.body_size += len(body)
        if self.discard or self.too_large:
            return
        if self.body_size > MAX_KEPT_BODY:
            self.too_large = True
            self.body_parts = []
            return
        self.body_parts.append(body)

    def on_message_complete(self) -> None:
        split = urlsplit(self.url.decode("latin-1"))
        req = Request(
            method=self.parser.get_method().decode("ascii"),
            path=split.path,
            query=parse_qs(split.query),
            headers=self.headers,
            body=b"".join(self.body_parts),
            body_size=self.body_size,
            keep_alive=self.parser.should_keep_alive(),
        )
        self.body_parts = []
        if self.too_large:
            self.send(json_response(payloads.error_body("body too large"), False, 413), False)
            return
        if self.busy:
            self.pending.append(req)
        else:
            self.process(req)

    # -- responses --------------------------------------------------------------------------------
    def process(self, req: Request) -> None:
        """Answer `req`; requests that arrive while a long response is being written wait in order."""
        while True:
            response = self.app.handle(req)
            if isinstance(response, bytes):
                self.send(response, req.keep_alive)
            else:
                self.busy = True
                task = asyncio.get_running_loop().create_task(response(self))
                task.add_done_callback(functools.partial(self.finished, req))
                return
            if not self.pending or self.closed:
                return
            req = self.pending.popleft()

    def finished(self, req: Request, _task: object = None) -> None:
        self.busy = False
        if not req.keep_alive and self.transport is not None:
            self.transport.close()
            return
        if self.pending and not self.closed:
            self.process(self.pending.popleft())

    def send(self, data: bytes, keep_alive: bool) -> None:
        if self.transport is None or self.closed:
            return
        self.transport.write(data)
        if not keep_alive:
            self.transport.close()

    async def write_large(self, hdr: bytes, body: bytes) -> None:
        """Write a big precomputed body in slices, honouring the transport's flow control."""
        if self.transport is None:
            return
        self.transport.write(hdr)
        view = memoryview(body)
        for start in range(0, len(view), WRITE_SLICE):
            await self.can_write.wait()
            if self.closed:
                return
            self.transport.write(view[start : start + WRITE_SLICE])

    async def write_repeated(self, hdr: bytes, block: bytes, size: int) -> None:
        """Write `size` bytes made of `block` repeated, honouring flow control (constant memory)."""
        if self.transport is None:
            return
        self.transport.write(hdr)
        view = memoryview(block)
        for start in range(0, size, len(block)):
            await self.can_write.wait()
            if self.closed:
                return
            self.transport.write(view[: min(len(block), size - start)])


async def serve(config: ServerConfig, host: str, port: int, ready: Callable[[int], None]) -> None:
    bodies = Bodies(config)
    app = App(bodies)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: HttpProtocol(app), host, port, backlog=1024, reuse_address=True)
    bound = server.sockets[0].getsockname()[1]
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    ready(bound)
    parent = os.getppid()
    deadline = loop.time() + config.lifetime
    # Bounded: stop on a signal, when the parent process goes away, or when the lifetime runs out.
    while not stop.is_set() and loop.time() < deadline and os.getppid() == parent:
        try:
            await asyncio.wait_for(stop.wait(), timeout=1.0)
        except asyncio.TimeoutError:
            pass
    server.close()


def parse_embeddings(spec: str) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for item in spec.split(","):
        if item.strip():
            count, _, dims = item.partition("x")
            out.append((int(count), int(dims or payloads.EMBEDDING_DIMS)))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed on READY)")
    parser.add_argument("--files", type=int, default=10_000, help="number of files GET /v1/files lists")
    parser.add_argument(
        "--stream-chunks", type=int, default=20, help="default (and precomputed) stream length"
    )
    parser.add_argument("--embeddings", default="", help="precompute these, e.g. 2048x1536,64x1536")
    parser.add_argument("--lifetime", type=float, default=3600.0, help="exit after this many seconds")
    parser.add_argument("--no-uvloop", action="store_true")
    args = parser.parse_args(argv)
    config = ServerConfig(
        files=args.files,
        stream_chunks=args.stream_chunks,
        embeddings=parse_embeddings(args.embeddings),
        lifetime=args.lifetime,
    )

    def ready(port: int) -> None:
        print(f"READY {port}", flush=True)

    coro = serve(config, "127.0.0.1", args.port, ready)
    if not args.no_uvloop:
        try:
            import uvloop
        except ImportError:
            pass
        else:
            uvloop.run(coro)
            return
    asyncio.run(coro)


if __name__ == "__main__":
    main()
