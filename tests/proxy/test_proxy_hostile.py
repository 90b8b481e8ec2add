"""Hostile clients against ``openai-kit proxy`` as a real process (raw sockets where the SDK would refuse
to send the request): head limits before authentication, per-token concurrency, a bounded wait for an
upstream slot, one Date header, quiet websocket logs. Every flood is bounded in count and time."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import websockets

from .hostile import FaultyUpstream, connect, flood_header, get, read_response, request, response
from .support import OTHER_TOKEN, TOKEN, UPSTREAM_KEY, Upstream, proxy_process

EXTRA_TOKENS = [f"sess-extra-{i:03d}" for i in range(4)]
CHAT = json.dumps({"model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]}).encode()


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env["OPENAI_API_KEY"] = UPSTREAM_KEY
    return env


@pytest.fixture(scope="module")
def limited(
    upstream: tuple[Upstream, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[int, Path, int]]:
    """The proxy process with small limits; yields (port, log path, pid)."""
    _, url = upstream
    tmp = tmp_path_factory.mktemp("hostile")
    (tmp / "tokens.txt").write_text("\n".join([TOKEN, OTHER_TOKEN, *EXTRA_TOKENS]) + "\n")
    log = tmp / "proxy.log"
    args = [
        "--upstream",
        f"{url}/v1",
        "--token-file",
        str(tmp / "tokens.txt"),
        "--header-timeout",
        "1",
        "--max-concurrent-per-token",
        "3",
        "--max-connections",
        "6",
        "--upstream-wait",
        "0.5",
    ]
    with proxy_process(args, clean_env(), str(log)) as (base, pid):
        yield int(base.rsplit(":", 1)[1]), log, pid


def assert_api_error(r: object, status: int, code: str) -> None:
    from .hostile import RawResponse

    assert isinstance(r, RawResponse)
    assert r.status == status, (r.status, r.body[:200])
    assert r.header("content-type") == ["application/json"]
    body = r.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert isinstance(error, dict) and error["code"] == code and error["message"]
    assert len(r.header("date")) == 1


# --------------------------------------------------------------------------- request heads


def test_endless_header_is_431_before_authentication(limited: tuple[int, Path, int], up: Upstream) -> None:
    port, _, _ = limited
    start = time.monotonic()
    sent, r = flood_header(port)  # no token at all
    elapsed = time.monotonic() - start
    print(
        f"endless header: 431 after {elapsed * 1000:.0f} ms; the client got {sent / 1024:.0f} KiB into the sockets"
    )
    assert_api_error(r, 431, "request_header_fields_too_large")
    assert elapsed < 5
    # The proxy stopped reading at its 64 KiB limit: what it took is bounded by the socket buffers
    # (the finding: 174 MiB accepted in 60 s).
    assert sent < 12 * 1024 * 1024, sent
    assert up.received == []


def test_many_headers_and_long_request_line(limited: tuple[int, Path, int], up: Upstream) -> None:
    port, _, _ = limited
    many = "".join(f"X-H{i}: {'v' * 100}\r\n" for i in range(1000))  # ~110 KB in small headers
    assert_api_error(request(port, get("/v1/models", TOKEN, many)), 431, "request_header_fields_too_large")
    long_path = "/v1/models?q=" + "a" * 20_000
    assert_api_error(request(port, get(long_path, TOKEN)), 414, "request_line_too_long")
    assert up.received == []
    # Just under the limits still works.
    ok = request(port, get("/v1/models?q=" + "a" * 8000, TOKEN, "X-Pad: " + "p" * 30_000 + "\r\n"))
    assert ok.status == 200 and len(up.received) == 1


def test_slow_headers_are_408(limited: tuple[int, Path, int], up: Upstream) -> None:
    port, _, _ = limited
    # Nothing after the request line.
    with connect(port) as sock:
        start = time.monotonic()
        sock.sendall(b"GET /v1/models HTTP/1.1\r\n")
        r = read_response(sock)
        waited = time.monotonic() - start
    assert_api_error(r, 408, "request_timeout")
    assert 0.8 < waited < 3, waited
    # A drip of one byte every 0.1 s: each byte arrives in time, the head as a whole does not.
    with connect(port) as sock:
        start = time.monotonic()
        sock.sendall(b"GET /v1/models HTTP/1.1\r\nX-Slow: ")
        try:
            for _ in range(40):
                sock.sendall(b"a")
                time.sleep(0.1)
        except OSError:
            pass
        r = read_response(sock)
        waited = time.monotonic() - start
    assert_api_error(r, 408, "request_timeout")
    assert waited < 3.5, waited
    # A connection that sends nothing at all is closed too.
    with connect(port) as sock:
        start = time.monotonic()
        r = read_response(sock)
    assert r.status == 408 and time.monotonic() - start < 3
    assert up.received == []


def test_malformed_request_is_400_in_api_format(limited: tuple[int, Path, int]) -> None:
    port, _, _ = limited
    r = request(port, b"GET /v1/models HTTP/1.1\r\nBad Header Without Colon\r\n\r\n")
    assert_api_error(r, 400, "invalid_request")


def test_one_date_header(limited: tuple[int, Path, int], up: Upstream) -> None:
    port, _, _ = limited
    proxied = request(port, get("/v1/models", TOKEN))
    assert proxied.status == 200 and len(proxied.header("date")) == 1
    denied = request(port, get("/v1/models", "sess-wrong"))
    assert denied.status == 401 and len(denied.header("date")) == 1


# --------------------------------------------------------------------------- concurrency


def open_stream(port: int, token: str) -> socket.socket:
    """A streamed chat whose first chunk has arrived; the upstream holds the rest until released."""
    sock = connect(port)
    sock.sendall(
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: proxy\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(CHAT)}\r\n\r\n".encode()
        + CHAT
    )
    head = b""
    while b"data:" not in head:
        data = sock.recv(65536)
        assert data, head
        head += data
    assert head.startswith(b"HTTP/1.1 200"), head[:100]
    return sock


def test_per_token_concurrency_is_429_and_a_full_pool_is_503(
    limited: tuple[int, Path, int], up: Upstream
) -> None:
    port, _, _ = limited
    streams: list[socket.socket] = []
    try:
        streams += [open_stream(port, TOKEN) for _ in range(3)]
        start = time.monotonic()
        r = request(port, get("/v1/models", TOKEN))
        assert_api_error(r, 429, "concurrency_limit_exceeded")
        assert r.header("retry-after") == ["1"]
        assert time.monotonic() - start < 0.4  # at once: no wait for a slot (0.5 s here)
        # Another token is not affected.
        assert request(port, get("/v1/models", OTHER_TOKEN)).status == 200
        # Fill the proxy's 6 upstream connections: the next request waits 0.5 s at most, then 503.
        streams += [open_stream(port, t) for t in EXTRA_TOKENS[:3]]
        start = time.monotonic()
        r = request(port, get("/v1/models", OTHER_TOKEN))
        waited = time.monotonic() - start
        assert_api_error(r, 503, "proxy_overloaded")
        assert 0.4 < waited < 2, waited
    finally:
        up.release.set()
        for s in streams:
            s.close()
    # Slots and counts are given back when the streams end.
    deadline = time.monotonic() + 5
    while request(port, get("/v1/models", TOKEN)).status != 200:
        assert time.monotonic() < deadline
        time.sleep(0.05)


# --------------------------------------------------------------------------- latency under floods


def latencies(
    port: int, token: str, seconds: float, each: Callable[[], object] = lambda: None
) -> list[float]:
    out: list[float] = []
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            t0 = time.perf_counter()
            r = client.get("/v1/models", headers={"Authorization": f"Bearer {token}"})
            out.append(time.perf_counter() - t0)
            assert r.status_code == 200
            each()
            time.sleep(0.02)
    return out


def test_valid_requests_stay_fast_during_a_header_flood(limited: tuple[int, Path, int], up: Upstream) -> None:
    port, _, pid = limited
    stop = threading.Event()
    floods = [0]
    rss = [rss_mib(pid)]

    def flooder() -> None:
        while not stop.is_set() and floods[0] < 400:  # bounded: 400 connections, 3 seconds
            floods[0] += 1
            try:
                flood_header(port, piece=256 * 1024, total=2 * 1024 * 1024)
            except OSError:
                pass

    threads = [threading.Thread(target=flooder, daemon=True) for _ in range(8)]
    for t in threads:
        t.start()
    try:
        lat = latencies(port, OTHER_TOKEN, 3, lambda: rss.append(rss_mib(pid)))
    finally:
        stop.set()
        for t in threads:
            t.join(15)
    p50, worst = statistics.median(lat) * 1000, max(lat) * 1000
    print(
        f"valid request during a header flood ({floods[0]} flooding connections): p50 {p50:.1f} ms, "
        f"max {worst:.1f} ms; proxy RSS {rss[0]:.1f} MiB before, at most {max(rss):.1f} MiB during"
    )
    # The finding: 3.4 s and 24.4 s, and 367 MiB of RSS. (Generous bounds: the flood shares 2 cores and the
    # test process's GIL with the measuring client.)
    assert worst < 2000, lat
    assert max(rss) - rss[0] < 50, rss


def test_valid_requests_stay_fast_during_a_one_token_stream_flood(
    limited: tuple[int, Path, int], up: Upstream
) -> None:
    port, _, _ = limited
    results: list[int] = []

    def one() -> None:
        try:
            with connect(port) as sock:
                sock.sendall(
                    f"POST /v1/chat/completions HTTP/1.1\r\nHost: proxy\r\nAuthorization: Bearer {TOKEN}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(CHAT)}\r\n\r\n".encode()
                    + CHAT
                )
                results.append(int(sock.recv(100).split(b" ")[1]))
                time.sleep(2)  # hold the stream, if it was accepted
        except OSError:
            results.append(0)

    flood = [threading.Thread(target=one, daemon=True) for _ in range(200)]  # bounded: 200 streams
    for t in flood:
        t.start()
    try:
        lat = latencies(port, OTHER_TOKEN, 1.5)
    finally:
        up.release.set()
        for t in flood:
            t.join(15)
    p50, worst = statistics.median(lat) * 1000, max(lat) * 1000
    print(
        f"valid request during a 200-stream flood from one token: p50 {p50:.1f} ms, max {worst:.1f} ms; "
        f"flood answers: {results.count(200)} x 200, {results.count(429)} x 429"
    )
    assert results.count(200) <= 3 and results.count(429) >= 190
    assert worst < 2000, lat  # the finding: no answer within 15 s


# --------------------------------------------------------------------------- websocket logs


def test_rejected_websockets_log_quietly_and_without_query_strings(limited: tuple[int, Path, int]) -> None:
    port, log, _ = limited

    async def attempt(headers: dict[str, str]) -> int:
        try:
            async with websockets.connect(
                f"ws://127.0.0.1:{port}/v1/realtime?model=x&api_key=sess-in-query-SECRET",
                additional_headers=headers,
            ):
                return 101
        except websockets.InvalidStatus as exc:
            return exc.response.status_code

    async def main() -> list[int]:
        return [
            await attempt({}),
            await attempt({"Authorization": "Bearer sess-wrong"}),
        ]

    assert asyncio.run(main()) == [401, 401]
    time.sleep(0.5)
    text = log.read_text()
    assert "sess-in-query-SECRET" not in text and "api_key=" not in text
    assert "ERROR" not in text and "Traceback" not in text
    assert '"WebSocket /v1/realtime" 401' in text


# --------------------------------------------------------------------------- memory after stalled downloads

GiB = 1024**3
# The default run: 200 clients, one round. PROXY_STALL_CLIENTS=200,1000 PROXY_STALL_ROUNDS=3 for the
# finding's full setting (about a minute).
STALL_CLIENTS = [int(n) for n in os.environ.get("PROXY_STALL_CLIENTS", "200").split(",")]
STALL_ROUNDS = int(os.environ.get("PROXY_STALL_ROUNDS", "1"))


def rss_mib(pid: int) -> float:
    import psutil

    return float(psutil.Process(pid).memory_info().rss) / 1024 / 1024


async def _models(w: asyncio.StreamWriter) -> None:
    w.write(response(200, b'{"object":"list","data":[]}'))


async def _download(w: asyncio.StreamWriter) -> None:
    """1 GiB, written as fast as the reader takes it."""
    block = bytes(range(256)) * 256
    w.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n" % GiB)
    for _ in range(GiB // len(block)):
        w.write(block)
        await w.drain()


@pytest.mark.parametrize("clients", STALL_CLIENTS)
def test_stalled_downloads_give_their_memory_back(tmp_path: Path, clients: int) -> None:
    """``clients`` users (one token each, so no per-token limit applies) start 1 GiB downloads, never read,
    and abort: the proxy's RSS returns near where it was."""
    tokens = [f"sess-stall-{i:04d}" for i in range(clients)]
    (tmp_path / "tokens.txt").write_text("\n".join([TOKEN, *tokens]) + "\n")
    with FaultyUpstream(handlers={"/v1/models": _models, "/v1/download": _download}) as up:
        args = [
            "--upstream",
            f"http://127.0.0.1:{up.port}/v1",
            "--token-file",
            str(tmp_path / "tokens.txt"),
            "--no-access-log",
        ]
        with proxy_process(args, clean_env(), str(tmp_path / "proxy.log")) as (base, pid):
            port = int(base.rsplit(":", 1)[1])
            for _ in range(3):  # warm up: the upstream pool and the code paths exist before the baseline
                assert request(port, get("/v1/models", TOKEN)).status == 200
            before = rss_mib(pid)
            for round_ in range(STALL_ROUNDS):
                socks: list[socket.socket] = []
                for token in tokens:
                    sock = socket.socket()
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
                    sock.settimeout(10)
                    sock.connect(("127.0.0.1", port))
                    sock.sendall(get("/v1/download", token))
                    socks.append(sock)
                for sock in socks:  # every download has started: its first bytes are here
                    assert sock.recv(12).startswith(b"HTTP/1.1 200")
                time.sleep(1.5)  # the proxy fills its buffers toward the clients that do not read
                peak = rss_mib(pid)
                for sock in socks:  # abort: RST, not a clean close
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    sock.close()
                after = peak
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    time.sleep(0.5)
                    after = rss_mib(pid)
                    if after - before < 20:
                        break
                print(
                    f"round {round_ + 1}: proxy RSS with {clients} stalled 1 GiB downloads: before {before:.1f} MiB, "
                    f"with them {peak:.1f} MiB, after they aborted {after:.1f} MiB"
                )
                assert after - before < 20, (before, peak, after)
                # The finding: about 1.9 MiB per client, never given back.
                assert (peak - before) / clients < 1.0, (before, peak)
            t0 = time.monotonic()
            assert request(port, get("/v1/models", TOKEN)).status == 200
            assert time.monotonic() - t0 < 1
