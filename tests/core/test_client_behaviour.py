"""Options, hooks, timeouts, logging redaction, event loops, fork, and the client lifecycle."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time

import httpx
import pytest

import openai_kit

from .httpserver import Conn, LocalHTTPServer, Req


@pytest.fixture
def echo(server: LocalHTTPServer) -> LocalHTTPServer:
    async def handler(req: Req, conn: Conn) -> None:
        await conn.json({"headers": req.headers, "query": req.query, "body": req.body.decode()})

    server.route("POST", "/v1/echo")(handler)
    server.route("GET", "/v1/echo")(handler)
    return server


def test_headers_and_per_request_options(echo: LocalHTTPServer) -> None:
    client = openai_kit.OpenAI(
        api_key="sk-1",
        organization="org-1",
        project="proj-1",
        base_url=echo.base_url,
        default_headers={"x-team": "a"},
        default_query={"tenant": "t1"},
    )
    out = client.post(
        "/echo",
        body={"a": 1},
        query={"q": True, "list[]": ["x", "y"], "none": None},
        options={
            "extra_headers": {"x-extra": "1", "x-team": None},
            "extra_query": {"eq": "2"},
            "extra_body": {"b": 2},
            "idempotency_key": "idem-1",
        },
    )
    h = out["headers"]
    assert h["authorization"] == "Bearer sk-1"
    assert h["openai-organization"] == "org-1" and h["openai-project"] == "proj-1"
    assert h["user-agent"].startswith("openai-kit/")
    assert h["x-extra"] == "1" and "x-team" not in h
    assert h["idempotency-key"] == "idem-1"
    assert out["query"] == {"tenant": ["t1"], "q": ["true"], "list[]": ["x", "y"], "eq": ["2"]}
    assert out["body"] == '{"a":1,"b":2}'
    assert client.get("/echo")["headers"]["x-team"] == "a"


def test_hooks_see_and_may_change_requests(echo: LocalHTTPServer) -> None:
    seen: list[tuple[str, int]] = []

    def on_request(request: openai_kit.Request) -> None:
        request.headers["traceparent"] = "00-abc-01"

    def on_response(response: openai_kit.Response) -> None:
        seen.append((response.request.method, response.status_code))

    client = openai_kit.OpenAI(
        api_key="k", base_url=echo.base_url, event_hooks={"request": [on_request], "response": [on_response]}
    )
    assert client.get("/echo")["headers"]["traceparent"] == "00-abc-01"
    assert seen == [("GET", 200)]
    with pytest.raises(openai_kit.ConfigError, match="unknown hook"):
        openai_kit.OpenAI(api_key="k", event_hooks={"before": []})


async def test_async_hooks(echo: LocalHTTPServer) -> None:
    seen: list[int] = []

    async def on_response(response: openai_kit.Response) -> None:
        await asyncio.sleep(0)
        seen.append(response.status_code)

    client = openai_kit.AsyncOpenAI(
        api_key="k", base_url=echo.base_url, event_hooks={"response": [on_response]}
    )
    await client.get("/echo")
    assert seen == [200]
    await client.close()


def test_read_timeout_and_overall_deadline(server: LocalHTTPServer) -> None:
    @server.route("GET", "/v1/slow")
    async def slow(req: Req, conn: Conn) -> None:
        await asyncio.sleep(3)
        await conn.json({})

    client = openai_kit.OpenAI(api_key="k", base_url=server.base_url, max_retries=0, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(openai_kit.APITimeoutError):
        client.get("/slow")
    assert time.monotonic() - started < 1.5
    retrying = openai_kit.OpenAI(
        api_key="k", base_url=server.base_url, max_retries=5, timeout=openai_kit.Timeout(read=0.3, total=0.8)
    )
    started = time.monotonic()
    with pytest.raises(openai_kit.APITimeoutError):
        retrying.get("/slow")
    assert time.monotonic() - started < 1.6  # the deadline bounds retries and backoff too
    with pytest.raises(openai_kit.APITimeoutError):
        client.with_options(timeout=10).get("/slow", options={"timeout": 0.2})


def test_secrets_never_reach_logs_reprs_or_errors(
    echo: LocalHTTPServer, server: LocalHTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    @server.route("GET", "/v1/denied")
    async def denied(req: Req, conn: Conn) -> None:
        await conn.json(
            {"error": {"message": "bad key", "type": "auth", "code": "invalid_api_key"}}, status=401
        )

    secret = "sk-proj-VERYSECRET123"
    caplog.set_level(logging.DEBUG, logger="openai_kit")
    client = openai_kit.OpenAI(api_key=secret, base_url=echo.base_url, max_retries=0)
    client.get("/echo")
    with pytest.raises(openai_kit.AuthenticationError) as info:
        client.get("/denied")
    assert any("Authorization" in r.getMessage() or "authorization" in r.getMessage() for r in caplog.records)
    text = "\n".join(r.getMessage() for r in caplog.records)
    for where in (text, repr(client), str(info.value), repr(info.value), repr(info.value.__dict__)):
        assert secret not in where


def test_openai_log_env_switch() -> None:
    import subprocess

    code = (
        "import logging, openai_kit._logging as l; "
        "print(logging.getLevelName(l.logger.level), len(l.logger.handlers))"
    )
    env = {**os.environ, "OPENAI_LOG": "debug"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["DEBUG", "1"]
    env["OPENAI_LOG"] = ""
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["NOTSET", "0"]


def test_with_options_shares_the_pool_and_close_semantics(echo: LocalHTTPServer) -> None:
    client = openai_kit.OpenAI(api_key="k", base_url=echo.base_url)
    client.get("/echo")
    for _ in range(50):
        view = client.with_options(timeout=5, default_headers={"x-v": "1"})
        assert view.get("/echo")["headers"]["x-v"] == "1"
        view.close()  # a view closes nothing
    assert echo.connections == 1
    assert client.get("/echo")["headers"].get("x-v") is None
    with pytest.raises(TypeError, match="unknown option"):
        client.with_options(bogus=1)
    client.close()


def test_caller_supplied_httpx_client_is_used_and_never_closed(echo: LocalHTTPServer) -> None:
    seen: list[str] = []
    http = httpx.Client(event_hooks={"request": [lambda r: seen.append(str(r.url))]})
    with openai_kit.OpenAI(api_key="k", base_url=echo.base_url, http_client=http) as client:
        assert client.get("/echo")["headers"]["authorization"] == "Bearer k"
    assert seen == [f"{echo.base_url}/echo"]
    assert not http.is_closed
    http.close()


def test_official_sdk_http_clients_work_too(echo: LocalHTTPServer) -> None:
    """The official SDK 3.x builds on httpx2 (``openai.DefaultHttpxClient``); code that passes one, or a
    subclass of an httpx client, keeps working, timeouts and errors included."""
    import httpx2

    class Traced(httpx.Client):
        pass

    @echo.route("GET", "/v1/slow")
    async def slow(req: Req, conn: Conn) -> None:
        await asyncio.sleep(2)
        await conn.json({})

    for http in (httpx2.Client(), Traced()):
        with openai_kit.OpenAI(
            api_key="k", base_url=echo.base_url, http_client=http, max_retries=0, timeout=0.3
        ) as client:
            assert client.get("/echo")["headers"]["authorization"] == "Bearer k"
            with pytest.raises(openai_kit.APITimeoutError):
                client.get("/slow")
        with (
            openai_kit.OpenAI(
                api_key="k", base_url="http://127.0.0.1:9", http_client=http, max_retries=0
            ) as c,
            pytest.raises(openai_kit.APIConnectionError),
        ):
            c.get("/echo")
        http.close()


async def test_caller_supplied_httpx_async_client(echo: LocalHTTPServer) -> None:
    http = httpx.AsyncClient()
    async with openai_kit.AsyncOpenAI(api_key="k", base_url=echo.base_url, http_client=http) as client:
        assert (await client.get("/echo"))["headers"]["authorization"] == "Bearer k"
    assert not http.is_closed
    await http.aclose()


def test_async_client_survives_a_second_event_loop(echo: LocalHTTPServer) -> None:
    client = openai_kit.AsyncOpenAI(api_key="k", base_url=echo.base_url)

    async def call() -> str:
        return str((await client.get("/echo"))["headers"]["authorization"])

    assert asyncio.run(call()) == "Bearer k"
    assert asyncio.run(call()) == "Bearer k"
    asyncio.run(client.close())


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX-only")
def test_sync_client_after_fork(echo: LocalHTTPServer) -> None:
    client = openai_kit.OpenAI(api_key="k", base_url=echo.base_url)
    client.get("/echo")
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: must open its own connection, not share the parent's socket
        try:
            ok = client.get("/echo")["headers"]["authorization"] == "Bearer k"
            os.write(write_fd, b"ok" if ok else b"bad")
        except BaseException as exc:
            os.write(write_fd, repr(exc).encode()[:200])
        finally:
            os._exit(0)
    os.close(write_fd)
    os.waitpid(pid, 0)
    assert os.read(read_fd, 200) == b"ok"
    os.close(read_fd)
    assert client.get("/echo")["headers"]["authorization"] == "Bearer k"
    assert echo.connections == 2


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX-only")
def test_idempotency_keys_stay_unique_across_fork(echo: LocalHTTPServer) -> None:
    """The keys come from a generator seeded once per process: a forked child is seeded again (else it
    would send its parent's next keys)."""
    client = openai_kit.OpenAI(api_key="k", base_url=echo.base_url)

    def key() -> str:
        return str(client.post("/echo", body={})["headers"]["idempotency-key"])

    key()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.write(write_fd, ",".join(key() for _ in range(3)).encode())
        finally:
            os._exit(0)
    os.close(write_fd)
    os.waitpid(pid, 0)
    child = os.read(read_fd, 1000).decode().split(",")
    os.close(read_fd)
    parent = [key() for _ in range(3)]
    assert len(set(child) | set(parent)) == 6
    assert all(k.startswith("openai-kit-") and len(k) == len("openai-kit-") + 32 for k in child + parent)


async def test_async_concurrency_shares_one_session(echo: LocalHTTPServer) -> None:
    client = openai_kit.AsyncOpenAI(api_key="k", base_url=echo.base_url)
    results = await asyncio.gather(*(client.get("/echo", query={"i": i}) for i in range(50)))
    assert sorted(int(r["query"]["i"][0]) for r in results) == list(range(50))
    await client.close()


def test_omit_leaves_parameters_out_and_removes_headers(echo: LocalHTTPServer) -> None:
    """The official SDK 3.x's `omit`: a parameter left out of the body, a default header removed."""
    client = openai_kit.OpenAI(
        api_key="k", base_url=echo.base_url, default_headers={"x-team": "a", "x-trace": "t1"}
    )
    seen = client.post("/echo", body={"model": "m", "temperature": openai_kit.omit})
    assert json.loads(seen["body"]) == {"model": "m"}
    assert seen["headers"]["x-team"] == "a" and seen["headers"]["x-trace"] == "t1"
    seen = client.get("/echo", options={"extra_headers": {"x-trace": openai_kit.omit}})
    assert "x-trace" not in seen["headers"] and seen["headers"]["x-team"] == "a"
    dropped = openai_kit.OpenAI(
        api_key="k", base_url=echo.base_url, default_headers={"accept": openai_kit.omit}
    )
    assert "accept" not in dropped.get("/echo")["headers"]
    assert openai_kit.Omit is openai_kit.NotGiven and openai_kit.not_given is openai_kit.omit
