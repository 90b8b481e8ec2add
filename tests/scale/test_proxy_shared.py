"""``openai-kit proxy`` scaled out: real proxy processes sharing per-token limits through a real Redis."""

from __future__ import annotations

import os
import re
import signal
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from openai_kit.proxy import token_id
from tests.proxy.support import (
    OTHER_TOKEN,
    TOKEN,
    UPSTREAM_KEY,
    ServerThread,
    Upstream,
    free_port,
    proxy_process,
    upstream_app,
)

CHAT = {"model": "gpt-test", "messages": [{"role": "user", "content": "hi"}]}
STREAM = {**CHAT, "stream": True}


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[Upstream, str]]:
    state = Upstream()
    with ServerThread(upstream_app(state)) as server:
        yield state, server.url


@pytest.fixture
def tokens(tmp_path: Path) -> Path:
    path = tmp_path / "tokens.txt"
    path.write_text(f"{TOKEN}\n{OTHER_TOKEN}\n")
    return path


def env() -> dict[str, str]:
    out = {k: "" for k in os.environ if k.startswith("OPENAI_")}
    out["OPENAI_API_KEY"] = UPSTREAM_KEY
    return out


def args(url: str, tokens: Path, *extra: str) -> list[str]:
    # a fresh key prefix per test: the Redis server is shared by the session
    return [
        "--upstream",
        f"{url}/v1",
        "--token-file",
        str(tokens),
        "--redis-prefix",
        f"t-{uuid.uuid4().hex[:8]}",
        *extra,
    ]


def chat(base: str, token: str = TOKEN, *, timeout: float = 10) -> httpx.Response:
    """One request on a new connection (so that --workers spreads them)."""
    return httpx.post(
        f"{base}/v1/chat/completions",
        json=CHAT,
        headers={"Authorization": f"Bearer {token}"},
        timeout=timeout,
    )


def open_stream(client: httpx.Client, base: str) -> Iterator[bytes]:
    """A streamed request held open by the upstream; drain the returned iterator to finish it (dropping
    it closes the response)."""
    request = client.build_request(
        "POST", f"{base}/v1/chat/completions", json=STREAM, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    response = client.send(request, stream=True)
    assert response.status_code == 200, response.read()
    chunks = response.iter_raw()
    next(chunks)  # the first chunk: the request is in flight upstream
    return chunks


def test_rate_limit_holds_across_two_proxy_processes(
    upstream: tuple[Upstream, str], tokens: Path, redis_url: str, tmp_path: Path
) -> None:
    _, url = upstream
    common = args(url, tokens, "--rate-limit", "12", "--redis-url", redis_url)
    with ExitStack() as stack:
        bases = [
            stack.enter_context(proxy_process(common, env(), str(tmp_path / f"p{i}.log")))[0]
            for i in range(2)
        ]
        t0 = time.monotonic()
        results = [chat(bases[i % 2]) for i in range(36)]  # spread over both ports
        elapsed = time.monotonic() - t0
        assert elapsed < 5  # the bucket refills one request per 5 s: at most one more could be allowed
        ok = [i for i, r in enumerate(results) if r.status_code == 200]
        limited = [r for r in results if r.status_code == 429]
        assert len(ok) in (12, 13) and len(ok) + len(limited) == 36
        assert {i % 2 for i in ok} == {0, 1}  # both processes admitted, from one budget
        body = limited[0].json()["error"]
        assert body["code"] == "rate_limit_exceeded" and body["type"] == "requests"
        assert 1 <= int(limited[0].headers["retry-after"]) <= 5
        # another token has its own budget, whichever process it reaches
        assert [chat(b, OTHER_TOKEN).status_code for b in bases] == [200, 200]


def test_concurrency_limit_holds_across_processes_and_survives_a_dead_one(
    upstream: tuple[Upstream, str], tokens: Path, redis_url: str, tmp_path: Path
) -> None:
    state, url = upstream
    state.reset()
    common = args(
        url, tokens, "--max-concurrent-per-token", "2", "--redis-slot-ttl", "1.5", "--redis-url", redis_url
    )
    with ExitStack() as stack:
        (a, a_pid), (b, _) = (
            stack.enter_context(proxy_process(common, env(), str(tmp_path / f"p{i}.log"))) for i in range(2)
        )
        client = stack.enter_context(httpx.Client(timeout=10))
        # one stream through each process: the token's two slots are taken, a third request is refused
        s1, s2 = open_stream(client, a), open_stream(client, b)
        for base in (a, b):
            r = chat(base)
            assert r.status_code == 429 and r.json()["error"]["code"] == "concurrency_limit_exceeded"
        assert chat(a, OTHER_TOKEN).status_code == 200  # per token
        state.release.set()
        for s in (s1, s2):
            assert b"[DONE]" in b"".join(s)
        deadline = time.monotonic() + 5  # the slots are given back just after the responses
        while chat(b).status_code != 200:
            assert time.monotonic() < deadline, "slots were not given back"
            time.sleep(0.05)

        # a stream open longer than the slot TTL still counts (its process refreshes the slot)
        state.release.clear()
        s1, s2 = open_stream(client, a), open_stream(client, a)
        time.sleep(2.5)
        assert chat(b).status_code == 429
        # the process holding both slots dies without giving them back: they stop counting after the TTL
        os.kill(a_pid, signal.SIGKILL)
        t0 = time.monotonic()
        while (r := chat(b)).status_code == 429:
            assert time.monotonic() - t0 < 5, "the dead process's slots leaked"
            time.sleep(0.1)
        assert r.status_code == 200
        assert time.monotonic() - t0 < 3.5  # at most the TTL (1.5 s) plus polling
        state.release.set()
        del s1, s2


def _pids(log: Path, tid: str, status: int) -> list[str]:
    # "2026-... [pid] openai_kit.proxy.access token=<tid> POST /v1/chat/completions 200 ..."
    pattern = re.compile(rf"\[(\d+)\] openai_kit\.proxy\.access token={re.escape(tid)} POST \S+ {status} ")
    return pattern.findall(log.read_text())


def test_workers_share_one_port_one_limit_and_reload_the_token_file(
    upstream: tuple[Upstream, str], tokens: Path, redis_url: str, tmp_path: Path
) -> None:
    _, url = upstream
    log = tmp_path / "proxy.log"
    common = args(url, tokens, "--workers", "2", "--rate-limit", "15", "--redis-url", redis_url)
    with proxy_process(common, env(), str(log)) as (base, _):
        t0 = time.monotonic()
        results = [chat(base).status_code for _ in range(40)]  # one connection each: spread by the kernel
        refilled = int((time.monotonic() - t0) / 4)  # 15 a minute: one more every 4 s
        assert 15 <= results.count(200) <= 15 + refilled + 1
        assert results.count(429) == 40 - results.count(200)
        time.sleep(0.5)  # the access log is written by a thread every 0.2 s
        pids = set(_pids(log, token_id(TOKEN), 200))
        assert len(pids) == 2, f"expected both workers to serve: {pids}"  # and together, one budget

        # the token file changes: every worker accepts the new token and rejects the removed one
        new = "sess-new-9a8b7c6d5e"
        tokens.write_text(f"{OTHER_TOKEN}\n{new}\n")
        assert {chat(base, new).status_code for _ in range(12)} == {200}
        assert {chat(base, TOKEN).status_code for _ in range(12)} == {401}
        time.sleep(0.5)
        assert len(set(_pids(log, token_id(new), 200))) == 2
        assert len(set(_pids(log, "-", 401))) == 2  # a rejected token is logged without an id


def test_workers_restart_a_dead_worker(upstream: tuple[Upstream, str], tokens: Path, tmp_path: Path) -> None:
    import psutil

    _, url = upstream
    with proxy_process([*args(url, tokens, "--workers", "2")], env(), str(tmp_path / "proxy.log")) as (
        base,
        pid,
    ):
        parent = psutil.Process(pid)
        deadline = time.monotonic() + 20
        while len(children := parent.children()) < 2:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        children[0].kill()
        deadline = time.monotonic() + 20
        while True:
            alive = [c for c in parent.children() if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
            if len(alive) == 2 and children[0].pid not in {c.pid for c in alive}:
                break
            assert time.monotonic() < deadline, "the dead worker was not replaced"
            time.sleep(0.1)
        assert {chat(base).status_code for _ in range(10)} == {200}
    assert not parent.is_running() or parent.status() == psutil.STATUS_ZOMBIE
    for child in children[1:]:
        assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE


def test_configuration_errors_name_the_flag(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from openai_kit import ConfigError
    from openai_kit.cli import main
    from openai_kit.proxy import ProxyConfig

    with pytest.raises(ConfigError, match="redis_url must be a redis://"):
        ProxyConfig(api_key="sk-x", allow_anonymous=True, redis_url="http://127.0.0.1:6379")
    config = ProxyConfig(api_key="sk-x", allow_anonymous=True, redis_url="redis://:pw-secret@127.0.0.1:1/0")
    assert "pw-secret" not in repr(config)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    code = main(["proxy", "--allow-anonymous", "--redis-url", "ftp://:pw-secret@host/0"])
    err = capsys.readouterr().err
    assert code == 2 and "--redis-url must be a redis://" in err and "pw-secret" not in err


def test_redis_down_answers_503_fast_without_secrets(
    upstream: tuple[Upstream, str], tokens: Path, tmp_path: Path
) -> None:
    from .support import run_redis

    _, url = upstream
    password = "hunter2-redis-secret"
    common = args(url, tokens, "--rate-limit", "100", "--redis-timeout", "0.5")

    def assert_503_fast(base: str) -> None:
        for _ in range(3):
            t0 = time.monotonic()
            r = chat(base)
            assert time.monotonic() - t0 < 1.5
            assert r.status_code == 503, r.text
            error = r.json()["error"]
            assert error["code"] == "limits_unavailable" and error["type"] == "server_error"
            assert r.headers["retry-after"] == "1"
            assert password not in r.text and "redis" not in r.text.lower()

    # nothing listens at the URL (given through the environment, as the help recommends for a password)
    down_log = tmp_path / "down.log"
    secret_url = f"redis://:{password}@127.0.0.1:{free_port()}/0"
    with proxy_process(common, {**env(), "OPENAI_KIT_PROXY_REDIS_URL": secret_url}, str(down_log)) as (
        base,
        _,
    ):
        assert_503_fast(base)

    # a Redis that accepts connections and never answers: 503 after --redis-timeout, not a hang
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        hung_url = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
        with proxy_process([*common, "--redis-url", hung_url], env(), str(tmp_path / "hung.log")) as (
            base,
            _,
        ):
            assert_503_fast(base)

    # Redis goes away under a running proxy: 503 at once instead of a hang; back to 200 once it returns
    log = tmp_path / "proxy.log"
    redis = run_redis()
    redis_url = redis.__enter__()
    try:
        with proxy_process([*common, "--redis-url", redis_url], env(), str(log)) as (base, _):
            assert chat(base).status_code == 200
            redis.__exit__(None, None, None)
            assert_503_fast(base)
    finally:
        redis.__exit__(None, None, None)
    text = down_log.read_text() + log.read_text()
    assert password not in text and "Traceback" not in text
    assert "Redis did not answer" in down_log.read_text()
