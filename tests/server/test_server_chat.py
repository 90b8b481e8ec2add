"""Models, chat completions (plain, streamed, n, tools, JSON mode, structured outputs, stored) and
legacy completions, driven by the official client."""

from __future__ import annotations

import json
import uuid

import jsonschema
import openai
import pytest
from server_spec_check import sdk

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer", "minimum": 1, "maximum": 7},
            },
            "required": ["city", "unit", "days"],
            "additionalProperties": False,
        },
        "strict": True,
    },
}


def test_models_list_and_retrieve(client: openai.OpenAI) -> None:
    ids = [m.id for m in client.models.list()]
    assert {"echo", "tool-caller", "hash-embedding", "keyword-moderation"} <= set(ids)
    assert client.models.retrieve("echo").owned_by == "openai-kit"
    with pytest.raises(sdk(client).NotFoundError) as info:
        client.models.retrieve("nothing-like-a-model")
    assert info.value.code == "model_not_found"


def test_echo_chat_completion(client: openai.OpenAI) -> None:
    r = client.chat.completions.create(
        model="echo",
        messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "Hello, world!"}],
    )
    assert r.object == "chat.completion"
    assert r.choices[0].message.content == "Hello, world!"
    assert r.choices[0].finish_reason == "stop"
    assert r.usage is not None and r.usage.completion_tokens == 4
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens


def test_stream_with_usage_and_n(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="echo",
        messages=[{"role": "user", "content": "one two three"}],
        stream=True,
        n=2,
        stream_options={"include_usage": True},
    )
    texts = {0: "", 1: ""}
    finishes = {}
    chunks = list(stream)
    for chunk in chunks:
        for choice in chunk.choices:
            texts[choice.index] += choice.delta.content or ""
            if choice.finish_reason:
                finishes[choice.index] = choice.finish_reason
    assert texts == {0: "one two three", 1: "one two three"}
    assert finishes == {0: "stop", 1: "stop"}
    assert len({c.id for c in chunks}) == 1
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None and last.usage.completion_tokens == 6
    assert all(c.usage is None for c in chunks[:-1])


def test_n_choices(client: openai.OpenAI) -> None:
    r = client.chat.completions.create(model="echo", messages=[{"role": "user", "content": "hi"}], n=3)
    assert [c.index for c in r.choices] == [0, 1, 2]


def test_tool_call_then_answer(client: openai.OpenAI) -> None:
    messages: list[dict[str, object]] = [{"role": "user", "content": "Paris"}]
    r = client.chat.completions.create(model="tool-caller", messages=messages, tools=[WEATHER_TOOL])  # type: ignore[arg-type,list-item]
    choice = r.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]  # type: ignore[index]
    args = json.loads(call.function.arguments)  # type: ignore[union-attr]
    jsonschema.validate(args, WEATHER_TOOL["function"]["parameters"])  # type: ignore[index]
    messages.append(choice.message.model_dump(exclude_none=True))
    messages.append({"role": "tool", "tool_call_id": call.id, "content": "sunny, 21 degrees"})
    r2 = client.chat.completions.create(model="tool-caller", messages=messages, tools=[WEATHER_TOOL])  # type: ignore[arg-type,list-item]
    assert r2.choices[0].finish_reason == "stop"
    assert "sunny, 21 degrees" in (r2.choices[0].message.content or "")


def test_streamed_tool_call_argument_deltas(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="tool-caller",
        messages=[{"role": "user", "content": "Rome"}],
        tools=[WEATHER_TOOL],  # type: ignore[list-item]
        stream=True,
    )
    name, args, deltas, finish = "", "", 0, None
    for chunk in stream:
        for choice in chunk.choices:
            for tc in choice.delta.tool_calls or []:
                if tc.function and tc.function.name:
                    name = tc.function.name
                if tc.function and tc.function.arguments:
                    args += tc.function.arguments
                    deltas += 1
            finish = choice.finish_reason or finish
    assert name == "get_weather" and finish == "tool_calls"
    assert deltas > 1
    jsonschema.validate(json.loads(args), WEATHER_TOOL["function"]["parameters"])  # type: ignore[index]


def test_json_mode_and_structured_output(client: openai.OpenAI) -> None:
    r = client.chat.completions.create(
        model="echo",
        messages=[{"role": "user", "content": "json please"}],
        response_format={"type": "json_object"},
    )
    assert isinstance(json.loads(r.choices[0].message.content or ""), dict)
    schema = {
        "type": "object",
        "properties": {
            "title": {"type": "string", "minLength": 3},
            "tags": {"type": "array", "items": {"$ref": "#/$defs/tag"}, "minItems": 2, "uniqueItems": True},
            "score": {"type": "number", "exclusiveMinimum": 0, "maximum": 0.5},
            "code": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{2}$"},
            "owner": {
                "anyOf": [
                    {"type": "null"},
                    {
                        "type": "object",
                        "properties": {"email": {"type": "string", "format": "email"}},
                        "required": ["email"],
                        "additionalProperties": False,
                    },
                ]
            },
        },
        "required": ["title", "tags", "score", "code", "owner"],
        "additionalProperties": False,
        "$defs": {"tag": {"type": "string", "enum": ["red", "green", "blue"]}},
    }
    r = client.chat.completions.create(
        model="echo",
        messages=[{"role": "user", "content": "Hi"}],
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "card", "schema": schema, "strict": True},
        },
    )
    value = json.loads(r.choices[0].message.content or "")
    jsonschema.validate(value, schema)
    parsed = client.chat.completions.parse(
        model="echo",
        messages=[{"role": "user", "content": "x"}],
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "card", "schema": schema, "strict": True},
        },
    )
    assert parsed.choices[0].message.content is not None


def test_max_tokens_and_stop(client: openai.OpenAI) -> None:
    r = client.chat.completions.create(
        model="echo", messages=[{"role": "user", "content": "a b c d e f"}], max_completion_tokens=3
    )
    assert r.choices[0].message.content == "a b c" and r.choices[0].finish_reason == "length"
    r = client.chat.completions.create(
        model="echo", messages=[{"role": "user", "content": "alpha. beta"}], stop="."
    )
    assert r.choices[0].message.content == "alpha"


def test_stored_completions(client: openai.OpenAI) -> None:
    suite = f"stored-{uuid.uuid4().hex[:8]}"  # the server is shared by both clients' runs
    created = [
        client.chat.completions.create(
            model="echo",
            messages=[{"role": "user", "content": f"stored {i}"}],
            store=True,
            metadata={"suite": suite, "i": str(i)},
        )
        for i in range(3)
    ]
    client.chat.completions.create(model="echo", messages=[{"role": "user", "content": "not stored"}])
    listed = client.chat.completions.list(metadata={"suite": suite}, limit=2)
    ids = [c.id for c in listed]  # auto-paginates
    assert ids == [c.id for c in created]
    got = client.chat.completions.retrieve(created[0].id)
    assert got.choices[0].message.content == "stored 0"
    updated = client.chat.completions.update(created[0].id, metadata={"suite": "stored", "tag": "x"})
    assert updated.metadata == {"suite": "stored", "tag": "x"}
    msgs = list(client.chat.completions.messages.list(created[1].id))
    assert [m.content for m in msgs] == ["stored 1"]
    deleted = client.chat.completions.delete(created[2].id)
    assert deleted.deleted is True
    with pytest.raises(sdk(client).NotFoundError):
        client.chat.completions.retrieve(created[2].id)


def test_legacy_completions(client: openai.OpenAI) -> None:
    r = client.completions.create(model="echo", prompt=["Say this", "and that"], max_tokens=5, echo=False)
    assert [c.text for c in r.choices] == ["Say this", "and that"]
    r = client.completions.create(model="echo", prompt="one two three", max_tokens=2)
    assert r.choices[0].text == "one two" and r.choices[0].finish_reason == "length"
    text = ""
    usage = None
    for chunk in client.completions.create(
        model="echo", prompt="streamed words here", stream=True, stream_options={"include_usage": True}
    ):
        text += "".join(c.text for c in chunk.choices)
        usage = chunk.usage or usage
    assert text == "streamed words here" and usage is not None and usage.completion_tokens == 3


def test_chat_validation_errors(client: openai.OpenAI) -> None:
    with pytest.raises(sdk(client).BadRequestError) as info:
        client.chat.completions.create(model="echo", messages=[{"role": "wizard", "content": "x"}])  # type: ignore[misc,list-item]
    assert info.value.param == "messages[0].role"
    with pytest.raises(sdk(client).BadRequestError) as info:
        client.chat.completions.create(model="echo", messages=[])
    assert info.value.param == "messages"
    with pytest.raises(sdk(client).BadRequestError) as info:
        client.chat.completions.create(
            model="echo", messages=[{"role": "user", "content": "x"}], temperature=3
        )
    assert info.value.param == "temperature"
    with pytest.raises(sdk(client).BadRequestError) as info:  # a speech model
        client.chat.completions.create(model="tts-1", messages=[{"role": "user", "content": "x"}])
    assert info.value.param == "model"
    with pytest.raises(sdk(client).BadRequestError) as info:
        client.chat.completions.create(
            model="echo",
            messages=[{"role": "user", "content": "x"}],
            tools=[WEATHER_TOOL],  # type: ignore[list-item]
            tool_choice={"type": "function", "function": {"name": "missing"}},
        )
    assert info.value.param == "tool_choice"
