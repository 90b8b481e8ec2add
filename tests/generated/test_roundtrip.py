"""Round trips through the tricky parts of the generated models: discriminated unions (with a fallback
for tags this version does not know), nullable versus optional fields, unknown fields and enum values."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pydantic
import pytest
from pydantic import TypeAdapter

from openai_kit.types._base import UnknownObject
from openai_kit.types.beta.threads import (
    AssistantStreamEvent,
    MessageStreamEventThreadMessageDelta,
    RunStreamEventThreadRunCompleted,
    RunStreamEventThreadRunCreated,
)
from openai_kit.types.chat import ChatCompletion, ChatCompletionChunk
from openai_kit.types.other import Content
from openai_kit.types.responses import (
    FunctionTool,
    FunctionToolCall,
    OutputItem,
    OutputMessage,
    OutputTextContent,
    RefusalContent,
    Response,
    ResponseStreamEvent,
    ResponseTextDeltaEvent,
    Tool,
    WebSearchTool,
)
from openai_kit.types.shared import InputImageContent

CHAT = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1700000000,
    "model": "gpt-4o",
    "choices": [
        {
            "index": 0,
            "finish_reason": "tool_calls",
            "logprobs": None,
            "message": {
                "role": "assistant",
                "content": None,
                "refusal": None,
                "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}},
                    {"id": "call_2", "type": "custom", "custom": {"name": "g", "input": "x"}},
                ],
            },
        }
    ],
    "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
}


def roundtrip(model: Any, data: dict[str, Any]) -> Any:
    obj = model.model_validate_json(orjson.dumps(data))
    assert obj.model_dump(mode="json", by_alias=True, exclude_unset=True) == data
    assert json.loads(obj.model_dump_json(by_alias=True, exclude_unset=True)) == data
    return obj


# -- discriminated unions -------------------------------------------------------------------------


def test_chat_tool_calls_union_resolves_by_type() -> None:
    c = roundtrip(ChatCompletion, CHAT)
    calls = c.choices[0].message.tool_calls
    assert calls is not None
    assert type(calls[0]).__name__ == "ChatCompletionMessageFunctionToolCall"  # the official name
    assert calls[0].function.name == "f"
    assert type(calls[1]).__name__ == "ChatCompletionMessageCustomToolCall"
    assert calls[1].custom.input == "x"


def _response(output: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "id": "resp_1",
        "object": "response",
        "created_at": 1700000000,
        "status": "completed",
        "model": "gpt-4.1",
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": tools or [],
        "metadata": None,
        "temperature": None,
        "top_p": None,
        "error": None,
        "incomplete_details": None,
        "instructions": None,
    }


MESSAGE = {
    "type": "message",
    "id": "msg_1",
    "role": "assistant",
    "status": "completed",
    "content": [
        {"type": "output_text", "text": "hi", "annotations": [], "logprobs": []},
        {"type": "refusal", "refusal": "no"},
    ],
}
FUNCTION_CALL = {
    "type": "function_call",
    "id": "fc_1",
    "call_id": "call_1",
    "name": "f",
    "arguments": "{}",
    "status": "completed",
}


def test_response_output_items_and_content_parts() -> None:
    r = Response.model_validate_json(orjson.dumps(_response([MESSAGE, FUNCTION_CALL])))
    assert isinstance(r.output[0], OutputMessage)
    assert isinstance(r.output[0].content[0], OutputTextContent)
    assert isinstance(r.output[0].content[1], RefusalContent)
    assert isinstance(r.output[1], FunctionToolCall)
    assert r.output[1].name == "f"


def test_unknown_union_member_falls_back_and_keeps_its_fields() -> None:
    new_item = {"type": "hologram_call", "id": "h_1", "depth": 3, "payload": {"a": [1, 2]}}
    r = Response.model_validate_json(orjson.dumps(_response([new_item, FUNCTION_CALL])))
    assert isinstance(r.output[0], UnknownObject)
    assert r.output[0].type == "hologram_call"
    assert r.output[0].payload == {"a": [1, 2]}
    assert isinstance(r.output[1], FunctionToolCall)
    assert r.model_dump(mode="json", exclude_unset=True)["output"][0] == new_item


def test_known_tag_with_a_broken_body_still_parses() -> None:
    broken = {"type": "function_call", "id": "fc_2"}  # required fields missing
    item = TypeAdapter(OutputItem).validate_python(broken)
    assert isinstance(item, UnknownObject)
    assert item.model_dump() == broken


def test_tools_union() -> None:
    tools = [
        {
            "type": "function",
            "name": "f",
            "parameters": {"type": "object"},
            "strict": True,
            "description": None,
        },
        {"type": "web_search", "search_context_size": "low"},
        {"type": "teleport", "range": 9},
    ]
    parsed = TypeAdapter(list[Tool]).validate_json(orjson.dumps(tools))
    assert isinstance(parsed[0], FunctionTool)
    assert isinstance(parsed[1], WebSearchTool)
    assert isinstance(parsed[2], UnknownObject)


def test_stream_events_union() -> None:
    ta: TypeAdapter[Any] = TypeAdapter(ResponseStreamEvent)
    ev = ta.validate_json(
        b'{"type":"response.output_text.delta","item_id":"msg_1","output_index":0,'
        b'"content_index":0,"delta":"He","sequence_number":3,"logprobs":[]}'
    )
    assert isinstance(ev, ResponseTextDeltaEvent)
    assert ev.delta == "He"
    new = ta.validate_json(b'{"type":"response.mind_reading.delta","sequence_number":4,"thought":"x"}')
    assert isinstance(new, UnknownObject)
    assert new.thought == "x"


RUN = {
    "id": "run_1",
    "object": "thread.run",
    "created_at": 1,
    "thread_id": "thread_1",
    "assistant_id": "asst_1",
    "status": "queued",
    "required_action": None,
    "last_error": None,
    "expires_at": None,
    "started_at": None,
    "cancelled_at": None,
    "failed_at": None,
    "completed_at": None,
    "incomplete_details": None,
    "model": "gpt-4o",
    "instructions": "",
    "tools": [],
    "metadata": {},
    "usage": None,
    "max_prompt_tokens": None,
    "max_completion_tokens": None,
    "truncation_strategy": None,
    "tool_choice": "auto",
    "parallel_tool_calls": True,
    "response_format": "auto",
}


def test_assistant_stream_events_keep_their_name() -> None:
    """A union of unions (thread | run | step | message events) is one union keyed by `event`: two
    events that both carry a run stay distinct, and a new event name still parses."""
    ta: TypeAdapter[Any] = TypeAdapter(AssistantStreamEvent)
    created = ta.validate_python({"event": "thread.run.created", "data": RUN})
    done = ta.validate_python({"event": "thread.run.completed", "data": {**RUN, "status": "completed"}})
    assert isinstance(created, RunStreamEventThreadRunCreated)
    assert isinstance(done, RunStreamEventThreadRunCompleted)
    assert created.data.id == "run_1"
    assert done.data.status == "completed"
    delta = ta.validate_python(
        {
            "event": "thread.message.delta",
            "data": {
                "id": "msg_1",
                "object": "thread.message.delta",
                "delta": {"content": [{"index": 0, "type": "text", "text": {"value": "Hi"}}]},
            },
        }
    )
    assert isinstance(delta, MessageStreamEventThreadMessageDelta)
    assert delta.data.delta.content[0].text.value == "Hi"
    new = ta.validate_python({"event": "thread.run.paused", "data": RUN})
    assert isinstance(new, UnknownObject)
    assert new.event == "thread.run.paused"


def test_content_union_of_input_and_output_parts() -> None:
    """`Content` is input parts | output parts; both halves resolve to their own class."""
    ta: TypeAdapter[Any] = TypeAdapter(Content)
    text = ta.validate_python({"type": "output_text", "text": "hi", "annotations": [], "logprobs": []})
    refusal = ta.validate_python({"type": "refusal", "refusal": "no"})
    image = ta.validate_python({"type": "input_image", "detail": "auto", "image_url": "https://x/y.png"})
    assert isinstance(text, OutputTextContent)
    assert isinstance(refusal, RefusalContent)
    assert isinstance(image, InputImageContent)


def test_chat_chunk_stream_model() -> None:
    chunk = {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": {"role": "assistant", "content": "He"}, "finish_reason": None}],
    }
    c = roundtrip(ChatCompletionChunk, chunk)
    assert c.choices[0].delta.content == "He"


# -- nullable versus optional ---------------------------------------------------------------------


def test_nullable_required_field_accepts_null_but_must_be_present() -> None:
    c = ChatCompletion.model_validate(CHAT)
    msg = c.choices[0].message
    assert msg.content is None and "content" in msg.model_fields_set
    broken = json.loads(json.dumps(CHAT))
    del broken["choices"][0]["message"]["content"]
    with pytest.raises(pydantic.ValidationError):
        ChatCompletion.model_validate(broken)


def test_optional_field_absent_is_unset_and_not_dumped() -> None:
    c = ChatCompletion.model_validate(CHAT)
    assert c.system_fingerprint is None
    assert "system_fingerprint" not in c.model_fields_set
    assert "system_fingerprint" not in c.model_dump(exclude_unset=True)


def test_non_nullable_required_field_rejects_null() -> None:
    broken = dict(CHAT, id=None)
    with pytest.raises(pydantic.ValidationError):
        ChatCompletion.model_validate(broken)


# -- forward compatibility ------------------------------------------------------------------------


def test_unknown_fields_are_kept() -> None:
    data = dict(CHAT, brand_new={"nested": [1, 2]}, another=3)
    c = roundtrip(ChatCompletion, data)
    assert c.brand_new == {"nested": [1, 2]}
    assert c.model_dump()["another"] == 3


def test_unknown_enum_values_are_accepted() -> None:
    data = json.loads(json.dumps(CHAT))
    data["choices"][0]["finish_reason"] = "thought_too_long"
    data["service_tier"] = "galactic"
    c = roundtrip(ChatCompletion, data)
    assert c.choices[0].finish_reason == "thought_too_long"
    assert c.service_tier == "galactic"


def test_single_valued_tags_stay_strict() -> None:
    with pytest.raises(pydantic.ValidationError):
        ChatCompletion.model_validate(dict(CHAT, object="chat.completion.v2"))


def test_aliased_field_names() -> None:
    from openai_kit.types import moderations

    cats = {name: False for name in moderations.ModerationCreateResponseResultCategories.model_fields}
    wire = {
        moderations.ModerationCreateResponseResultCategories.model_fields[k].alias or k: v
        for k, v in cats.items()
    }
    assert "self-harm/intent" in wire
    m = moderations.ModerationCreateResponseResultCategories.model_validate(wire)
    assert m.self_harm_intent is False
    assert m.to_dict() == wire
