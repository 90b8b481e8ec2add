"""The Realtime client against a real websocket server that speaks the event protocol."""

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


class FakeRealtime:
    """Answers session.update and response.create the way the API does; records what it saw."""

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
        req = ws.request
        assert req is not None
        self.handshakes.append((req.path, {k.lower(): v for k, v in req.headers.raw_items()}))
        await ws.send(
            json.dumps(
                {
                    "type": "session.created",
                    "event_id": "e0",
                    "session": {"id": "sess_1", "object": "realtime.session", "model": "gpt-realtime"},
                }
            )
        )
        async for raw in ws:
            event = json.loads(raw)
            self.seen.append(event)
            kind = event["type"]
            if kind == "session.update":
                await ws.send(
                    json.dumps(
                        {
                            "type": "session.updated",
                            "event_id": "e1",
                            "session": {**event["session"], "id": "sess_1"},
                        }
                    )
                )
            elif kind == "response.create":
                await ws.send(json.dumps({"type": "brand.new.event", "event_id": "e2", "detail": 7}))
                for i, word in enumerate(["Hel", "lo"]):
                    await ws.send(
                        json.dumps(
                            {
                                "type": "response.output_text.delta",
                                "event_id": f"d{i}",
                                "response_id": "r1",
                                "item_id": "i1",
                                "output_index": 0,
                                "content_index": 0,
                                "delta": word,
                            }
                        )
                    )
                await ws.send(
                    json.dumps(
                        {
                            "type": "response.done",
                            "event_id": "e3",
                            "response": {
                                "id": "r1",
                                "object": "realtime.response",
                                "status": "completed",
                                "output": [],
                            },
                        }
                    )
                )
            elif kind == "bad.request":
                await ws.send(
                    json.dumps(
                        {
                            "type": "error",
                            "event_id": "e4",
                            "error": {
                                "type": "invalid_request_error",
                                "code": "unknown_event",
                                "message": "no such event",
                            },
                        }
                    )
                )
            elif kind == "bye":
                await ws.close()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.stop.set_result, None)
        self.thread.join(5)


@pytest.fixture
def fake() -> Iterator[FakeRealtime]:
    server = FakeRealtime()
    yield server
    server.close()


def test_sync_session_typed_events_wait_and_callbacks(fake: FakeRealtime) -> None:
    client = openai_kit.OpenAI(api_key="sk-rt", base_url=f"http://127.0.0.1:{fake.port}/v1", project="proj-9")
    with client.realtime.connect(model="gpt-realtime") as conn:
        created = conn.recv(timeout=5)
        assert (
            created.type == "session.created"
            and type(created).__name__ == "RealtimeServerEventSessionCreated"
        )
        updated = conn.send_and_wait(
            {"type": "session.update", "session": {"type": "realtime", "instructions": "hi"}},
            "session.updated",
            timeout=5,
        )
        assert updated.session.instructions == "hi"  # type: ignore[union-attr]
        deltas: list[str] = []
        conn.on("response.output_text.delta", lambda e: deltas.append(e.delta))
        conn.send({"type": "response.create"})
        done = conn.dispatch(until="response.done")
        assert deltas == ["Hel", "lo"] and done.response.status == "completed"
        with pytest.raises(RealtimeError, match="no such event") as info:
            conn.send_and_wait({"type": "bad.request"}, "never.comes", timeout=5)
        assert info.value.code == "unknown_event"
    path, headers = fake.handshakes[0]
    assert path == "/v1/realtime?model=gpt-realtime"
    assert headers["authorization"] == "Bearer sk-rt" and headers["openai-project"] == "proj-9"
    assert [e["type"] for e in fake.seen] == ["session.update", "response.create", "bad.request"]


async def test_async_session_iterates_keeps_unknown_events_and_ends_on_close(fake: FakeRealtime) -> None:
    async def provider() -> str:
        return "sk-async"

    client = openai_kit.AsyncOpenAI(api_key=provider, base_url=f"http://127.0.0.1:{fake.port}/v1")
    async with client.realtime.connect(model="gpt-realtime") as conn:
        await conn.send({"type": "response.create"})
        done = await conn.wait_for("response.done", timeout=5)
        assert done.response.id == "r1"
        skipped = [await conn.recv(timeout=1) for _ in range(4)]  # queued while waiting, in order
        assert [e.type for e in skipped] == [
            "session.created",
            "brand.new.event",
            "response.output_text.delta",
            "response.output_text.delta",
        ]
        assert skipped[1].detail == 7  # an event the spec does not know keeps its fields
        await conn.send({"type": "bye"})
        rest = [e async for e in conn]
        assert rest == []
    assert fake.handshakes[0][1]["authorization"] == "Bearer sk-async"


def test_azure_realtime_url_and_bad_input(fake: FakeRealtime) -> None:
    client = openai_kit.AzureOpenAI(
        azure_endpoint=f"http://127.0.0.1:{fake.port}", api_version="2025-04-01", api_key="az"
    )
    with client.realtime.connect(model="my-deploy") as conn:
        assert conn.recv(timeout=5).type == "session.created"
        with pytest.raises(TypeError, match="type"):
            conn.send({"no": "type"})
    path, headers = fake.handshakes[0]
    assert (
        path.startswith("/openai/realtime?")
        and "api-version=2025-04-01" in path
        and "deployment=my-deploy" in path
    )
    assert headers["api-key"] == "az"
    dead = openai_kit.OpenAI(api_key="k", base_url="http://127.0.0.1:9/v1")
    with pytest.raises(openai_kit.APIConnectionError):
        dead.realtime.connect(model="x")


SENT_BY_NAMESPACES = [
    {"type": "session.update", "session": {"type": "realtime", "instructions": "brief"}},
    {"type": "conversation.item.create", "item": {"type": "message", "role": "user", "content": []}},
    {
        "type": "conversation.item.create",
        "event_id": "ev_7",
        "item": {"type": "message"},
        "previous_item_id": "i0",
    },
    {"type": "conversation.item.retrieve", "item_id": "i1"},
    {"type": "conversation.item.truncate", "item_id": "i1", "content_index": 0, "audio_end_ms": 1500},
    {"type": "conversation.item.delete", "item_id": "i1"},
    {"type": "input_audio_buffer.append", "audio": "AAAA"},
    {"type": "input_audio_buffer.commit"},
    {"type": "input_audio_buffer.clear"},
    {"type": "output_audio_buffer.clear"},
    {"type": "response.cancel", "response_id": "r0"},
    {"type": "response.create", "response": {"instructions": "go"}},
]


def test_official_namespaced_senders(fake: FakeRealtime) -> None:
    """conn.session.update(...), conn.conversation.item.create(...)... send exactly the client events."""
    client = openai_kit.OpenAI(api_key="sk-rt", base_url=f"http://127.0.0.1:{fake.port}/v1")
    with client.realtime.connect(model="gpt-realtime") as conn:
        conn.session.update(session={"type": "realtime", "instructions": "brief"})
        conn.conversation.item.create(item={"type": "message", "role": "user", "content": []})
        conn.conversation.item.create(item={"type": "message"}, previous_item_id="i0", event_id="ev_7")
        conn.conversation.item.retrieve(item_id="i1")
        conn.conversation.item.truncate(item_id="i1", content_index=0, audio_end_ms=1500)
        conn.conversation.item.delete(item_id="i1")
        conn.input_audio_buffer.append(audio="AAAA")
        conn.input_audio_buffer.commit()
        conn.input_audio_buffer.clear()
        conn.output_audio_buffer.clear()
        conn.response.cancel(response_id="r0")
        conn.response.create(response={"instructions": "go"})
        assert conn.wait_for("response.done", timeout=5).response.id == "r1"
    assert fake.seen == SENT_BY_NAMESPACES


async def test_official_namespaced_senders_async(fake: FakeRealtime) -> None:
    client = openai_kit.AsyncOpenAI(api_key="sk-rt", base_url=f"http://127.0.0.1:{fake.port}/v1")
    async with client.realtime.connect(model="gpt-realtime") as conn:
        await conn.session.update(session={"type": "realtime", "instructions": "brief"})
        await conn.conversation.item.retrieve(item_id="i1")
        await conn.response.create()
        assert (await conn.wait_for("response.done", timeout=5)).response.status == "completed"
    assert fake.seen == [SENT_BY_NAMESPACES[0], SENT_BY_NAMESPACES[3], {"type": "response.create"}]
