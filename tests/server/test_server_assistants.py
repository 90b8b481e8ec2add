"""Assistants, threads, messages, runs and run steps: a full run with a function tool call,
plain and streamed (the assistant event sequence)."""

from __future__ import annotations

import json
import time

import jsonschema
import openai
import pytest
from server_spec_check import sdk

pytestmark = pytest.mark.filterwarnings(
    "ignore:.*Assistants API.*:DeprecationWarning", "ignore:deprecated:DeprecationWarning"
)

TOOL = {
    "type": "function",
    "function": {
        "name": "get_stock_price",
        "description": "Latest price of a ticker",
        "parameters": {
            "type": "object",
            "properties": {"ticker": {"type": "string", "pattern": "^[A-Z]{1,5}$"}},
            "required": ["ticker"],
            "additionalProperties": False,
        },
    },
}


def _poll(
    client: openai.OpenAI, thread_id: str, run_id: str, until: tuple[str, ...]
) -> openai.types.beta.threads.Run:
    deadline = time.monotonic() + 10
    seen = []
    while True:
        run = client.beta.threads.runs.retrieve(run_id, thread_id=thread_id)
        if not seen or seen[-1] != run.status:
            seen.append(run.status)
        if run.status in until:
            return run
        assert time.monotonic() < deadline, f"run stuck: {seen}"
        time.sleep(0.01)


def test_assistant_crud(client: openai.OpenAI) -> None:
    a = client.beta.assistants.create(model="echo", name="helper", instructions="Echo things", tools=[TOOL])  # type: ignore[list-item]
    assert client.beta.assistants.retrieve(a.id).name == "helper"
    assert client.beta.assistants.update(a.id, name="renamed", metadata={"k": "v"}).name == "renamed"
    assert a.id in [x.id for x in client.beta.assistants.list()]
    assert client.beta.assistants.delete(a.id).deleted
    with pytest.raises(sdk(client).NotFoundError):
        client.beta.assistants.retrieve(a.id)
    with pytest.raises(sdk(client).BadRequestError) as info:  # an image model
        client.beta.assistants.create(model="dall-e-3")
    assert info.value.param == "model"


def test_full_run_with_tool_call(client: openai.OpenAI) -> None:
    assistant = client.beta.assistants.create(model="tool-caller", instructions="Use tools", tools=[TOOL])  # type: ignore[list-item]
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "Price of ACME?"}])
    run = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "queued"
    run = _poll(client, thread.id, run.id, ("requires_action", "failed", "completed"))
    assert run.status == "requires_action" and run.required_action is not None
    calls = run.required_action.submit_tool_outputs.tool_calls
    assert calls[0].function.name == "get_stock_price"
    jsonschema.validate(json.loads(calls[0].function.arguments), TOOL["function"]["parameters"])  # type: ignore[index]
    with pytest.raises(sdk(client).BadRequestError) as info:
        client.beta.threads.runs.submit_tool_outputs(
            run.id, thread_id=thread.id, tool_outputs=[{"tool_call_id": "nope", "output": "1"}]
        )
    assert info.value.param == "tool_outputs"
    run = client.beta.threads.runs.submit_tool_outputs(
        run.id, thread_id=thread.id, tool_outputs=[{"tool_call_id": calls[0].id, "output": "42.00 USD"}]
    )
    run = _poll(client, thread.id, run.id, ("completed", "failed"))
    assert run.status == "completed" and run.usage is not None and run.usage.total_tokens > 0
    messages = list(client.beta.threads.messages.list(thread.id, order="asc"))
    assert [m.role for m in messages] == ["user", "assistant"]
    assert "42.00 USD" in messages[1].content[0].text.value  # type: ignore[union-attr]
    steps = list(client.beta.threads.runs.steps.list(run.id, thread_id=thread.id, order="asc"))
    assert [s.type for s in steps] == ["tool_calls", "message_creation"]
    assert steps[0].step_details.tool_calls[0].function.output == "42.00 USD"  # type: ignore[union-attr]
    assert client.beta.threads.runs.steps.retrieve(
        steps[1].id, thread_id=thread.id, run_id=run.id
    ).status == ("completed")
    assert [r.id for r in client.beta.threads.runs.list(thread.id)] == [run.id]


def test_streamed_run_event_sequence(client: openai.OpenAI) -> None:
    assistant = client.beta.assistants.create(model="tool-caller", tools=[TOOL])  # type: ignore[list-item]
    stream = client.beta.threads.create_and_run(
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": "Price of XYZ?"}]},
        stream=True,
    )
    received = list(stream)
    assert [e.event for e in received] == [
        "thread.created",
        "thread.run.created",
        "thread.run.queued",
        "thread.run.in_progress",
        "thread.run.step.created",
        "thread.run.step.in_progress",
        "thread.run.step.delta",
        "thread.run.requires_action",
    ]
    run = received[-1].data
    assert run.status == "requires_action" and run.required_action is not None  # type: ignore[union-attr]
    call = run.required_action.submit_tool_outputs.tool_calls[0]  # type: ignore[union-attr]
    stream2 = client.beta.threads.runs.submit_tool_outputs(
        run.id,
        thread_id=run.thread_id,  # type: ignore[union-attr]
        tool_outputs=[{"tool_call_id": call.id, "output": "7"}],
        stream=True,
    )
    names = []
    text = ""
    for e in stream2:
        names.append(e.event)
        if e.event == "thread.message.delta":
            text += e.data.delta.content[0].text.value  # type: ignore[union-attr]
    deltas = names.count("thread.message.delta")
    assert names == [
        "thread.run.step.completed",
        "thread.run.queued",
        "thread.run.in_progress",
        "thread.run.step.created",
        "thread.run.step.in_progress",
        "thread.message.created",
        "thread.message.in_progress",
        *["thread.message.delta"] * deltas,
        "thread.message.completed",
        "thread.run.step.completed",
        "thread.run.completed",
    ]
    assert deltas > 1
    assert text == "The get_stock_price tool returned: 7"


def test_echo_run_and_messages_crud(client: openai.OpenAI) -> None:
    assistant = client.beta.assistants.create(model="echo")
    thread = client.beta.threads.create()
    msg = client.beta.threads.messages.create(thread.id, role="user", content="hello run")
    assert (
        client.beta.threads.messages.retrieve(msg.id, thread_id=thread.id).content[0].text.value
        == "hello run"
    )  # type: ignore[union-attr]
    assert client.beta.threads.messages.update(msg.id, thread_id=thread.id, metadata={"a": "b"}).metadata == {
        "a": "b"
    }
    run = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant.id, poll_interval_ms=20
    )
    assert run.status == "completed"
    reply = list(client.beta.threads.messages.list(thread.id, run_id=run.id))
    assert reply[0].content[0].text.value == "hello run"  # type: ignore[union-attr]
    assert client.beta.threads.update(thread.id, metadata={"x": "y"}).metadata == {"x": "y"}
    assert client.beta.threads.messages.delete(msg.id, thread_id=thread.id).deleted
    assert client.beta.threads.delete(thread.id).deleted
    with pytest.raises(sdk(client).NotFoundError):
        client.beta.threads.retrieve(thread.id)


def test_cancel_run_waiting_for_tools(client: openai.OpenAI) -> None:
    assistant = client.beta.assistants.create(model="tool-caller", tools=[TOOL])  # type: ignore[list-item]
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "go"}])
    run = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
    run = _poll(client, thread.id, run.id, ("requires_action",))
    with pytest.raises(sdk(client).BadRequestError):
        client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
    assert client.beta.threads.runs.cancel(run.id, thread_id=thread.id).status == "cancelled"
