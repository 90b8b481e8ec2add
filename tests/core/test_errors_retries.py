"""Typed errors, retries and backoff, against a real server."""

from __future__ import annotations

import time

import pytest

import openai_kit
from openai_kit import RetryPolicy

from .httpserver import Conn, LocalHTTPServer, Req

FAST = RetryPolicy(initial_delay=0.01, max_delay=0.02)


def error_body(code: str | None = "bad_thing", param: str | None = "model") -> dict[str, object]:
    return {
        "error": {"message": "it went wrong", "type": "invalid_request_error", "param": param, "code": code}
    }


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, openai_kit.BadRequestError),
        (401, openai_kit.AuthenticationError),
        (403, openai_kit.PermissionDeniedError),
        (404, openai_kit.NotFoundError),
        (409, openai_kit.ConflictError),
        (422, openai_kit.UnprocessableEntityError),
        (429, openai_kit.RateLimitError),
        (500, openai_kit.InternalServerError),
        (503, openai_kit.InternalServerError),
        (418, openai_kit.APIStatusError),
    ],
)
def test_status_maps_to_typed_error(server: LocalHTTPServer, status: int, cls: type[Exception]) -> None:
    @server.route("POST", "/v1/x")
    async def fail(req: Req, conn: Conn) -> None:
        await conn.json(error_body(), status=status, headers={"x-request-id": "req_123"})

    client = openai_kit.OpenAI(api_key="sk-secret-value", base_url=server.base_url, max_retries=0)
    with pytest.raises(cls) as info:
        client.post("/x", body={})
    err = info.value
    assert type(err) is cls
    assert isinstance(err, openai_kit.APIStatusError)
    assert err.status_code == status
    assert err.request_id == "req_123"
    assert err.code == "bad_thing" and err.type == "invalid_request_error" and err.param == "model"
    assert err.body == error_body()
    assert "it went wrong" in str(err)
    assert "sk-secret-value" not in str(err) and "sk-secret-value" not in repr(err)
    # the official SDK's `error.response` / `error.request`
    assert err.response is not None and err.response.status_code == status
    assert err.response.headers["x-request-id"] == "req_123" and err.response.json() == error_body()
    assert err.request is not None and err.request.method == "POST" and err.request.url.endswith("/x")
    assert "sk-secret-value" not in repr(err.request) and "sk-secret-value" not in repr(err.response)


def test_non_json_error_body_is_kept_as_text(server: LocalHTTPServer) -> None:
    @server.route("GET", "/v1/x")
    async def fail(req: Req, conn: Conn) -> None:
        await conn.respond(502, b"<html>bad gateway</html>", content_type="text/html")

    client = openai_kit.OpenAI(api_key="k", base_url=server.base_url, max_retries=0)
    with pytest.raises(openai_kit.InternalServerError) as info:
        client.get("/x")
    assert info.value.body == "<html>bad gateway</html>"
    assert info.value.code is None


@pytest.mark.parametrize("body", [b"not json at all", b'{"id": "abc", "obj'])
def test_garbage_success_body_is_a_typed_error(server: LocalHTTPServer, body: bytes) -> None:
    @server.route("GET", "/v1/x")
    async def garbage(req: Req, conn: Conn) -> None:
        await conn.respond(200, body)

    client = openai_kit.OpenAI(api_key="k", base_url=server.base_url)
    with pytest.raises(openai_kit.APIResponseValidationError) as info:
        client.get("/x")
    assert info.value.status_code == 200

    class Thing(openai_kit.BaseModel):
        id: str

    with pytest.raises(openai_kit.APIResponseValidationError, match="not valid JSON"):
        client.get("/x", cast_to=Thing)


def test_retry_after_is_honoured_then_succeeds(server: LocalHTTPServer) -> None:
    calls: list[float] = []

    @server.route("POST", "/v1/x")
    async def flaky(req: Req, conn: Conn) -> None:
        calls.append(time.monotonic())
        if len(calls) == 1:
            await conn.json(
                error_body(code="rate_limit_exceeded"), status=429, headers={"retry-after": "0.3"}
            )
        elif len(calls) == 2:
            await conn.json(error_body(), status=503, headers={"retry-after-ms": "150"})
        else:
            await conn.json({"ok": True, "idem": req.headers.get("idempotency-key")})

    client = openai_kit.OpenAI(api_key="k", base_url=server.base_url, retry_policy=FAST)
    assert client.post("/x", body={})["ok"] is True
    assert len(calls) == 3
    assert calls[1] - calls[0] >= 0.28
    assert calls[2] - calls[1] >= 0.13
    keys = {r.headers["idempotency-key"] for r in server.requests}
    assert len(keys) == 1, "every attempt of one call carries the same idempotency key"


def test_insufficient_quota_and_should_retry_false_are_not_retried(server: LocalHTTPServer) -> None:
    @server.route("POST", "/v1/quota")
    async def quota(req: Req, conn: Conn) -> None:
        await conn.json(error_body(code="insufficient_quota"), status=429)

    @server.route("POST", "/v1/nope")
    async def nope(req: Req, conn: Conn) -> None:
        await conn.json(error_body(), status=500, headers={"x-should-retry": "false"})

    @server.route("POST", "/v1/yes")
    async def yes(req: Req, conn: Conn) -> None:
        await conn.json(error_body(), status=400, headers={"x-should-retry": "true"})

    client = openai_kit.OpenAI(api_key="k", base_url=server.base_url, retry_policy=FAST, max_retries=3)
    with pytest.raises(openai_kit.RateLimitError):
        client.post("/quota", body={})
    with pytest.raises(openai_kit.InternalServerError):
        client.post("/nope", body={})
    with pytest.raises(openai_kit.BadRequestError):
        client.post("/yes", body={})
    paths = [r.path for r in server.requests]
    assert paths.count("/v1/quota") == 1
    assert paths.count("/v1/nope") == 1
    assert paths.count("/v1/yes") == 4


def test_max_retries_per_request_and_client(server: LocalHTTPServer) -> None:
    @server.route("GET", "/v1/x")
    async def down(req: Req, conn: Conn) -> None:
        await conn.json(error_body(), status=500)

    client = openai_kit.OpenAI(api_key="k", base_url=server.base_url, retry_policy=FAST, max_retries=1)
    with pytest.raises(openai_kit.InternalServerError):
        client.get("/x")
    assert len(server.requests) == 2
    with pytest.raises(openai_kit.InternalServerError):
        client.get("/x", options={"max_retries": 4})
    assert len(server.requests) == 7
    with pytest.raises(openai_kit.InternalServerError):
        client.with_options(max_retries=0).get("/x")
    assert len(server.requests) == 8


def test_connection_errors_are_retried_then_typed(server: LocalHTTPServer) -> None:
    attempts: list[int] = []

    @server.route("POST", "/v1/x")
    async def cut(req: Req, conn: Conn) -> None:
        attempts.append(1)
        if len(attempts) < 3:
            conn.abort()
        else:
            await conn.json({"ok": 1})

    @server.route("GET", "/v1/x")
    async def cut_get(req: Req, conn: Conn) -> None:
        await cut(req, conn)

    client = openai_kit.OpenAI(api_key="k", base_url=server.base_url, retry_policy=FAST)
    # the server received the POST before the connection broke: sending it again could execute it twice
    with pytest.raises(openai_kit.APIConnectionError) as cut_info:
        client.post("/x", body={"a": 1})
    assert cut_info.value.request_sent
    assert len(attempts) == 1
    # a GET, or a POST with the caller's own idempotency key, is safe to send again
    attempts.clear()
    assert client.get("/x") == {"ok": 1}
    assert len(attempts) == 3
    attempts.clear()
    assert client.post("/x", body={"a": 1}, options={"idempotency_key": "mine-1"}) == {"ok": 1}
    assert len(attempts) == 3
    assert {r.headers["idempotency-key"] for r in server.requests if r.method == "POST"} == {"mine-1"} | {
        server.requests[0].headers["idempotency-key"]
    }

    dead = openai_kit.OpenAI(api_key="k", base_url="http://127.0.0.1:9/v1", retry_policy=FAST, max_retries=1)
    with pytest.raises(openai_kit.APIConnectionError) as info:
        dead.get("/models")
    assert not isinstance(info.value, openai_kit.APITimeoutError)
    assert info.value.url == "http://127.0.0.1:9/v1/models"
    assert not info.value.request_sent


def test_api_key_provider_is_called_before_every_attempt(server: LocalHTTPServer) -> None:
    @server.route("GET", "/v1/x")
    async def handler(req: Req, conn: Conn) -> None:
        if len(server.requests) == 1:
            await conn.json(error_body(), status=401, headers={"x-should-retry": "true"})
        else:
            await conn.json({"auth": req.headers["authorization"]})

    keys = iter(["sk-old", "sk-new"])
    client = openai_kit.OpenAI(api_key=lambda: next(keys), base_url=server.base_url, retry_policy=FAST)
    assert client.get("/x") == {"auth": "Bearer sk-new"}
    assert [r.headers["authorization"] for r in server.requests] == ["Bearer sk-old", "Bearer sk-new"]


async def test_async_retries_and_async_key_provider(server: LocalHTTPServer) -> None:
    @server.route("POST", "/v1/x")
    async def handler(req: Req, conn: Conn) -> None:
        if len(server.requests) < 3:
            await conn.json(error_body(), status=502)
        else:
            await conn.json({"auth": req.headers["authorization"]})

    count = 0

    async def provider() -> str:
        nonlocal count
        count += 1
        return f"sk-{count}"

    client = openai_kit.AsyncOpenAI(api_key=provider, base_url=server.base_url, retry_policy=FAST)
    assert await client.post("/x", body={}) == {"auth": "Bearer sk-3"}
    await client.close()


def test_async_provider_on_sync_client_is_a_clear_error(server: LocalHTTPServer) -> None:
    async def provider() -> str:
        return "k"

    client = openai_kit.OpenAI(api_key=provider, base_url=server.base_url)  # type: ignore[arg-type]
    with pytest.raises(openai_kit.ConfigError, match="AsyncOpenAI"):
        client.get("/x")
