"""The Responses API: create, typed stream events, retrieve, delete, input items, function calls,
``function_call_output`` inputs and ``previous_response_id``."""

from __future__ import annotations

import json

import jsonschema
import openai
import pytest
from server_spec_check import sdk

TOOL = {
    "type": "function",
    "name": "lookup",
    "description": "Look a word up",
    "parameters": {
        "type": "object",
        "properties": {"word": {"type": "string"}, "limit": {"type": "integer", "minimum": 1}},
        "required": ["word", "limit"],
        "additionalProperties": False,
    },
    "strict": True,
}


def test_create_retrieve_delete_and_input_items(client: openai.OpenAI) -> None:
    r = client.responses.create(model="echo", input="Hello responses", instructions="Be nice")
    assert r.status == "completed" and r.output_text == "Hello responses"
    assert r.usage is not None and r.usage.output_tokens == 2
    got = client.responses.retrieve(r.id)
    assert got.output_text == "Hello responses"
    items = list(client.responses.input_items.list(r.id))
    assert len(items) == 1 and items[0].type == "message"
    deleted = client.responses.delete(r.id)
    assert deleted is None
    with pytest.raises(sdk(client).NotFoundError):
        client.responses.retrieve(r.id)


def test_store_false_is_not_retrievable(client: openai.OpenAI) -> None:
    r = client.responses.create(model="echo", input="secret", store=False)
    with pytest.raises(sdk(client).NotFoundError):
        client.responses.retrieve(r.id)


def test_stream_event_sequence(client: openai.OpenAI) -> None:
    events = list(client.responses.create(model="echo", input="streamed text here", stream=True))
    types = [e.type for e in events]
    assert types == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        *["response.output_text.delta"] * 3,
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [e.sequence_number for e in events] == list(range(len(events)))
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")  # type: ignore[union-attr]
    assert deltas == "streamed text here"
    final = events[-1].response  # type: ignore[union-attr]
    assert final.output_text == "streamed text here"
    assert client.responses.retrieve(final.id).status == "completed"


def test_function_call_round_trip_with_previous_response(client: openai.OpenAI) -> None:
    first = client.responses.create(model="tool-caller", input="serendipity", tools=[TOOL])  # type: ignore[list-item]
    call = first.output[0]
    assert call.type == "function_call" and call.name == "lookup"
    jsonschema.validate(json.loads(call.arguments), TOOL["parameters"])  # type: ignore[arg-type]
    second = client.responses.create(
        model="tool-caller",
        previous_response_id=first.id,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "a happy accident"}],
        tools=[TOOL],  # type: ignore[list-item]
    )
    assert "a happy accident" in second.output_text
    items = list(client.responses.input_items.list(second.id))
    assert [i.type for i in items] == ["function_call_output"]


def test_streamed_function_call(client: openai.OpenAI) -> None:
    events = list(client.responses.create(model="tool-caller", input="x", tools=[TOOL], stream=True))  # type: ignore[list-item]
    types = [e.type for e in events]
    assert "response.function_call_arguments.delta" in types
    done = next(e for e in events if e.type == "response.function_call_arguments.done")
    jsonschema.validate(json.loads(done.arguments), TOOL["parameters"])  # type: ignore[union-attr,arg-type]


def test_manual_history_and_structured_output(client: openai.OpenAI) -> None:
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "string"}, "n": {"type": "integer"}},
        "required": ["answer", "n"],
        "additionalProperties": False,
    }
    r = client.responses.create(
        model="echo",
        input=[
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": [{"type": "input_text", "text": "second"}]},
        ],
        text={"format": {"type": "json_schema", "name": "out", "schema": schema, "strict": True}},
    )
    value = json.loads(r.output_text)
    jsonschema.validate(value, schema)
    assert value["answer"] == "second"


def test_unknown_call_id_is_rejected(client: openai.OpenAI) -> None:
    with pytest.raises(sdk(client).BadRequestError) as info:
        client.responses.create(
            model="echo", input=[{"type": "function_call_output", "call_id": "nope", "output": "x"}]
        )
    assert info.value.param == "input[0].call_id"
    with pytest.raises(sdk(client).NotFoundError) as info:
        client.responses.create(model="echo", input="x", previous_response_id="resp_missing")
    assert info.value.param == "previous_response_id"
