"""The tool loop on a realtime session, against a websocket server in the test that calls functions the way
the Realtime API does (``response.done`` with ``function_call`` items; outputs come back as
``conversation.item.create`` + ``response.create``)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve

import openai_kit
from openai_kit.realtime import RealtimeError
from openai_kit.tools import MaxRoundsError, Toolset, arun_realtime_tools, function_tool, run_realtime_tools

ran: list[str] = []


@function_tool
def clock(zone: str) -> str:
    """The time in a zone."""
    ran.append(f"clock:{zone}")
    return "12:00"


@function_tool
async def boom(x: int) -> int:
    """Always fails."""
    raise ValueError(f"no {x}")


class ToolCallingRealtime:
    """Calls ``clock`` and ``boom`` together on the first response of a turn, then answers with the outputs
    it received. ``?model=endless`` calls ``clock`` on every response; ``?model=broken`` sends an error."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []
        self.loop = asyncio.new_event_loop()
        started = threading.Event()

        async def main() -> None:
            async with serve(self.handler, "127.0.0.1", 0) as server:
                self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
                started.set()
                self.stop = self.loop.create_future()
                await self.stop

        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(main(),), daemon=True)
        self.thread.start()
        started.wait(5)

    async def handler(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        mode = ws.request.path.rsplit("=", 1)[-1]
        await ws.send(json.dumps({"type": "session.created", "event_id": "e0", "session": {"id": "s"}}))
        outputs: list[dict[str, Any]] = []
        n = 0
        async for raw in ws:
            event = json.loads(raw)
            self.seen.append(event)
            if (
                event["type"] == "conversation.item.create"
                and event["item"]["type"] == "function_call_output"
            ):
                outputs.append(event["item"])
            if event["type"] != "response.create":
                continue
            n += 1
            if mode == "broken":
                error = {"type": "invalid_request_error", "code": "bad", "message": "tools are off"}
                await ws.send(json.dumps({"type": "error", "event_id": "x", "error": error}))
                continue
            await ws.send(
                json.dumps({"type": "response.created", "event_id": f"c{n}", "response": {"id": f"r{n}"}})
            )
            if mode == "endless" or not outputs:
                calls = (
                    [("clock", {"zone": "UTC"})]
                    if mode == "endless"
                    else [("clock", {"zone": "CET"}), ("boom", {"x": 3})]
                )
                output = [
                    {
                        "type": "function_call",
                        "id": f"item{n}{i}",
                        "object": "realtime.item",
                        "status": "completed",
                        "call_id": f"call{n}{i}",
                        "name": name,
                        "arguments": json.dumps(args),
                    }
                    for i, (name, args) in enumerate(calls)
                ]
            else:
                text = " | ".join(f"{o['call_id']}={o['output']}" for o in outputs)
                output = [
                    {
                        "type": "message",
                        "id": f"msg{n}",
                        "object": "realtime.item",
                        "role": "assistant",
                        "status": "completed",
                        "content": [{"type": "output_text", "text": text}],
                    }
                ]
                outputs.clear()
            done = {"id": f"r{n}", "object": "realtime.response", "status": "completed", "output": output}
            await ws.send(json.dumps({"type": "response.done", "event_id": f"d{n}", "response": done}))

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.stop.set_result, None)
        self.thread.join(5)


@pytest.fixture
def server() -> Iterator[ToolCallingRealtime]:
    s = ToolCallingRealtime()
    yield s
    s.close()


def _url(server: ToolCallingRealtime) -> str:
    return f"http://127.0.0.1:{server.port}/v1"


def test_sync_realtime_tool_loop(server: ToolCallingRealtime) -> None:
    ran.clear()
    client = openai_kit.OpenAI(api_key="k", base_url=_url(server))
    transcript: list[dict[str, Any]] = []
    kinds: list[str] = []
    with client.realtime.connect(model="once") as conn:
        response = run_realtime_tools(
            conn,
            tools=Toolset([clock, boom]),
            input="what time is it?",
            transcript=transcript,
            on_event=lambda e: kinds.append(e.type),
            timeout=5,
        )
    text = response.output[0].content[0].text
    assert "call10=12:00" in text and "ValueError: no 3" in text
    assert ran == ["clock:CET"]
    sent = [e["type"] for e in server.seen]
    assert sent == [
        "session.update",
        "conversation.item.create",
        "response.create",
        "conversation.item.create",
        "conversation.item.create",
        "response.create",
    ]
    assert [t["name"] for t in server.seen[0]["session"]["tools"]] == ["clock", "boom"]
    assert "strict" not in server.seen[0]["session"]["tools"][0]
    assert [i["type"] for i in transcript] == [
        "message",
        "function_call",
        "function_call",
        "function_call_output",
        "function_call_output",
        "message",
    ]
    assert kinds.count("response.done") == 2 and kinds[0] == "session.created"


async def test_async_realtime_tool_loop_and_round_limit(server: ToolCallingRealtime) -> None:
    ran.clear()
    client = openai_kit.AsyncOpenAI(api_key="k", base_url=_url(server))
    async with client.realtime.connect(model="once") as conn:
        response = await arun_realtime_tools(conn, tools=Toolset([clock, boom]), input="time?", timeout=5)
        assert "call10=12:00" in response.output[0].content[0].text
    async with client.realtime.connect(model="endless") as conn:
        with pytest.raises(MaxRoundsError, match="after 2 rounds"):
            await arun_realtime_tools(conn, tools=Toolset([clock]), input="go", max_rounds=2, timeout=5)
    assert ran == ["clock:CET", "clock:UTC", "clock:UTC"]


def test_realtime_error_event_raises(server: ToolCallingRealtime) -> None:
    client = openai_kit.OpenAI(api_key="k", base_url=_url(server))
    with client.realtime.connect(model="broken") as conn, pytest.raises(RealtimeError, match="tools are off"):
        run_realtime_tools(conn, tools=Toolset([clock]), input="go", timeout=5)


def test_against_the_local_servers_realtime_tool_caller() -> None:
    from openai_kit.server.testing import run_server

    ran.clear()
    with run_server() as url:
        client = openai_kit.OpenAI(api_key="k", base_url=url)
        transcript: list[dict[str, Any]] = []
        with client.realtime.connect(model="tool-caller") as conn:
            response = run_realtime_tools(
                conn, tools=Toolset([clock]), input="time in Oslo?", transcript=transcript, timeout=10
            )
        assert response.status == "completed"
        assert [i["type"] for i in transcript] == [
            "message",
            "function_call",
            "function_call_output",
            "message",
        ]
        assert "12:00" in response.output[0].content[0].transcript
        assert len(ran) == 1


async def test_async_against_the_local_server() -> None:
    from openai_kit.server.testing import run_server

    ran.clear()
    with run_server() as url:
        client = openai_kit.AsyncOpenAI(api_key="k", base_url=url)
        async with client.realtime.connect(model="tool-caller") as conn:
            response = await arun_realtime_tools(conn, tools=Toolset([clock]), input="time?", timeout=10)
        assert "12:00" in response.output[0].content[0].transcript and len(ran) == 1
