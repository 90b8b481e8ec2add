"""``client.responses.connect()``: the Responses API websocket, against a real websocket server that
answers ``response.create`` events with the typed response events (stream lanes echoed), sync and async."""

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


def _response(status: str, text: str = "") -> dict[str, Any]:
    output = (
        [{"id": "msg_1", "type": "message", "role": "assistant", "status": "completed",
          "content": [{"type": "output_text", "text": text, "annotations": []}]}]
        if text else []
    )  # fmt: skip
    return {"id": "resp_1", "object": "response", "created_at": 1, "status": status, "model": "gpt-5",
            "output": output}  # fmt: skip


class FakeResponsesSocket:
    """Answers ``response.create`` with created, text deltas, completed; ``input: "fail"`` with an error."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []
        self.handshakes: list[tuple[str, dict[str, str]]] = []
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
        self.handshakes.append((ws.request.path, {k.lower(): v for k, v in ws.request.headers.raw_items()}))
        async for raw in ws:
            event = json.loads(raw)
            self.seen.append(event)
            lane = {"stream_id": event["stream_id"]} if "stream_id" in event else {}
            if event.get("input") == "fail":
                error = {"type": "invalid_request_error", "code": "bad", "message": "no", "param": "input"}
                await ws.send(json.dumps({"type": "error", "status": 400, "error": error, **lane}))
                continue
            events = [
                {"type": "response.created", "sequence_number": 0, "response": _response("in_progress")},
                *[
                    {"type": "response.output_text.delta", "sequence_number": i + 1, "item_id": "msg_1",
                     "output_index": 0, "content_index": 0, "delta": part, "logprobs": []}
                    for i, part in enumerate(["Hel", "lo"])
                ],
                {"type": "response.completed", "sequence_number": 3, "response": _response("completed", "Hello")},
            ]  # fmt: skip
            for e in events:
                await ws.send(json.dumps({**e, **lane}))

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.stop.set_result, None)
        self.thread.join(5)


@pytest.fixture
def fake() -> Iterator[FakeResponsesSocket]:
    server = FakeResponsesSocket()
    yield server
    server.close()


def test_sync_session(fake: FakeResponsesSocket) -> None:
    client = openai_kit.OpenAI(api_key="sk-ws", base_url=f"http://127.0.0.1:{fake.port}/v1", project="proj_1")
    with client.responses.connect() as conn:
        conn.create(model="gpt-5", input="Say hello.", stream_id="agent_1")
        text = ""
        for event in conn:
            assert getattr(event, "stream_id", None) == "agent_1"  # the lane is echoed on every event
            if event.type == "response.output_text.delta":
                text += event.delta
            elif event.type == "response.completed":
                assert event.response.output_text == "Hello"
                break
        assert text == "Hello"
        conn.send({"type": "response.create", "model": "gpt-5", "input": "fail"})
        with pytest.raises(RealtimeError) as info:
            conn.wait_for("response.completed", timeout=5)
        assert "no" in str(info.value)
    path, headers = fake.handshakes[0]
    assert path == "/v1/responses"
    assert headers["authorization"] == "Bearer sk-ws" and headers["openai-project"] == "proj_1"
    assert fake.seen[0] == {
        "type": "response.create",
        "model": "gpt-5",
        "input": "Say hello.",
        "stream_id": "agent_1",
    }


async def test_async_session(fake: FakeResponsesSocket) -> None:
    client = openai_kit.AsyncOpenAI(api_key="sk-ws", base_url=f"http://127.0.0.1:{fake.port}/v1")
    async with client.responses.connect() as conn:
        await conn.create(model="gpt-5", input="Hi")
        done = await conn.wait_for("response.completed", timeout=5)
        assert done.response.status == "completed"
    conn2 = await client.responses.connect(extra_query={"trace": "1"})
    await conn2.close()
    assert fake.handshakes[1][0] == "/v1/responses?trace=1"


def test_azure_and_websocket_base_url(fake: FakeResponsesSocket) -> None:
    azure = openai_kit.AzureOpenAI(
        azure_endpoint=f"http://127.0.0.1:{fake.port}", api_version="2025-04-01-preview", api_key="az"
    )
    with azure.responses.connect():
        pass
    path, headers = fake.handshakes[0]
    assert path == "/openai/responses?api-version=2025-04-01-preview" and headers["api-key"] == "az"
    custom = openai_kit.OpenAI(
        api_key="k", base_url="http://unused.invalid/v1", websocket_base_url=f"ws://127.0.0.1:{fake.port}/gw"
    )
    with custom.responses.connect():
        pass
    assert fake.handshakes[1][0] == "/gw/responses"


def test_refused_connection_is_a_typed_error() -> None:
    client = openai_kit.OpenAI(api_key="k", base_url="http://127.0.0.1:9/v1")
    with pytest.raises(openai_kit.APIConnectionError, match="Websocket connection failed"):
        client.responses.connect(open_timeout=2)
