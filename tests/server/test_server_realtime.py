"""The realtime websocket of the local server: text, audio in and out, function calls, cancel, errors;
with openai-kit's and the official SDK's realtime clients (sync and async), every server event checked
against the spec's schema for its type."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from server_spec_check import SpecChecker
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

import openai_kit
from openai_kit.server.testing import run_server

TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


@pytest.fixture(scope="module")
def event_schemas(spec_checker: SpecChecker) -> dict[str, str]:
    """Server event type -> the spec schema of that event."""
    schemas = spec_checker.spec["components"]["schemas"]
    union = schemas["RealtimeServerEvent"]
    table = {}
    for option in union.get("anyOf") or union.get("oneOf"):
        ref = option["$ref"]
        kind = schemas[ref.split("/")[-1]]["properties"]["type"]
        table[(kind.get("enum") or [kind.get("const")])[0]] = ref
    return table


class Raw:
    """A plain websocket client that checks every server event against the spec."""

    def __init__(self, ws: ClientConnection, checker: SpecChecker, schemas: dict[str, str]) -> None:
        self.ws, self.checker, self.schemas = ws, checker, schemas
        self.seen: list[dict[str, Any]] = []

    def send(self, event: dict[str, Any]) -> None:
        self.ws.send(json.dumps(event))

    def recv(self) -> dict[str, Any]:
        event: dict[str, Any] = json.loads(self.ws.recv(timeout=10))
        ref = self.schemas.get(event["type"])
        assert ref is not None, f"unknown server event {event['type']}"
        errors = self.checker.errors(ref, event)
        assert not errors, errors[:3]
        self.seen.append(event)
        return event

    def until(self, kind: str) -> list[dict[str, Any]]:
        events = []
        while True:
            events.append(self.recv())
            if events[-1]["type"] == kind:
                return events


@pytest.fixture
def raw(server_url: str, spec_checker: SpecChecker, event_schemas: dict[str, str]) -> Iterator[Raw]:
    url = server_url.replace("http://", "ws://") + "/realtime?model=tool-caller"
    with connect(url) as ws:
        yield Raw(ws, spec_checker, event_schemas)


def _speech_pcm(client: openai.OpenAI, text: str) -> bytes:
    return client.audio.speech.create(model="tts-1", voice="alloy", input=text, response_format="pcm").read()


def test_text_response_event_order(raw: Raw) -> None:
    assert raw.recv()["type"] == "session.created"
    raw.send({"type": "session.update", "session": {"type": "realtime", "output_modalities": ["text"]}})
    assert raw.recv()["session"]["output_modalities"] == ["text"]
    raw.send(
        {
            "type": "conversation.item.create",
            "item": {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": "hello there"}],
            },
        }
    )
    added, done = raw.recv(), raw.recv()
    assert (added["type"], done["type"]) == ("conversation.item.added", "conversation.item.done")
    raw.send({"type": "response.create"})
    events = raw.until("response.done")
    types = [e["type"] for e in events]
    assert types == [
        "response.created",
        "response.output_item.added",
        "conversation.item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "conversation.item.done",
        "response.done",
    ]
    assert "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta") == "hello there"
    final = events[-1]["response"]
    assert final["status"] == "completed" and final["output"][0]["content"][0]["text"] == "hello there"
    raw.send({"type": "conversation.item.retrieve", "item_id": final["output"][0]["id"]})
    assert raw.recv()["item"]["content"][0]["text"] == "hello there"
    raw.send({"type": "conversation.item.delete", "item_id": final["output"][0]["id"]})
    assert raw.recv()["type"] == "conversation.item.deleted"


def test_audio_in_transcribed_and_audio_out(raw: Raw, client: openai.OpenAI) -> None:
    raw.recv()
    raw.send(
        {
            "type": "session.update",
            "session": {
                "type": "realtime",
                "audio": {"input": {"transcription": {"model": "whisper-1"}}, "output": {"voice": "verse"}},
            },
        }
    )
    raw.recv()
    pcm = _speech_pcm(client, "spoken words come back")
    for start in range(0, len(pcm), 32000):
        raw.send(
            {
                "type": "input_audio_buffer.append",
                "audio": base64.b64encode(pcm[start : start + 32000]).decode(),
            }
        )
    raw.send({"type": "input_audio_buffer.commit"})
    events = raw.until("conversation.item.input_audio_transcription.completed")
    assert [e["type"] for e in events][:3] == [
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.done",
    ]
    assert events[-1]["transcript"] == "spoken words come back"
    raw.send({"type": "response.create"})
    events = raw.until("response.done")
    audio = b"".join(
        base64.b64decode(e["delta"]) for e in events if e["type"] == "response.output_audio.delta"
    )
    transcript = "".join(e["delta"] for e in events if e["type"] == "response.output_audio_transcript.delta")
    assert transcript == "spoken words come back"  # echo of what was heard
    assert audio == _speech_pcm_voice(client, transcript, "verse"), "the local speech signal, pcm16 24 kHz"
    types = [e["type"] for e in events]
    assert types.index("response.output_audio.done") < types.index("response.output_audio_transcript.done")
    assert events[-1]["response"]["output"][0]["content"][0] == {
        "type": "output_audio",
        "transcript": transcript,
    }


def _speech_pcm_voice(client: openai.OpenAI, text: str, voice: str) -> bytes:
    return client.audio.speech.create(model="tts-1", voice=voice, input=text, response_format="pcm").read()  # type: ignore[arg-type]


def test_function_call_and_output(raw: Raw) -> None:
    raw.recv()
    raw.send(
        {
            "type": "session.update",
            "session": {"type": "realtime", "tools": [TOOL], "output_modalities": ["text"]},
        }
    )
    raw.recv()
    raw.send(
        {
            "type": "conversation.item.create",
            "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Paris"}]},
        }
    )
    raw.until("conversation.item.done")
    raw.send({"type": "response.create"})
    events = raw.until("response.done")
    call = events[-1]["response"]["output"][0]
    assert call["type"] == "function_call" and call["name"] == "get_weather"
    assert "response.function_call_arguments.done" in [e["type"] for e in events]
    assert isinstance(json.loads(call["arguments"])["city"], str)
    raw.send(
        {
            "type": "conversation.item.create",
            "item": {"type": "function_call_output", "call_id": call["call_id"], "output": "sunny, 21 C"},
        }
    )
    raw.until("conversation.item.done")
    raw.send({"type": "response.create"})
    final = raw.until("response.done")[-1]["response"]
    assert "sunny, 21 C" in final["output"][0]["content"][0]["text"]


def test_cancel_and_errors(raw: Raw) -> None:
    raw.recv()
    raw.send({"type": "response.cancel", "event_id": "ev_1"})
    err = raw.recv()
    assert err["type"] == "error" and err["error"]["code"] == "response_cancel_not_active"
    assert err["error"]["event_id"] == "ev_1"
    raw.send({"type": "no.such.event"})
    assert raw.recv()["error"]["param"] == "type"
    raw.ws.send("not json")
    assert raw.recv()["error"]["code"] == "invalid_json"
    raw.send({"type": "input_audio_buffer.commit"})
    assert raw.recv()["error"]["code"] == "input_audio_buffer_commit_empty"
    raw.send({"type": "conversation.item.delete", "item_id": "item_missing"})
    assert raw.recv()["error"]["code"] == "item_not_found"
    long_text = " ".join(["cancel me"] * 200)
    raw.send(
        {
            "type": "conversation.item.create",
            "item": {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": long_text}],
            },
        }
    )
    raw.until("conversation.item.done")
    raw.send({"type": "response.create"})
    raw.until("response.output_audio.delta")
    raw.send({"type": "response.cancel"})
    done = raw.until("response.done")[-1]["response"]
    assert done["status"] == "cancelled"
    assert done["output"][0]["status"] == "incomplete"
    assert len(done["output"][0]["content"][0]["transcript"]) < len(long_text)


def test_kit_client_sync_and_async(server_url: str) -> None:
    client = openai_kit.OpenAI(base_url=server_url, api_key="k")
    with client.realtime.connect(model="echo") as conn:
        assert conn.recv().type == "session.created"
        conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
        conn.conversation.item.create(
            item={"type": "message", "role": "user", "content": [{"type": "input_text", "text": "sync hi"}]}
        )
        conn.response.create()
        done = conn.wait_for("response.done")
        assert done.response.output[0].content[0].text == "sync hi"

    async def main() -> str:
        aclient = openai_kit.AsyncOpenAI(base_url=server_url, api_key="k")
        async with aclient.realtime.connect(model="echo") as conn:
            await conn.conversation.item.create(
                item={
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": "async hi"}],
                }
            )
            await conn.response.create()
            done = await conn.wait_for("response.done")
            return str(done.response.output[0].content[0].transcript)

    import asyncio

    assert asyncio.run(main()) == "async hi"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # raised inside the official SDK's websocket code
def test_official_client_sync_and_async(server_url: str) -> None:
    client = openai.OpenAI(base_url=server_url, api_key="k")
    with client.realtime.connect(model="tool-caller") as conn:
        conn.session.update(session={"type": "realtime", "tools": [TOOL], "output_modalities": ["text"]})  # type: ignore[list-item]
        conn.conversation.item.create(
            item={"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Rome"}]}
        )
        conn.response.create()
        for event in conn:
            if event.type == "response.done":
                assert event.response.output is not None
                assert event.response.output[0].type == "function_call"
                break

    async def main() -> str:
        aclient = openai.AsyncOpenAI(base_url=server_url, api_key="k")
        async with aclient.realtime.connect(model="echo") as conn:
            await conn.conversation.item.create(
                item={
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": "official async"}],
                }
            )
            await conn.response.create()
            async for event in conn:
                if event.type == "response.output_audio_transcript.done":
                    return event.transcript
        return ""

    import asyncio

    assert asyncio.run(main()) == "official async"


def test_api_key_by_header_or_subprotocol(tmp_path: Any) -> None:
    with run_server(api_key="sk-rt") as url:
        ws_url = url.replace("http://", "ws://") + "/realtime"
        with pytest.raises(InvalidStatus) as info:
            connect(ws_url, additional_headers={"Authorization": "Bearer wrong"}).close()
        assert info.value.response.status_code == 401
        with connect(ws_url, additional_headers={"Authorization": "Bearer sk-rt"}) as ws:
            assert json.loads(ws.recv(timeout=5))["type"] == "session.created"
        with connect(ws_url, subprotocols=["realtime", "openai-insecure-api-key.sk-rt"]) as ws:  # type: ignore[list-item]
            assert ws.subprotocol == "realtime"
            assert json.loads(ws.recv(timeout=5))["type"] == "session.created"
        client = openai_kit.OpenAI(base_url=url, api_key="sk-rt")
        with client.realtime.connect(model="echo") as conn:
            assert conn.recv().type == "session.created"


def test_truncate_and_clear(raw: Raw) -> None:
    raw.recv()
    raw.send(
        {
            "type": "conversation.item.create",
            "item": {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": "one two three"}],
            },
        }
    )
    raw.until("conversation.item.done")
    raw.send({"type": "response.create"})
    item = raw.until("response.done")[-1]["response"]["output"][0]
    # "one" ends at 0.28 s and "two" at 0.55 s of the local speech signal
    raw.send(
        {"type": "conversation.item.truncate", "item_id": item["id"], "content_index": 0, "audio_end_ms": 400}
    )
    truncated = raw.recv()
    assert truncated["type"] == "conversation.item.truncated" and truncated["audio_end_ms"] == 400
    raw.send({"type": "conversation.item.retrieve", "item_id": item["id"]})
    assert raw.recv()["item"]["content"][0]["transcript"] == "one"
    raw.send({"type": "input_audio_buffer.append", "audio": base64.b64encode(b"\0\0" * 4800).decode()})
    raw.send({"type": "input_audio_buffer.clear"})
    assert raw.recv()["type"] == "input_audio_buffer.cleared"
    raw.send({"type": "input_audio_buffer.commit"})
    assert raw.recv()["error"]["code"] == "input_audio_buffer_commit_empty"
    raw.send({"type": "input_audio_buffer.append", "audio": "%%%"})
    assert raw.recv()["error"]["param"] == "audio"
