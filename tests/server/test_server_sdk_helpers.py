"""The official SDK's helper methods (``parse``, ``*_and_poll``, ``upload_and_poll``), run with both the
official client and openai-kit's (the ``client`` fixture runs each test with both), plus the async
openai-kit versions, against the local server."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Literal

import openai
import pydantic
import pytest
from server_spec_check import sdk

import openai_kit

pytestmark = pytest.mark.filterwarnings(
    "ignore:.*Assistants API.*:DeprecationWarning", "ignore:deprecated:DeprecationWarning"
)

TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}


class City(pydantic.BaseModel):
    name: str
    population: int
    tags: list[str]


def test_chat_completions_parse_returns_a_model_instance(client: openai.OpenAI) -> None:
    completion = client.chat.completions.parse(
        model="echo", messages=[{"role": "user", "content": "a city"}], response_format=City
    )
    parsed = completion.choices[0].message.parsed
    assert isinstance(parsed, City)
    # the reply text and the parsed object agree: the schema sent was City's
    assert City.model_validate_json(completion.choices[0].message.content or "") == parsed


def test_responses_parse_sets_output_parsed(client: openai.OpenAI) -> None:
    response = client.responses.parse(model="echo", input="a city", text_format=City)
    assert isinstance(response.output_parsed, City)
    assert City.model_validate_json(response.output_text) == response.output_parsed


def test_parse_of_a_truncated_reply_is_an_error(server_url: str) -> None:
    """openai-kit raises its StructuredOutputError (the official SDK: LengthFinishReasonError)."""
    with openai_kit.OpenAI(base_url=server_url, api_key="k") as client:
        with pytest.raises(openai_kit.LengthFinishReasonError, match="token limit"):
            client.chat.completions.parse(
                model="echo",
                messages=[{"role": "user", "content": "a city"}],
                response_format=City,
                max_completion_tokens=1,
            )
        with pytest.raises(TypeError, match="does not stream"):
            client.chat.completions.parse(
                model="echo", messages=[{"role": "user", "content": "x"}], response_format=City, stream=True
            )


def test_run_helpers_poll_to_requires_action_then_completed(client: openai.OpenAI) -> None:
    assistant = client.beta.assistants.create(model="tool-caller", tools=[TOOL])  # type: ignore[list-item]
    run = client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": "Weather in Paris?"}]},
        poll_interval_ms=10,
    )
    assert run.status == "requires_action" and run.required_action is not None
    call = run.required_action.submit_tool_outputs.tool_calls[0]
    done = client.beta.threads.runs.submit_tool_outputs_and_poll(
        tool_outputs=[{"tool_call_id": call.id, "output": "sunny"}],
        run_id=run.id,
        thread_id=run.thread_id,
        poll_interval_ms=10,
    )
    assert done.status == "completed"
    again = client.beta.threads.runs.create_and_poll(
        thread_id=run.thread_id, assistant_id=assistant.id, poll_interval_ms=10
    )
    assert again.status == "requires_action"
    assert client.beta.threads.runs.poll(again.id, run.thread_id, poll_interval_ms=10).id == again.id


def test_vector_store_upload_helpers(client: openai.OpenAI) -> None:
    store = client.vector_stores.create(name="helpers")
    one = client.vector_stores.files.upload_and_poll(
        vector_store_id=store.id, file=("one.txt", b"Cats purr and sleep.")
    )
    assert one.status == "completed" and one.vector_store_id == store.id
    batch = client.vector_stores.file_batches.upload_and_poll(
        store.id,
        files=[("two.txt", b"Rockets reach orbit."), ("three.txt", b"Revenue grew.")],
        max_concurrency=2,
        poll_interval_ms=10,
    )
    assert batch.status == "completed" and batch.file_counts.completed == 2
    listed = {f.id for f in client.vector_stores.files.list(store.id)}
    assert len(listed) == 3 and one.id in listed
    polled = client.vector_stores.files.poll(one.id, vector_store_id=store.id, poll_interval_ms=10)
    assert polled.id == one.id and polled.status == "completed"
    with pytest.raises(sdk(client).NotFoundError):
        client.vector_stores.files.create_and_poll("file-missing", vector_store_id=store.id)


def test_async_helpers(server_url: str) -> None:
    async def main() -> None:
        async with openai_kit.AsyncOpenAI(base_url=server_url, api_key="k") as client:
            completion = await client.chat.completions.parse(
                model="echo", messages=[{"role": "user", "content": "a city"}], response_format=City
            )
            assert isinstance(completion.choices[0].message.parsed, City)
            response = await client.responses.parse(model="echo", input="a city", text_format=City)
            assert isinstance(response.output_parsed, City)
            assistant = await client.beta.assistants.create(model="tool-caller", tools=[TOOL])  # type: ignore[list-item]
            thread = await client.beta.threads.create(messages=[{"role": "user", "content": "Weather?"}])
            run = await client.beta.threads.runs.create_and_poll(
                thread_id=thread.id, assistant_id=assistant.id, poll_interval_ms=10
            )
            assert run.status == "requires_action" and run.required_action is not None
            call = run.required_action.submit_tool_outputs.tool_calls[0]
            done = await client.beta.threads.runs.submit_tool_outputs_and_poll(
                tool_outputs=[{"tool_call_id": call.id, "output": "rain"}],
                run_id=run.id,
                thread_id=thread.id,
                poll_interval_ms=10,
            )
            assert done.status == "completed"
            store = await client.vector_stores.create(name="async-helpers")
            batch = await client.vector_stores.file_batches.upload_and_poll(
                store.id,
                files=[("a.txt", b"alpha"), ("b.txt", b"beta"), ("c.txt", b"gamma")],
                max_concurrency=2,
            )
            assert batch.file_counts.completed == 3
            one = await client.vector_stores.files.upload_and_poll(
                vector_store_id=store.id, file=("d.txt", b"delta"), poll_interval_ms=10
            )
            assert one.status == "completed"

    asyncio.run(main())


def test_chat_stream_events_and_final_completion(client: openai.OpenAI) -> None:
    text = "Hello there streaming world"
    with client.chat.completions.stream(model="echo", messages=[{"role": "user", "content": text}]) as stream:
        events = list(stream)
        final = stream.get_final_completion()
    types = [e.type for e in events]
    assert types[0] == "chunk" and "content.delta" in types
    assert "".join(e.delta for e in events if e.type == "content.delta") == text
    snapshots = [e.snapshot for e in events if e.type == "content.delta"]
    assert snapshots[-1] == text and all(text.startswith(s) for s in snapshots)
    (done,) = [e for e in events if e.type == "content.done"]
    assert done.content == text
    assert types.index("content.done") > max(i for i, t in enumerate(types) if t == "content.delta")
    assert final.choices[0].message.content == text
    assert final.choices[0].finish_reason == "stop" and final.object == "chat.completion"
    assert final.id == events[0].chunk.id


def test_chat_stream_tool_call_and_structured_output(client: openai.OpenAI) -> None:
    with client.chat.completions.stream(
        model="tool-caller",
        messages=[{"role": "user", "content": "Weather in Paris?"}],
        tools=[TOOL],  # type: ignore[list-item]
    ) as stream:
        events = list(stream)
        final = stream.get_final_completion()
    args = "".join(e.arguments_delta for e in events if e.type == "tool_calls.function.arguments.delta")
    (done,) = [e for e in events if e.type == "tool_calls.function.arguments.done"]
    assert done.name == "get_weather" and done.arguments == args
    call = final.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert call.function.name == "get_weather" and call.function.arguments == args  # type: ignore[union-attr]
    assert final.choices[0].finish_reason == "tool_calls"
    assert done.parsed_arguments is None  # not a strict tool: its arguments are not guaranteed JSON

    with client.chat.completions.stream(
        model="echo", messages=[{"role": "user", "content": "a city"}], response_format=City
    ) as stream:
        events = list(stream)
        final = stream.get_final_completion()
    (content_done,) = [e for e in events if e.type == "content.done"]
    assert isinstance(content_done.parsed, City)
    assert final.choices[0].message.parsed == content_done.parsed


def test_async_chat_stream(server_url: str) -> None:
    async def main() -> None:
        async with openai_kit.AsyncOpenAI(base_url=server_url, api_key="k") as client:
            async with client.chat.completions.stream(
                model="echo", messages=[{"role": "user", "content": "async words here"}]
            ) as stream:
                deltas = [e.delta async for e in stream if e.type == "content.delta"]
                final = await stream.get_final_completion()
            assert "".join(deltas) == "async words here" == final.choices[0].message.content

    asyncio.run(main())


def test_a_stream_cut_before_finish_reason_has_no_final_completion() -> None:
    from openai_kit import APIResponseValidationError
    from openai_kit._sdk_helpers.chat_stream import ChatCompletionAccumulator
    from openai_kit.types.chat import ChatCompletionChunk

    acc = ChatCompletionAccumulator()
    chunk = ChatCompletionChunk.model_validate(
        {
            "id": "c1",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "m",
            "choices": [
                {"index": 0, "delta": {"role": "assistant", "content": "Hel"}, "finish_reason": None}
            ],
        }
    )
    events = acc.feed(chunk)
    assert [e.type for e in events] == ["chunk", "content.delta"]
    assert acc.snapshot["choices"][0]["message"]["content"] == "Hel"
    with pytest.raises(APIResponseValidationError, match="without finish_reason"):
        acc.final()


def test_responses_stream_and_final_response(client: openai.OpenAI) -> None:
    with client.responses.stream(model="echo", input="streamed response words") as stream:
        events = list(stream)
        final = stream.get_final_response()
    types = [e.type for e in events]
    assert types[0] == "response.created" and types[-1] == "response.completed"
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == "streamed response words" == final.output_text
    assert final.status == "completed" and final.id == events[0].response.id

    with client.responses.stream(model="echo", input="a city", text_format=City) as stream:
        final = stream.get_final_response()
    assert isinstance(final.output_parsed, City)


def test_async_responses_stream(server_url: str) -> None:
    async def main() -> None:
        async with openai_kit.AsyncOpenAI(base_url=server_url, api_key="k") as client:
            async with client.responses.stream(model="echo", input="async response") as stream:
                deltas = [e.delta async for e in stream if e.type == "response.output_text.delta"]
                final = await stream.get_final_response()
            assert "".join(deltas) == "async response" == final.output_text
            with pytest.raises(TypeError, match="always streams"):
                client.responses.stream(model="echo", input="x", stream=True)

    asyncio.run(main())


class GetWeather(pydantic.BaseModel):
    """Current weather for a city."""

    city: str
    unit: Literal["celsius", "fahrenheit"]


def test_pydantic_function_tool_arguments_parse_as_the_model(client: openai.OpenAI) -> None:
    tool = sdk(client).pydantic_function_tool(GetWeather)
    r = client.chat.completions.create(
        model="tool-caller", messages=[{"role": "user", "content": "Weather?"}], tools=[tool]
    )
    call = r.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert call.function.name == "GetWeather"  # type: ignore[union-attr]
    args = GetWeather.model_validate_json(call.function.arguments)  # type: ignore[union-attr]
    assert args.unit in ("celsius", "fahrenheit")


def test_kit_tool_schema_matches_the_official_one() -> None:
    ours = openai_kit.pydantic_function_tool(GetWeather)
    theirs = openai.pydantic_function_tool(GetWeather)
    assert ours["function"]["name"] == theirs["function"]["name"]
    assert ours["function"]["strict"] is theirs["function"]["strict"] is True
    params = ours["function"]["parameters"]
    assert params["required"] == theirs["function"]["parameters"]["required"] == ["city", "unit"]
    assert params["additionalProperties"] is False
    responses_tool = openai_kit.pydantic_responses_function_tool(GetWeather, name="weather")
    assert responses_tool["type"] == "function" and responses_tool["name"] == "weather"


def test_default_httpx_client_is_a_usable_http_client(server_url: str) -> None:
    http = openai_kit.DefaultHttpxClient()
    with openai_kit.OpenAI(base_url=server_url, api_key="k", http_client=http) as client:
        r = client.chat.completions.create(model="echo", messages=[{"role": "user", "content": "via httpx"}])
        assert r.choices[0].message.content == "via httpx"
    assert not http.is_closed  # the caller's client stays open
    http.close()


def _plain(value: object) -> object:
    return value.model_dump() if isinstance(value, pydantic.BaseModel) else value


@pytest.mark.parametrize(
    "request_args",
    [
        {"model": "echo", "messages": [{"role": "user", "content": "two answers"}], "n": 2},
        {"model": "tool-caller", "messages": [{"role": "user", "content": "Weather?"}], "tools": [TOOL]},
        {
            "model": "tool-caller",
            "messages": [{"role": "user", "content": "Weather?"}],
            "tools": [{"type": "function", "function": {**TOOL["function"], "strict": True}}],  # type: ignore[dict-item]
        },
        {"model": "echo", "messages": [{"role": "user", "content": "a city"}], "response_format": City},
    ],
)
def test_chat_stream_events_match_the_official_sdk(server_url: str, request_args: dict[str, object]) -> None:
    """The same request through both clients' stream() helpers gives the same event sequence."""

    def run(module: object) -> tuple[list[tuple[object, ...]], object]:
        client = module.OpenAI(base_url=server_url, api_key="k")  # type: ignore[attr-defined]
        with client.chat.completions.stream(**request_args) as stream:
            events = [
                (
                    e.type,
                    getattr(e, "delta", None),
                    getattr(e, "content", None),
                    getattr(e, "arguments", None),
                    _plain(getattr(e, "parsed", None)),  # partial JSON on deltas, the model when done
                    getattr(e, "parsed_arguments", None),  # strict tools only
                )
                for e in stream
                if e.type != "chunk"
            ]
            final = stream.get_final_completion()
        messages = [c.message.model_dump(exclude={"parsed"}, exclude_none=True) for c in final.choices]
        for m in messages:  # call ids differ per request; the official snapshot also keeps the chunk index
            m["tool_calls"] = [
                {k: v for k, v in tc.items() if k not in ("id", "index")} for tc in m.get("tool_calls", [])
            ]
        return events, messages

    assert run(openai_kit) == run(openai)


def test_responses_stream_events_match_the_official_sdk(server_url: str) -> None:
    def run(module: object) -> tuple[list[str], str, object]:
        client = module.OpenAI(base_url=server_url, api_key="k")  # type: ignore[attr-defined]
        with client.responses.stream(model="echo", input="a city", text_format=City) as stream:
            types = [e.type for e in stream]
            final = stream.get_final_response()
        return types, final.output_text, final.output_parsed

    assert run(openai_kit) == run(openai)


def _recorder(base: type) -> Any:
    class Recorder(base):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            super().__init__()
            self.log: list[tuple[Any, ...]] = []
            self.calls: list[tuple[str, str]] = []

        def on_event(self, event: Any) -> None:
            self.log.append(("event", event.event))

        def on_run_step_created(self, run_step: Any) -> None:
            self.log.append(("run_step_created", run_step.type))

        def on_run_step_delta(self, delta: Any, snapshot: Any) -> None:
            self.log.append(("run_step_delta",))

        def on_run_step_done(self, run_step: Any) -> None:
            self.log.append(("run_step_done", run_step.status))

        def on_tool_call_created(self, tool_call: Any) -> None:
            self.log.append(("tool_call_created", tool_call.type))
            self.calls.append((tool_call.function.name, tool_call.function.arguments))

        def on_tool_call_done(self, tool_call: Any) -> None:
            self.log.append(("tool_call_done",))

        def on_message_created(self, message: Any) -> None:
            self.log.append(("message_created",))

        def on_message_delta(self, delta: Any, snapshot: Any) -> None:
            self.log.append(("message_delta", snapshot.content[0].text.value))

        def on_message_done(self, message: Any) -> None:
            self.log.append(("message_done", message.content[0].text.value))

        def on_text_created(self, text: Any) -> None:
            self.log.append(("text_created", text.value))

        def on_text_delta(self, delta: Any, snapshot: Any) -> None:
            self.log.append(("text_delta", delta.value, snapshot.value))

        def on_text_done(self, text: Any) -> None:
            self.log.append(("text_done", text.value))

        def on_end(self) -> None:
            self.log.append(("end",))

    return Recorder()


def test_assistant_event_handler_matches_the_official_sdk(server_url: str) -> None:
    """The same run, streamed with an event handler through both clients: same hooks, same order."""

    def run(module: Any) -> tuple[list[Any], list[Any], list[Any], Any]:
        client = module.OpenAI(base_url=server_url, api_key="k")
        assistant = client.beta.assistants.create(model="tool-caller", tools=[TOOL])
        thread = client.beta.threads.create(messages=[{"role": "user", "content": "Weather in Paris?"}])
        first = _recorder(module.AssistantEventHandler)
        with client.beta.threads.runs.stream(
            thread_id=thread.id, assistant_id=assistant.id, event_handler=first
        ) as stream:
            stream.until_done()
        run = first.current_run
        call = run.required_action.submit_tool_outputs.tool_calls[0]
        second = _recorder(module.AssistantEventHandler)
        with client.beta.threads.runs.submit_tool_outputs_stream(
            tool_outputs=[{"tool_call_id": call.id, "output": "sunny"}],
            run_id=run.id,
            thread_id=thread.id,
            event_handler=second,
        ) as stream2:
            stream2.until_done()
        texts = [m.content[0].text.value for m in stream2.get_final_messages()]
        return first.log + second.log, first.calls, texts, stream2.get_final_run().status

    ours, theirs = run(openai_kit), run(openai)
    assert ours[0] == theirs[0]  # hook sequence and text snapshots
    assert ours[2:] == theirs[2:] == (["The get_weather tool returned: sunny"], "completed")
    # the tool call snapshot is right (the official 3.54 handler doubles name and arguments here)
    assert ours[1] == [("get_weather", '{"city":"Weather in Paris?"}')]


def test_create_and_run_stream_and_text_deltas(server_url: str) -> None:
    client = openai_kit.OpenAI(base_url=server_url, api_key="k")
    assistant = client.beta.assistants.create(model="echo")
    with client.beta.threads.create_and_run_stream(
        assistant_id=assistant.id, thread={"messages": [{"role": "user", "content": "say it back"}]}
    ) as stream:
        text = "".join(stream.text_deltas)
        assert stream.get_final_run().status == "completed"
    assert text == "say it back"
    with pytest.raises(TypeError, match="always stream"):
        client.beta.threads.create_and_run_stream(assistant_id=assistant.id, stream=True)


def _async_recorder(base: type) -> Any:
    sync = _recorder(object)  # the same recording, with async hooks around it

    class AsyncRecorder(base):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            super().__init__()
            self.log = sync.log

    for name in [n for n in dir(type(sync)) if n.startswith("on_")]:

        async def hook(self: Any, *args: Any, _name: str = name) -> None:
            getattr(sync, _name)(*args)

        setattr(AsyncRecorder, name, hook)
    return AsyncRecorder()


def test_async_assistant_event_handler_matches_the_official_sdk(server_url: str) -> None:
    async def run(module: Any) -> tuple[list[Any], Any, list[str]]:
        async with module.AsyncOpenAI(base_url=server_url, api_key="k") as client:
            return await scenario(module, client)

    async def scenario(module: Any, client: Any) -> tuple[list[Any], Any, list[str]]:
        assistant = await client.beta.assistants.create(model="tool-caller", tools=[TOOL])
        handler = _async_recorder(module.AsyncAssistantEventHandler)
        async with client.beta.threads.create_and_run_stream(
            assistant_id=assistant.id,
            thread={"messages": [{"role": "user", "content": "Weather in Paris?"}]},
            event_handler=handler,
        ) as stream:
            await stream.until_done()
        run = await stream.get_final_run()
        call = run.required_action.submit_tool_outputs.tool_calls[0]
        second = _async_recorder(module.AsyncAssistantEventHandler)
        async with client.beta.threads.runs.submit_tool_outputs_stream(
            tool_outputs=[{"tool_call_id": call.id, "output": "rain"}],
            run_id=run.id,
            thread_id=run.thread_id,
            event_handler=second,
        ) as stream2:
            texts = [t async for t in stream2.text_deltas]
        return handler.log + second.log, (await stream2.get_final_run()).status, texts

    ours, theirs = asyncio.run(run(openai_kit)), asyncio.run(run(openai))
    assert ours == theirs
    assert ours[1] == "completed" and "".join(ours[2]) == "The get_weather tool returned: rain"


def test_parse_sets_parsed_arguments_for_strict_tools(client: openai.OpenAI) -> None:
    strict = {"type": "function", "function": {**TOOL["function"], "strict": True}}  # type: ignore[dict-item]
    r = client.chat.completions.parse(
        model="tool-caller", messages=[{"role": "user", "content": "Weather in Rome?"}], tools=[strict]
    )
    fn = r.choices[0].message.tool_calls[0].function  # type: ignore[index, union-attr]
    assert fn.parsed_arguments == json.loads(fn.arguments) and isinstance(fn.parsed_arguments["city"], str)
