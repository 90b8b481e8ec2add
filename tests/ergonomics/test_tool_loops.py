"""One toolset, every surface: the tool loops for Chat Completions, the Responses API and assistant runs,
sync and async, against the bundled local server (``tool-caller`` and ``scripted`` models)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydantic
import pytest

import openai_kit
from openai_kit.server.testing import run_server
from openai_kit.tools import (
    MaxRoundsError,
    ToolCall,
    ToolResult,
    Toolset,
    arun_assistant_tools,
    arun_response_tools,
    arun_tools,
    function_tool,
    run_assistant_tools,
    run_response_tools,
    run_tools,
)


class City(pydantic.BaseModel):
    name: str
    country: str


class Weather(pydantic.BaseModel):
    city: str
    temperature: int


seen: list[str] = []
gate = threading.Lock()
active = {"now": 0, "max": 0}


def _track() -> None:
    with gate:
        active["now"] += 1
        active["max"] = max(active["max"], active["now"])
    time.sleep(0.15)
    with gate:
        active["now"] -= 1


@function_tool
def weather(city: City) -> Weather:
    """Current weather.

    Args:
        city: Which city.
    """
    seen.append(f"weather:{city.name}")
    _track()
    return Weather(city=city.name, temperature=21)


@function_tool
def clock(zone: str) -> str:
    """The time in a zone."""
    seen.append(f"clock:{zone}")
    _track()
    return "12:00"


@function_tool
def boom(x: int) -> int:
    """Always fails."""
    raise RuntimeError(f"disk on fire ({x})")


@function_tool
async def slow_echo(text: str) -> dict[str, str]:
    """Echo, asynchronously."""
    await asyncio.sleep(0.15)
    seen.append(f"echo:{text}")
    return {"echo": text}


# turn 1: three calls at once (one fails), turn 2: the answer
PARALLEL = [
    {
        "tool_calls": [
            {"name": "weather", "arguments": {"city": {"name": "Oslo", "country": "NO"}}},
            {"name": "clock", "arguments": {"zone": "UTC"}},
            {"name": "boom", "arguments": {"x": 7}},
        ]
    },
    "all done",
]
# calls forever
ENDLESS = [{"tool_calls": [{"name": "clock", "arguments": {"zone": "UTC"}}]}]


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    d = tmp_path_factory.mktemp("scripts")
    (d / "parallel.json").write_text(json.dumps(PARALLEL))
    (d / "endless.json").write_text(json.dumps(ENDLESS))
    with (
        run_server(script_path=d / "parallel.json") as parallel,
        run_server(script_path=d / "endless.json") as endless,
    ):
        yield {"parallel": parallel, "endless": endless}


@pytest.fixture(autouse=True)
def _reset() -> None:
    seen.clear()
    active.update(now=0, max=0)


def _tools(**kwargs: Any) -> Toolset:
    return Toolset([weather, clock, boom, slow_echo], **kwargs)


def _check_parallel_transcript(outputs: dict[str, str]) -> None:
    assert sorted(seen) == ["clock:UTC", "weather:Oslo"]
    assert active["max"] == 2, "the two slow calls of one turn ran at the same time"
    assert json.loads(outputs["weather"]) == {"city": "Oslo", "temperature": 21}  # pydantic return value
    assert outputs["clock"] == "12:00"
    assert "RuntimeError: disk on fire (7)" in json.loads(outputs["boom"])["error"]


# -- Responses API -----------------------------------------------------------------------------------
def _response_outputs(transcript: list[dict[str, Any]]) -> dict[str, str]:
    names = {i["call_id"]: i["name"] for i in transcript if i.get("type") == "function_call"}
    return {names[i["call_id"]]: i["output"] for i in transcript if i.get("type") == "function_call_output"}


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("store", [True, False])
def test_responses_parallel_calls_errors_and_pydantic(
    servers: dict[str, str], stream: bool, store: bool
) -> None:
    client = openai_kit.OpenAI(api_key="k", base_url=servers["parallel"])
    transcript: list[dict[str, Any]] = []
    events: list[str] = []
    response = run_response_tools(
        client,
        model="scripted",
        input="weather and time please",
        tools=_tools(),
        transcript=transcript,
        stream=stream,
        store=store,
        on_event=lambda e: events.append(e.type),
    )
    assert response.output_text == "all done"
    _check_parallel_transcript(_response_outputs(transcript))
    assert transcript[0] == {"role": "user", "content": "weather and time please"}
    assert transcript[-1]["type"] == "message"
    if stream:
        assert events.count("response.completed") == 2 and events[0] == "response.created"
    else:
        assert events == []


def test_responses_with_tool_caller_chains_previous_response_id(servers: dict[str, str]) -> None:
    with run_server() as url:
        client = openai_kit.OpenAI(api_key="k", base_url=url)
        response = run_response_tools(
            client, model="tool-caller", input="weather in Paris", tools=Toolset([weather])
        )
        assert response.previous_response_id, "the outputs went back on the first response"
        assert '"temperature":21' in response.output_text
        first = client.responses.retrieve(response.previous_response_id)
        assert first.output[0].type == "function_call"


async def test_async_responses_loop_with_async_tool_and_hooks(servers: dict[str, str]) -> None:
    with run_server() as url:
        client = openai_kit.AsyncOpenAI(api_key="k", base_url=url)
        log: list[str] = []

        async def before(call: ToolCall) -> bool:
            log.append(f"before:{call.name}")
            return True

        def after(result: ToolResult) -> None:
            log.append(f"after:{result.call.name}:{result.value}")

        tools = Toolset([slow_echo], before_call=before, after_call=after)
        for stream in (False, True):
            log.clear()
            response = await arun_response_tools(
                client, model="tool-caller", input="say hi", tools=tools, stream=stream
            )
            assert "echo" in response.output_text
            assert log[0] == "before:slow_echo" and log[1].startswith("after:slow_echo:{'echo':")
        await client.close()


def test_round_limit_and_rejecting_hook(servers: dict[str, str]) -> None:
    client = openai_kit.OpenAI(api_key="k", base_url=servers["endless"])
    transcript: list[dict[str, Any]] = []
    with pytest.raises(MaxRoundsError, match="after 3 rounds") as info:
        run_response_tools(
            client, model="scripted", input="go", tools=_tools(), max_rounds=3, transcript=transcript
        )
    assert seen == ["clock:UTC"] * 3
    assert info.value.last.output[0].type == "function_call"
    assert info.value.transcript is transcript
    # a hook can refuse a call: the model reads an error instead, the tool never runs
    seen.clear()
    transcript = []
    tools = _tools(before_call=lambda call: call.name != "clock")
    with pytest.raises(MaxRoundsError):
        run_tools(
            client,
            model="scripted",
            messages=[{"role": "user", "content": "go"}],
            tools=tools,
            max_rounds=1,
            transcript=transcript,
        )
    assert seen == []
    assert "not approved" in transcript[-1]["content"]
    # a string from the hook is sent as the result without running the tool
    history: list[dict[str, Any]] = []
    with pytest.raises(MaxRoundsError):
        run_tools(
            client,
            model="scripted",
            messages=[{"role": "user", "content": "go"}],
            tools=_tools(before_call=lambda call: "cached 11:59"),
            max_rounds=1,
            transcript=history,
        )
    assert history[-1]["content"] == "cached 11:59" and seen == []


async def test_async_round_limit(servers: dict[str, str]) -> None:
    client = openai_kit.AsyncOpenAI(api_key="k", base_url=servers["endless"])
    with pytest.raises(MaxRoundsError):
        await arun_tools(
            client,
            model="scripted",
            messages=[{"role": "user", "content": "go"}],
            tools=_tools(),
            max_rounds=2,
        )
    assert seen == ["clock:UTC"] * 2
    seen.clear()
    with pytest.raises(MaxRoundsError):
        await arun_response_tools(
            client, model="scripted", input="go", tools=_tools(), max_rounds=0, stream=True
        )
    assert seen == []
    await client.close()


# -- chat completions --------------------------------------------------------------------------------
def test_chat_parallel_calls_bounded_concurrency(servers: dict[str, str]) -> None:
    client = openai_kit.OpenAI(api_key="k", base_url=servers["parallel"])
    transcript: list[dict[str, Any]] = []
    completion = run_tools(
        client,
        model="scripted",
        messages=[{"role": "user", "content": "hi"}],
        tools=_tools(),
        transcript=transcript,
    )
    assert completion.choices[0].message.content == "all done"
    names = {c["id"]: c["function"]["name"] for c in transcript[1]["tool_calls"]}
    outputs = {names[m["tool_call_id"]]: m["content"] for m in transcript if m["role"] == "tool"}
    _check_parallel_transcript(outputs)
    # max_concurrency=1: the same calls, one at a time
    seen.clear()
    active.update(max=0)
    run_tools(
        client,
        model="scripted",
        messages=[{"role": "user", "content": "hi"}],
        tools=_tools(max_concurrency=1),
    )
    assert active["max"] == 1 and len(seen) == 2


async def test_async_chat_parallel_calls(servers: dict[str, str]) -> None:
    client = openai_kit.AsyncOpenAI(api_key="k", base_url=servers["parallel"])
    transcript: list[dict[str, Any]] = []
    completion = await arun_tools(
        client,
        model="scripted",
        messages=[{"role": "user", "content": "hi"}],
        tools=_tools(),
        transcript=transcript,
    )
    assert completion.choices[0].message.content == "all done"
    names = {c["id"]: c["function"]["name"] for c in transcript[1]["tool_calls"]}
    _check_parallel_transcript(
        {names[m["tool_call_id"]]: m["content"] for m in transcript if m["role"] == "tool"}
    )
    await client.close()


# -- assistant runs ----------------------------------------------------------------------------------
def _thread(client: openai_kit.OpenAI) -> tuple[str, str]:
    assistant = client.beta.assistants.create(model="scripted", name="helper")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "weather and time"}])
    return assistant.id, thread.id


@pytest.mark.parametrize("stream", [False, True])
def test_assistant_run_loop(servers: dict[str, str], stream: bool) -> None:
    client = openai_kit.OpenAI(api_key="k", base_url=servers["parallel"])
    assistant_id, thread_id = _thread(client)
    transcript: list[dict[str, Any]] = []
    events: list[str] = []
    run = run_assistant_tools(
        client,
        thread_id=thread_id,
        assistant_id=assistant_id,
        tools=_tools(),
        transcript=transcript,
        stream=stream,
        on_event=lambda e: events.append(e.event),
        poll_interval_ms=20,
    )
    assert run.status == "completed"
    _check_parallel_transcript(_response_outputs(transcript))
    messages = client.beta.threads.messages.list(thread_id, order="desc")
    assert next(iter(messages)).content[0].text.value == "all done"
    assert run.wait(poll_interval_ms=20).id == run.id  # a run from a stream knows its client too
    if stream:
        assert events.count("thread.run.requires_action") == 1 and events[-1] == "thread.run.completed"
    else:
        assert events == []


async def test_async_assistant_run_loop_and_round_limit(servers: dict[str, str]) -> None:
    sync_client = openai_kit.OpenAI(api_key="k", base_url=servers["endless"])
    assistant_id, thread_id = _thread(sync_client)
    client = openai_kit.AsyncOpenAI(api_key="k", base_url=servers["endless"])
    for stream in (False, True):
        seen.clear()
        with pytest.raises(MaxRoundsError) as info:
            await arun_assistant_tools(
                client,
                thread_id=thread_id,
                assistant_id=assistant_id,
                tools=_tools(),
                max_rounds=2,
                stream=stream,
                poll_interval_ms=20,
            )
        assert seen == ["clock:UTC"] * 2
        # the abandoned run was cancelled, not left waiting for outputs
        run = await client.beta.threads.runs.retrieve(info.value.last.id, thread_id=thread_id)
        assert run.status in ("cancelling", "cancelled")

    parallel = openai_kit.AsyncOpenAI(api_key="k", base_url=servers["parallel"])
    assistant_id, thread_id = _thread(openai_kit.OpenAI(api_key="k", base_url=servers["parallel"]))
    seen.clear()
    transcript: list[dict[str, Any]] = []
    run = await arun_assistant_tools(
        parallel,
        thread_id=thread_id,
        assistant_id=assistant_id,
        tools=_tools(),
        transcript=transcript,
        stream=True,
    )
    assert run.status == "completed"
    _check_parallel_transcript(_response_outputs(transcript))
    await client.close()
    await parallel.close()


def test_bad_arguments_are_refused_before_anything_runs(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="max_concurrency"):
        Toolset([clock], max_concurrency=0)
    with pytest.raises(ValueError, match="max_rounds"):
        run_tools(object(), model="m", messages=[], tools=Toolset([clock]), max_rounds=-1)
    # validation errors reach the model as results, never as exceptions in the loop
    result = Toolset([weather]).run_call(ToolCall("c1", "weather", '{"city": {"name": "X"}}'))
    assert result.error is not None and "city.country" in json.loads(result.output)["error"]
    # called directly, arguments may be a mapping holding models (not JSON-serialisable as such)
    direct = Toolset([weather]).call("weather", {"city": City(name="Rome", country="IT")})
    assert json.loads(direct) == {"city": "Rome", "temperature": 21}
