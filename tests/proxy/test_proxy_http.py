"""The HTTP relay, end to end: the official ``openai`` client -> the proxy -> a recording upstream."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from openai_kit._errors import ConfigError
from openai_kit.proxy import AuthError, ProxyConfig, create_proxy_app, load_auth_hook, token_id

from .support import (
    OTHER_TOKEN,
    TOKEN,
    UPSTREAM_KEY,
    ListHandler,
    ServerThread,
    Upstream,
    free_port,
)

MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]


def client(base_url: str, token: str | None = TOKEN, **kwargs: Any) -> openai.OpenAI:
    """The ordinary client, as a front end uses it."""
    return openai.OpenAI(api_key=token or "unused", base_url=base_url, max_retries=0, **kwargs)


def assert_api_error(body: object, code: str | None) -> None:
    assert isinstance(body, dict) and set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "param", "code"}
    assert body["error"]["code"] == code
    text = json.dumps(body)
    assert "Traceback" not in text and UPSTREAM_KEY not in text and "127.0.0.1" not in text


def flushed(lines: ListHandler) -> list[str]:
    time.sleep(0.3)  # the access log drains every 0.2 s, off the request path
    return lines.lines


# --------------------------------------------------------------------------- forwarding


def test_chat_is_forwarded_with_the_real_key(proxy: str, up: Upstream) -> None:
    result = client(proxy).chat.completions.create(model="gpt-test", messages=MESSAGES)
    assert result.choices[0].message.content == "echo: hi"
    [rec] = up.received
    assert (rec.method, rec.path) == ("POST", "/v1/chat/completions")
    assert rec.headers["authorization"] == f"Bearer {UPSTREAM_KEY}"
    assert rec.headers["openai-organization"] == "org-secret-home"
    assert rec.headers["openai-project"] == "proj_home"
    assert json.loads(rec.body) == {"model": "gpt-test", "messages": MESSAGES}
    assert TOKEN not in json.dumps(rec.headers)


def test_streamed_chat_chunks_arrive_before_the_upstream_finishes(proxy: str, up: Upstream) -> None:
    stream = client(proxy).chat.completions.create(model="gpt-test", messages=MESSAGES, stream=True)
    chunks = iter(stream)
    first = next(chunks)
    # The upstream is still holding its stream open until we release it: the first chunk got through alone.
    assert first.choices[0].delta.content == "Hel"
    assert not up.stream_finished.is_set()
    up.release.set()
    rest = [c.choices[0].delta.content for c in chunks]
    assert rest == ["lo", ""]
    assert up.stream_finished.is_set()


def test_methods_queries_and_headers_pass_through(proxy: str, up: Upstream) -> None:
    c = client(proxy)
    c.files.list(purpose="batch", limit=2)
    c.files.delete("file-abc")
    with httpx.Client() as h:
        r = h.post(
            f"{proxy}/threads?x=1&y=%2F",
            content=b'{"a": 1}',
            headers={
                "Authorization": f"Bearer {TOKEN}",
                "OpenAI-Beta": "assistants=v2",
                "Idempotency-Key": "idem-1",
                "Cookie": "session=browser-secret",
                "Connection": "keep-alive, X-Hop",
                "X-Hop": "1",
                "OpenAI-Organization": "org-someone-else",
                "X-Forwarded-For": "10.1.2.3",
            },
        )
    assert r.status_code == 200
    # The upstream's request id and rate-limit headers reach the client; cookies and the org do not.
    assert r.headers["x-request-id"] == "req_upstream_123"
    assert r.headers["x-ratelimit-remaining-requests"] == "499"
    assert "set-cookie" not in r.headers and "openai-organization" not in r.headers
    listed, deleted, posted = up.received
    assert (listed.method, listed.path) == ("GET", "/v1/files")
    assert dict(p.split("=") for p in listed.query.split("&")) == {"purpose": "batch", "limit": "2"}
    assert (deleted.method, deleted.path) == ("DELETE", "/v1/files/file-abc")
    assert (posted.method, posted.path, posted.query) == ("POST", "/v1/threads", "x=1&y=%2F")
    assert posted.body == b'{"a": 1}'
    assert posted.headers["openai-beta"] == "assistants=v2"
    assert posted.headers["idempotency-key"] == "idem-1"
    assert posted.headers["openai-organization"] == "org-secret-home"
    assert posted.headers["authorization"] == f"Bearer {UPSTREAM_KEY}"
    for dropped in ("cookie", "x-hop", "x-forwarded-for"):
        assert dropped not in posted.headers


def test_sdk_idempotency_key_reaches_upstream(proxy: str, up: Upstream) -> None:
    client(proxy).chat.completions.create(
        model="gpt-test",
        messages=MESSAGES,
        extra_headers={"Idempotency-Key": "abc-123"},
    )
    assert up.received[0].headers["idempotency-key"] == "abc-123"


def test_unknown_routes_are_404_in_api_format(proxy: str, up: Upstream) -> None:
    base = proxy.removesuffix("/v1")
    with httpx.Client() as h:
        for url in (f"{base}/admin", f"{base}/v1/../admin", f"{base}/v2/models"):
            r = h.get(url, headers={"Authorization": f"Bearer {TOKEN}"})
            assert r.status_code == 404, url
            assert_api_error(r.json(), "unknown_url")
        assert h.get(f"{base}/healthz").json() == {"status": "ok"}
    assert up.received == []


# --------------------------------------------------------------------------- authentication


@pytest.mark.parametrize("token", [None, "sess-wrong", TOKEN + "x"])
def test_missing_or_wrong_token_is_401_and_nothing_is_forwarded(
    proxy: str, up: Upstream, token: str | None
) -> None:
    # token None: the Authorization header is left out altogether
    extra = {"Authorization": openai.omit} if token is None else {}
    with pytest.raises(openai.AuthenticationError) as info:
        client(proxy, token).chat.completions.create(model="gpt-test", messages=MESSAGES, extra_headers=extra)
    assert info.value.status_code == 401
    assert_api_error(info.value.response.json(), "invalid_api_key")
    with httpx.Client() as h:
        r = h.post(f"{proxy}/files", content=b"x" * 1000, headers={"Authorization": f"Basic {token or 'x'}"})
    assert r.status_code == 401
    assert_api_error(r.json(), "invalid_api_key")
    assert up.received == []


def test_token_file_is_reread_when_it_changes(upstream: tuple[Upstream, str], tmp_path: Path) -> None:
    _, url = upstream
    path = tmp_path / "tokens"
    path.write_text(TOKEN + "\n")
    config = ProxyConfig(api_key=UPSTREAM_KEY, upstream_url=f"{url}/v1", token_file=str(path))
    with ServerThread(create_proxy_app(config)) as server:
        base = f"{server.url}/v1"
        client(base, TOKEN).models.list()
        with pytest.raises(openai.AuthenticationError):
            client(base, OTHER_TOKEN).models.list()
        new = tmp_path / "tokens.new"
        new.write_text(f"{OTHER_TOKEN}\n# {TOKEN} was revoked\n")
        os.replace(new, path)  # an atomic replacement, as deploy tools do
        client(base, OTHER_TOKEN).models.list()
        with pytest.raises(openai.AuthenticationError):
            client(base, TOKEN).models.list()
        path.write_text(f"{TOKEN}\n{OTHER_TOKEN}\n")  # an in-place edit
        client(base, TOKEN).models.list()


def test_auth_hook_sync_and_async(upstream: tuple[Upstream, str]) -> None:
    state, url = upstream
    seen: list[str] = []

    def sync_hook(headers: Mapping[str, str]) -> None:
        seen.append(headers["authorization"])
        if headers.get("x-user") != "alice":
            raise AuthError("Unknown user.")

    async def async_hook(headers: Mapping[str, str]) -> None:
        if headers.get("authorization") != f"Bearer {TOKEN}":
            raise RuntimeError("secret internal detail")

    for hook in (sync_hook, async_hook):
        config = ProxyConfig(api_key=UPSTREAM_KEY, upstream_url=f"{url}/v1", auth=hook)
        with ServerThread(create_proxy_app(config)) as server:
            base = f"{server.url}/v1"
            state.reset()
            client(base, TOKEN, default_headers={"X-User": "alice"}).models.list()
            assert state.received[0].headers["authorization"] == f"Bearer {UPSTREAM_KEY}"
            with pytest.raises(openai.AuthenticationError) as info:
                client(base, OTHER_TOKEN, default_headers={"X-User": "bob"}).models.list()
            assert len(state.received) == 1
            message = str(info.value)
            assert "secret internal detail" not in message
            assert ("Unknown user." in message) == (hook is sync_hook)
    assert seen == [f"Bearer {TOKEN}", f"Bearer {OTHER_TOKEN}"]


def test_load_auth_hook_from_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "proxy_hooks_for_test.py").write_text(
        "class Checks:\n    @staticmethod\n    async def check(headers):\n        return None\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    hook = load_auth_hook("proxy_hooks_for_test:Checks.check")
    assert callable(hook)
    for bad in ("nocolon", "proxy_hooks_for_test:missing", "no_such_module_xyz:f"):
        with pytest.raises(ConfigError):
            load_auth_hook(bad)
    sys.modules.pop("proxy_hooks_for_test", None)


def test_refuses_to_start_without_authentication() -> None:
    with pytest.raises(ConfigError):
        create_proxy_app(ProxyConfig(api_key=UPSTREAM_KEY))
    create_proxy_app(ProxyConfig(api_key=UPSTREAM_KEY, allow_anonymous=True))


# --------------------------------------------------------------------------- limits and upstream failures


def test_body_size_limit_is_413(upstream: tuple[Upstream, str], token_file: Path) -> None:
    state, url = upstream
    state.reset()
    config = ProxyConfig(
        api_key=UPSTREAM_KEY, upstream_url=f"{url}/v1", token_file=str(token_file), max_body_size=1024 * 1024
    )
    with ServerThread(create_proxy_app(config)) as server:
        base = f"{server.url}/v1"
        with pytest.raises(openai.APIStatusError) as info:
            client(base).files.create(file=("big.jsonl", b"x" * (2 * 1024 * 1024)), purpose="batch")
        assert info.value.status_code == 413
        assert_api_error(info.value.response.json(), "request_too_large")
        assert state.received == []  # the declared length was enough to refuse it

        def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies while streaming
            for _ in range(40):
                yield b"y" * 64 * 1024

        with httpx.Client() as h:
            r = h.post(f"{base}/files", content=chunks(), headers={"Authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 413
        assert_api_error(r.json(), "request_too_large")
        # Under the limit still works.
        small = client(base).files.create(file=("ok.jsonl", b"z" * 1000), purpose="batch")
        assert small.id == "file-up"


def test_upstream_unreachable_is_502(token_file: Path, access_lines: ListHandler) -> None:
    config = ProxyConfig(
        api_key=UPSTREAM_KEY,
        upstream_url=f"http://127.0.0.1:{free_port()}/v1",
        token_file=str(token_file),
        connect_timeout=2,
    )
    with ServerThread(create_proxy_app(config)) as server:
        with pytest.raises(openai.InternalServerError) as info:
            client(f"{server.url}/v1").models.list()
        assert info.value.status_code == 502
        assert_api_error(info.value.response.json(), "upstream_connection_error")
        assert "Connect" not in info.value.message and "Errno" not in info.value.message


def test_upstream_timeout_is_504(upstream: tuple[Upstream, str], token_file: Path) -> None:
    _, url = upstream
    config = ProxyConfig(
        api_key=UPSTREAM_KEY, upstream_url=f"{url}/v1", token_file=str(token_file), read_timeout=0.5
    )
    with ServerThread(create_proxy_app(config)) as server, httpx.Client() as h:
        start = time.monotonic()
        r = h.get(f"{server.url}/v1/slow", headers={"Authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 504
        assert time.monotonic() - start < 2.5
        assert_api_error(r.json(), "upstream_timeout")


def test_rate_limit_per_token_is_429(upstream: tuple[Upstream, str], token_file: Path) -> None:
    state, url = upstream
    token_file2 = token_file.parent / "two-tokens.txt"
    token_file2.write_text(f"{TOKEN}\n{OTHER_TOKEN}\n")
    config = ProxyConfig(
        api_key=UPSTREAM_KEY,
        upstream_url=f"{url}/v1",
        token_file=str(token_file2),
        rate_limit=2,
        rate_limit_burst=2,
    )
    with ServerThread(create_proxy_app(config)) as server:
        base = f"{server.url}/v1"
        state.reset()
        client(base).models.list()
        client(base).models.list()
        with pytest.raises(openai.RateLimitError) as info:
            client(base).models.list()
        assert 28 <= int(info.value.response.headers["retry-after"]) <= 30  # 2 per minute
        assert len(state.received) == 2
        client(base, OTHER_TOKEN).models.list()  # another token has its own budget
        assert len(state.received) == 3


# --------------------------------------------------------------------------- secrets


def test_upstream_key_never_reaches_clients_or_logs(
    proxy: str, up: Upstream, access_lines: ListHandler
) -> None:
    with httpx.Client() as h:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        responses = [
            h.get(f"{proxy}/models", headers=auth),
            h.get(f"{proxy}/echo-key", headers=auth),  # an upstream error that echoes the key back
            h.post(f"{proxy}/chat/completions", headers=auth, json={"model": "m", "messages": MESSAGES}),
            h.get(f"{proxy}/models", headers={"Authorization": "Bearer sess-nope"}),
            h.get(f"{proxy}/files/file-1000/content", headers=auth),
        ]
    assert [r.status_code for r in responses] == [200, 401, 200, 401, 200]
    assert "sk-...(redacted)" in responses[1].text
    for r in responses:
        assert UPSTREAM_KEY not in r.text
        assert UPSTREAM_KEY not in str(r.headers)
    lines = flushed(access_lines)
    assert lines, "one access line per request"
    mine = [line for line in lines if f"token={token_id(TOKEN)}" in line]
    assert any(" GET /v1/echo-key 401 " in line for line in mine)
    for line in lines:
        assert UPSTREAM_KEY not in line and TOKEN not in line and "sess-nope" not in line


# --------------------------------------------------------------------------- Azure


def test_azure_paths_api_version_and_api_key(upstream: tuple[Upstream, str], token_file: Path) -> None:
    state, url = upstream
    config = ProxyConfig(
        api_key=UPSTREAM_KEY,
        upstream_url=url,
        azure=True,
        azure_api_version="2024-10-21",
        token_file=str(token_file),
    )
    with ServerThread(create_proxy_app(config)) as server:
        state.reset()
        c = client(f"{server.url}/v1")
        c.chat.completions.create(model="my-gpt4o", messages=MESSAGES)
        c.files.list(limit=3)
        chat, files = state.received
        assert chat.path == "/openai/deployments/my-gpt4o/chat/completions"
        assert chat.query == "api-version=2024-10-21"
        assert chat.headers["api-key"] == UPSTREAM_KEY and "authorization" not in chat.headers
        assert files.path == "/openai/files"
        assert dict(p.split("=") for p in files.query.split("&")) == {
            "limit": "3",
            "api-version": "2024-10-21",
        }
    fixed = ProxyConfig(
        api_key=UPSTREAM_KEY,
        upstream_url=url,
        azure=True,
        azure_deployment="prod-dep",
        token_file=str(token_file),
    )
    with ServerThread(create_proxy_app(fixed)) as server:
        state.reset()
        client(f"{server.url}/v1").embeddings.create(
            model="text-embedding-3-small", input="x", encoding_format="float"
        )
        assert state.received[0].path == "/openai/deployments/prod-dep/embeddings"


def test_client_leaving_a_stream_stops_the_upstream_stream(
    proxy: str, up: Upstream, access_lines: ListHandler
) -> None:
    def gone_lines() -> int:
        return sum(" POST /v1/chat/completions 499 " in line for line in access_lines.lines)

    before = gone_lines()
    stream = client(proxy).chat.completions.create(model="gpt-test", messages=MESSAGES, stream=True)
    assert next(iter(stream)).choices[0].delta.content == "Hel"
    stream.close()  # the front end goes away mid-completion
    deadline = time.monotonic() + 10
    while gone_lines() == before and time.monotonic() < deadline:  # the proxy noticed and logged it
        time.sleep(0.05)
    up.release.set()
    time.sleep(0.3)
    # The proxy dropped the upstream connection, so the upstream never got to finish its stream.
    assert gone_lines() == before + 1
    assert not up.stream_finished.is_set()


def test_cors_for_browser_front_ends(upstream: tuple[Upstream, str], token_file: Path) -> None:
    state, url = upstream
    config = ProxyConfig(
        api_key=UPSTREAM_KEY,
        upstream_url=f"{url}/v1",
        token_file=str(token_file),
        cors_origins=("https://app.example.com",),
    )
    with ServerThread(create_proxy_app(config)) as server, httpx.Client() as h:
        state.reset()
        preflight = h.options(
            f"{server.url}/v1/chat/completions",
            headers={
                "Origin": "https://app.example.com",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type, x-stainless-os",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://app.example.com"
        assert state.received == []  # answered by the proxy, no token needed, nothing forwarded
        r = h.get(
            f"{server.url}/v1/models",
            headers={**{"Origin": "https://app.example.com"}, **{"Authorization": f"Bearer {TOKEN}"}},
        )
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://app.example.com"
        assert "x-request-id" in r.headers["access-control-expose-headers"]
        other = h.options(
            f"{server.url}/v1/models",
            headers={"Origin": "https://evil.example.com", "Access-Control-Request-Method": "GET"},
        )
        assert other.status_code == 400
