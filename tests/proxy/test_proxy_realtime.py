"""The realtime websocket relay: ``websockets`` client -> proxy -> ``websockets`` upstream."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Subprotocol

from .support import TOKEN, UPSTREAM_KEY, ListHandler, WsUpstreamThread


async def test_frames_are_relayed_both_ways(ws_proxy: str, ws_upstream: WsUpstreamThread) -> None:
    before = len(ws_upstream.state.handshakes)
    async with connect(
        f"{ws_proxy}/realtime?model=gpt-realtime",
        additional_headers={"Authorization": f"Bearer {TOKEN}", "OpenAI-Beta": "realtime=v1"},
        max_size=None,
    ) as ws:
        assert json.loads(await ws.recv()) == {"type": "session.created"}  # upstream spoke first
        await ws.send(json.dumps({"type": "response.create"}))
        assert json.loads(await ws.recv()) == {"type": "echo", "data": '{"type": "response.create"}'}
        audio = bytes(range(256)) * 4096  # 1 MiB binary frame
        await ws.send(audio)
        assert await ws.recv() == audio[::-1]
        # Many small frames, in order.
        for i in range(50):
            await ws.send(f"m{i}")
        got = [json.loads(await ws.recv())["data"] for _ in range(50)]
        assert got == [f"m{i}" for i in range(50)]
    handshake = ws_upstream.state.handshakes[before]
    assert handshake["path"] == "/v1/realtime?model=gpt-realtime"
    assert handshake["headers"]["authorization"] == f"Bearer {UPSTREAM_KEY}"
    assert handshake["headers"]["openai-beta"] == "realtime=v1"
    assert TOKEN not in json.dumps(handshake)
    # The client's close reached the upstream.
    deadline = time.monotonic() + 5
    while len(ws_upstream.state.closes) <= before and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert ws_upstream.state.closes[before] == 1000


async def test_browser_subprotocol_token(ws_proxy: str, ws_upstream: WsUpstreamThread) -> None:
    before = len(ws_upstream.state.handshakes)
    async with connect(
        f"{ws_proxy}/realtime?model=gpt-realtime",
        subprotocols=[Subprotocol("realtime"), Subprotocol(f"openai-insecure-api-key.{TOKEN}")],
    ) as ws:
        assert ws.subprotocol == "realtime"
        assert json.loads(await ws.recv())["type"] == "session.created"
    handshake = ws_upstream.state.handshakes[before]
    assert handshake["subprotocol"] == "realtime"
    assert handshake["headers"]["sec-websocket-protocol"] == "realtime"  # the token is not forwarded
    assert handshake["headers"]["authorization"] == f"Bearer {UPSTREAM_KEY}"


async def test_upstream_close_code_reaches_the_client(ws_proxy: str) -> None:
    async with connect(f"{ws_proxy}/realtime", additional_headers={"Authorization": f"Bearer {TOKEN}"}) as ws:
        await ws.recv()
        await ws.send("bye")
        with pytest.raises(ConnectionClosed) as info:
            await ws.recv()
    assert info.value.rcvd is not None and info.value.rcvd.code == 4000


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer sess-wrong"}])
async def test_rejected_handshake_is_401_and_nothing_is_forwarded(
    ws_proxy: str, ws_upstream: WsUpstreamThread, headers: dict[str, str], access_lines: ListHandler
) -> None:
    before = len(ws_upstream.state.handshakes)
    with pytest.raises(InvalidStatus) as info:
        async with connect(f"{ws_proxy}/realtime", additional_headers=headers):
            pass
    response = info.value.response
    assert response.status_code == 401
    body = json.loads(response.body or b"{}")
    assert body["error"]["code"] == "invalid_api_key" and set(body["error"]) == {
        "message",
        "type",
        "param",
        "code",
    }
    assert len(ws_upstream.state.handshakes) == before
    await asyncio.sleep(0.3)
    assert any(" WS /v1/realtime 401 " in line for line in access_lines.lines)
    assert not any(UPSTREAM_KEY in line or "sess-wrong" in line for line in access_lines.lines)
