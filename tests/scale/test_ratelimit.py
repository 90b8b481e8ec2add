"""The client-side rate limiter against a real server that enforces limits, alone and through Redis."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid

import pytest

from openai_kit import AsyncOpenAI, ConfigError, OpenAI, RateLimitError
from openai_kit.ratelimit import RateLimiter, estimate_tokens, parse_reset

from .support import RateLimitedServer, report, shared_load

MESSAGES = [{"role": "user", "content": "x" * 200}]  # 50 + 7 tokens, + max_tokens


def test_parse_reset() -> None:
    assert parse_reset("1s") == 1.0
    assert parse_reset("6m0s") == 360.0
    assert parse_reset("20ms") == pytest.approx(0.02)
    assert parse_reset("1h2m3.5s") == pytest.approx(3723.5)
    assert parse_reset("0.25") == 0.25
    assert parse_reset("soon") is None
    assert parse_reset("") is None


def test_estimate_counts_text_and_completion_budget() -> None:
    chat = {"messages": [{"role": "user", "content": "abcd" * 10}], "max_tokens": 100, "n": 2}
    assert estimate_tokens(chat) == 10 + 7 + 200
    parts = {"messages": [{"role": "user", "content": [{"type": "text", "text": "abcd" * 5}]}]}
    assert estimate_tokens(parts) == 5 + 7
    assert estimate_tokens({"input": ["abcd", "abcdefgh"]}) == 3
    assert estimate_tokens({"input": [1, 2, 3, 4]}) == 4
    assert estimate_tokens({"input": "abcd" * 4, "instructions": "abcd", "max_output_tokens": 9}) == 14
    assert estimate_tokens([1, 2]) == 0


def test_bad_settings_are_clear_errors() -> None:
    with pytest.raises(ConfigError, match="requests_per_minute must be a positive number"):
        RateLimiter(requests_per_minute=0)
    with pytest.raises(ConfigError, match="headroom"):
        RateLimiter(headroom=1.5)
    with pytest.raises(ConfigError, match="rate_limit must be a RateLimiter"):
        OpenAI(api_key="k", rate_limit=5)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"rate_limit: .*unexpected keyword"):
        OpenAI(api_key="k", rate_limit={"rpm": 5})


def _run_threads(client: OpenAI, threads: int, seconds: float) -> dict[str, int]:
    counts = {"ok": 0, "429": 0}
    lock = threading.Lock()
    end = time.time() + seconds

    def loop() -> None:
        while time.time() < end:
            try:
                client.chat.completions.create(model="m", messages=MESSAGES, max_tokens=50)  # type: ignore[arg-type]
                kind = "ok"
            except RateLimitError:
                kind = "429"
            with lock:
                counts[kind] += 1

    ts = [threading.Thread(target=loop) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return counts


def test_threads_wait_instead_of_429_and_keep_the_rate() -> None:
    server = RateLimitedServer(requests=40, tokens=10**9, window=1.0)
    with server.running() as url:
        client = OpenAI(
            base_url=url, api_key="k", max_retries=0, rate_limit={"requests_per_minute": 40, "period": 1}
        )
        client.chat.completions.create(model="m", messages=MESSAGES)  # type: ignore[arg-type]  # warm-up
        start = time.time()
        counts = _run_threads(client, threads=12, seconds=3.0)
        n, _ = server.in_interval(start + 0.5, start + 3.0)
    assert counts["429"] == 0 and server.rejected == 0
    assert n >= 0.9 * 40 * 2.5, n
    assert client.rate_limit is not None and client.rate_limit.stats["waited"] > 0


def test_limits_are_learned_from_headers() -> None:
    """No limit configured: the first response's x-ratelimit-limit-* headers set the pace."""
    server = RateLimitedServer(requests=25, tokens=10**9, window=1.0)
    limiter = RateLimiter(period=1.0)
    with server.running() as url:
        client = OpenAI(base_url=url, api_key="k", max_retries=0, rate_limit=limiter)
        client.chat.completions.create(model="m", messages=MESSAGES)  # type: ignore[arg-type]
        time.sleep(1.0)  # that first request went unpaced (no limit known yet): let it leave the window
        counts = _run_threads(client, threads=8, seconds=2.0)
    assert counts["429"] == 0 and server.rejected == 0
    assert 2 * 25 * 0.85 <= counts["ok"] <= 2 * 25 + 8


@pytest.mark.parametrize("shared", [False, True], ids=["local", "redis"])
async def test_async_tasks_are_paced_by_tokens(shared: bool, request: pytest.FixtureRequest) -> None:
    """Each request counts 50 + 7 + 100 tokens; the token limit binds, not the request limit."""
    server = RateLimitedServer(requests=1000, tokens=157 * 30, window=1.0)
    redis_url = request.getfixturevalue("redis_url") if shared else None
    limiter = RateLimiter(1000, 157 * 30, period=1.0, redis_url=redis_url, name=uuid.uuid4().hex)
    with server.running() as url:
        client = AsyncOpenAI(base_url=url, api_key="k", max_retries=0, rate_limit=limiter)
        # warm-up: the first call's lazy imports stall the event loop, and tasks whose slots passed
        # meanwhile would all send at once
        await client.chat.completions.create(model="m", messages=MESSAGES, max_tokens=100)  # type: ignore[arg-type]
        end = time.time() + 2.5
        errors = 0

        async def loop() -> None:
            nonlocal errors
            while time.time() < end:
                try:
                    await client.chat.completions.create(model="m", messages=MESSAGES, max_tokens=100)  # type: ignore[arg-type]
                except RateLimitError:
                    errors += 1

        start = time.time()
        await asyncio.gather(*(loop() for _ in range(16)))
        await client.close()
        n, tokens = server.in_interval(start, start + 2.5)
    assert errors == 0 and server.rejected == 0
    assert tokens >= 0.9 * 157 * 30 * 2.5, tokens
    assert tokens // n == 157


def test_a_429_pauses_the_exhausted_dimension() -> None:
    limiter = RateLimiter(period=1.0, max_pause=0.5)
    headers = {
        "x-ratelimit-limit-requests": "10",
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-remaining-tokens": "500",
        "x-ratelimit-reset-requests": "3s",  # full again in 3 s: one request back in 0.3 s
        "x-ratelimit-reset-tokens": "2m",
    }
    limiter.observe(429, headers)
    t = time.monotonic()
    limiter.acquire()
    assert 0.25 <= time.monotonic() - t < 0.45  # the requests' reset, not the tokens'
    limiter = RateLimiter(requests_per_minute=6000, max_pause=0.5)
    limiter.observe(429, {"retry-after-ms": "5000"})
    t = time.monotonic()
    limiter.acquire()
    assert 0.45 <= time.monotonic() - t < 0.7  # retry-after, capped by max_pause
    assert limiter.stats["rate_limited"] == 1


def test_redis_limiter_is_shared_by_two_limiters(redis_url: str) -> None:
    name = uuid.uuid4().hex
    a = RateLimiter(600, period=1.0, headroom=0.0, redis_url=redis_url, name=name)
    b = RateLimiter(600, period=1.0, headroom=0.0, redis_url=redis_url, name=name)
    t = time.monotonic()
    for _ in range(30):
        a.acquire()
        b.acquire()
    elapsed = time.monotonic() - t
    # 60 permits at 600 per second through one budget: 0.1 s (two separate budgets: 0.05 s)
    assert 0.095 <= elapsed < 0.3, elapsed
    # feedback from one reaches the other
    a.observe(429, {"retry-after-ms": "300"})
    t = time.monotonic()
    b.acquire()
    assert time.monotonic() - t >= 0.25


def test_processes_and_threads_share_one_redis_limiter(redis_url: str) -> None:
    """2 processes x 8 threads, strict sliding-window limits: no 429s, >= 90% of the allowed rate."""
    # a 3 s window: its 3% headroom absorbs 90 ms of scheduling jitter on a busy 2-core machine
    requests, tokens, window = 75, 7500, 3.0
    server = RateLimitedServer(requests, tokens, window)
    with server.running() as url:
        counts = shared_load(
            url,
            redis_url,
            processes=2,
            threads=8,
            requests=requests,
            tokens=tokens,
            window=window,
            seconds=5.5,
            name=uuid.uuid4().hex,
        )
    figures = report(server, counts, requests, tokens, window)
    assert figures["client_other_errors"] == 0, figures
    assert figures["client_429"] <= max(3, 0.03 * figures["client_ok"]), figures
    assert max(figures["steady_request_utilization"], figures["steady_token_utilization"]) >= 0.9, figures


def test_an_unreachable_redis_is_a_clear_error_and_nothing_is_sent() -> None:
    from openai_kit.ratelimit import RateLimiterError

    from .support import free_port

    server = RateLimitedServer(requests=100, tokens=10**9)
    limiter = RateLimiter(100, redis_url=f"redis://:hunter2@127.0.0.1:{free_port()}/0")
    with server.running() as url:
        client = OpenAI(base_url=url, api_key="k", max_retries=0, rate_limit=limiter)
        with pytest.raises(RateLimiterError, match="Redis did not answer") as info:
            client.chat.completions.create(model="m", messages=MESSAGES)  # type: ignore[arg-type]
    assert "hunter2" not in str(info.value) and "hunter2" not in repr(limiter)
    assert server.accepted == [] and server.rejected == 0
