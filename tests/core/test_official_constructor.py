"""The official SDK's constructor options and raw-response attributes, against a real local server:
``admin_api_key`` (and ``OPENAI_ADMIN_KEY``), ``websocket_base_url``, ``DefaultAioHttpClient``,
``DefaultHttpx2Client``, ``retries_taken``, ``async with`` on ``with_streaming_response``."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

import openai_kit

from .httpserver import Conn, LocalHTTPServer, Req


def _echo_auth(server: LocalHTTPServer) -> list[str]:
    seen: list[str] = []

    async def handler(req: Req, conn: Conn) -> None:
        seen.append(req.headers.get("authorization", ""))
        await conn.json({"object": "list", "data": [], "has_more": False, "first_id": None, "last_id": None})

    server.route("GET", "/v1/organization/users")(handler)
    server.route("GET", "/v1/models")(handler)
    return seen


def test_admin_api_key_authenticates_organization_operations(
    server: LocalHTTPServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    seen = _echo_auth(server)
    client = openai_kit.OpenAI(api_key="sk-user", admin_api_key="sk-admin", base_url=server.base_url)
    client.admin.organization.users.list()
    client.models.list()
    assert seen == ["Bearer sk-admin", "Bearer sk-user"]
    assert "sk-admin" not in repr(client)
    # from the environment, and enough on its own
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_ADMIN_KEY", "sk-env-admin")
    monkeypatch.chdir(tmp_path)  # no .openai file to find
    monkeypatch.setenv("HOME", str(tmp_path))
    admin_only = openai_kit.OpenAI(base_url=server.base_url)
    admin_only.admin.organization.users.list()
    assert seen[-1] == "Bearer sk-env-admin"
    assert admin_only.admin_api_key == "sk-env-admin"


def test_websocket_base_url_replaces_the_derived_realtime_url() -> None:
    from openai_kit.realtime import _Session

    client = openai_kit.OpenAI(api_key="k", websocket_base_url="wss://ws.example.test/v1")
    assert _Session.target(client, "gpt-realtime", None).startswith("wss://ws.example.test/v1/realtime?")
    derived = openai_kit.OpenAI(api_key="k", base_url="http://127.0.0.1:9/v1")
    assert _Session.target(derived, None, None) == "ws://127.0.0.1:9/v1/realtime"


async def test_default_aiohttp_client_is_our_own_transport(server: LocalHTTPServer) -> None:
    _echo_auth(server)
    client = openai_kit.AsyncOpenAI(
        api_key="k", base_url=server.base_url, http_client=openai_kit.DefaultAioHttpClient()
    )
    page = await client.models.list()
    assert page.data == []
    await client.close()
    assert client.is_closed()


def test_default_httpx2_client_carries_requests(server: LocalHTTPServer) -> None:
    _echo_auth(server)
    http = openai_kit.DefaultHttpx2Client()
    client = openai_kit.OpenAI(api_key="k", base_url=server.base_url, http_client=http)
    assert client.models.list().data == []
    http.close()


def test_raw_response_reports_retries_taken(server: LocalHTTPServer) -> None:
    calls: list[int] = []

    @server.route("GET", "/v1/models/m1")
    async def flaky(req: Req, conn: Conn) -> None:
        calls.append(1)
        if len(calls) < 3:
            await conn.json({"error": {"message": "busy"}}, status=503, headers={"retry-after-ms": "1"})
        else:
            await conn.json({"id": "m1", "object": "model", "created": 1, "owned_by": "me"})

    client = openai_kit.OpenAI(api_key="k", base_url=server.base_url, max_retries=3)
    raw = client.models.with_raw_response.retrieve("m1")
    assert raw.retries_taken == 2 and raw.status_code == 200
    assert raw.method == "GET" and raw.url.endswith("/v1/models/m1") and raw.is_closed
    assert isinstance(raw.elapsed, datetime.timedelta)
    assert raw.parse().id == "m1" and raw.json()["id"] == "m1" and '"m1"' in raw.text


async def test_async_streaming_response_is_an_async_context_manager(server: LocalHTTPServer) -> None:
    @server.route("GET", "/v1/models/m1")
    async def model(req: Req, conn: Conn) -> None:
        await conn.json({"id": "m1", "object": "model", "created": 1, "owned_by": "me"})

    client = openai_kit.AsyncOpenAI(api_key="k", base_url=server.base_url)
    async with client.models.with_streaming_response.retrieve("m1") as response:
        assert not response.is_closed
        assert (await response.json())["id"] == "m1"
        parsed: Any = await response.parse()
        assert parsed.id == "m1"
    assert response.is_closed
    async with client.with_streaming_response.models.retrieve("m1") as response:
        assert b"m1" in await response.read()
    raw = await client.models.with_raw_response.retrieve("m1")
    assert raw.parse().id == "m1"  # a plain call on the async client, as in the official SDK
    await client.close()


async def test_async_binary_response_json(server: LocalHTTPServer) -> None:
    @server.route("GET", "/v1/files/f1/content")
    async def content(req: Req, conn: Conn) -> None:
        await conn.json({"a": 1})

    client = openai_kit.AsyncOpenAI(api_key="k", base_url=server.base_url)
    body = await client.files.content("f1")
    assert await body.json() == {"a": 1}  # reads the body first
    assert body.json() == {"a": 1}  # read: a plain call, as on the official SDK's binary content
    await client.close()
