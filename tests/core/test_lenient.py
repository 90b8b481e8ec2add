"""Lenient parsing: bodies of servers that deviate from the spec parse as the official SDK parses them.

The recorded bodies (``tests/core/recorded/*.json``, one file per server, each naming where its shapes come
from) are served over a real socket and fetched with the official client and with openai-kit's, sync and
async, streamed where the server streams; both must give the same observable result: the same values for
every field the official SDK has, and a typed model wherever the official SDK has one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import orjson
import pydantic
import pytest

import openai_kit
from openai_kit._models import parse_json, validate_python
from openai_kit.types.chat import ChatCompletion, ChatCompletionChunk
from openai_kit.types.responses import Response, ResponseStreamEvent

from .httpserver import Conn, LocalHTTPServer, Req

RECORDED = Path(__file__).parent / "recorded"
FIXTURES: dict[str, dict[str, Any]] = {
    p.stem: json.loads(p.read_text()) for p in sorted(RECORDED.glob("*.json"))
}
EXCHANGES = [
    pytest.param(source, ex, id=f"{source}-{ex['name']}")
    for source, fixture in FIXTURES.items()
    for ex in fixture["exchanges"]
]


# -- serving and calling ----------------------------------------------------------------------------------
def serve(server: LocalHTTPServer, exchange: dict[str, Any]) -> None:
    @server.route(exchange.get("method", "POST"), exchange["path"])
    async def answer(req: Req, conn: Conn) -> None:
        if "events" not in exchange:
            await conn.json(exchange["response"])
            return
        await conn.start_chunked()
        for event in exchange["events"]:
            data = event["data"] if isinstance(event["data"], str) else orjson.dumps(event["data"]).decode()
            name = f"event: {event['event']}\n" if "event" in event else ""
            await conn.chunk(f"{name}data: {data}\n\n".encode())
        await conn.end_chunked()


def make_client(sdk: Any, source: str, server: LocalHTTPServer, *, asynchronous: bool, **kw: Any) -> Any:
    azure = FIXTURES[source].get("azure")
    if azure:
        cls = sdk.AsyncAzureOpenAI if asynchronous else sdk.AzureOpenAI
        return cls(
            api_key="k",
            api_version=azure["api_version"],
            azure_endpoint=f"http://127.0.0.1:{server.port}",
            azure_deployment=azure["deployment"],
            max_retries=0,
            **kw,
        )
    cls = sdk.AsyncOpenAI if asynchronous else sdk.OpenAI
    return cls(api_key="k", base_url=server.base_url, max_retries=0, **kw)


def operation(client: Any, exchange: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    path, kwargs = exchange["call"]
    target = client
    for part in path.split("."):
        target = getattr(target, part)
    return target, kwargs


def fetch(client: Any, exchange: dict[str, Any]) -> list[Any]:
    """What the caller observes: the model, each streamed event, or each item of a page."""
    fn, kwargs = operation(client, exchange)
    result = fn(**kwargs)
    if "events" in exchange:
        return list(result)
    if exchange["call"][0].endswith(".list"):
        return list(result.data)
    return [result]


async def afetch(client: Any, exchange: dict[str, Any]) -> list[Any]:
    fn, kwargs = operation(client, exchange)
    result = await fn(**kwargs)
    if "events" in exchange:
        return [event async for event in result]
    if exchange["call"][0].endswith(".list"):
        return list(result.data)
    return [result]


# -- comparing --------------------------------------------------------------------------------------------
def fields(obj: pydantic.BaseModel) -> dict[str, Any]:
    """A model's values by wire name: declared fields, then the extra ones."""
    out = {(f.alias or name): getattr(obj, name) for name, f in type(obj).model_fields.items()}
    out.update(obj.model_extra or {})
    return out


def same_shape(official: Any, kit: Any, where: str = "") -> None:
    """Wherever the official SDK has a typed model, openai-kit has one too (recursively)."""
    if isinstance(official, pydantic.BaseModel):
        assert isinstance(kit, pydantic.BaseModel), f"{where or 'body'}: plain {type(kit).__name__}"
        kit_fields = fields(kit)
        for key, value in fields(official).items():
            if value is not None:
                same_shape(value, kit_fields.get(key), f"{where}.{key}")
    elif isinstance(official, list):
        assert isinstance(kit, list) and len(kit) == len(official), where
        for i, (a, b) in enumerate(zip(official, kit, strict=True)):
            same_shape(a, b, f"{where}[{i}]")


def same_values(official: Any, kit: Any, where: str = "") -> None:
    """Equal JSON, a key missing on one side counting as null (a field only one SDK declares)."""
    if isinstance(official, dict) and isinstance(kit, dict):
        for key in official.keys() | kit.keys():
            same_values(official.get(key), kit.get(key), f"{where}.{key}")
    elif isinstance(official, list) and isinstance(kit, list):
        assert len(official) == len(kit), where
        for i, (a, b) in enumerate(zip(official, kit, strict=True)):
            same_values(a, b, f"{where}[{i}]")
    else:
        assert official == kit, f"{where or 'body'}: official {official!r} != openai-kit {kit!r}"


def assert_same(official: list[Any], kit: list[Any]) -> None:
    assert len(official) == len(kit) > 0
    for a, b in zip(official, kit, strict=True):
        same_shape(a, b)
        same_values(a.model_dump(mode="json", by_alias=True), b.model_dump(mode="json", by_alias=True))


# -- the recorded bodies ----------------------------------------------------------------------------------
def test_every_recorded_server_is_covered() -> None:
    assert set(FIXTURES) == {
        "azure",
        "litellm",
        "llama_cpp_python",
        "llama_server",
        "older_api",
        "ollama",
        "vllm",
    }
    for source, fixture in FIXTURES.items():
        assert fixture["shape_from"], source
        assert any("events" in ex for ex in fixture["exchanges"]), f"{source}: no streamed exchange"


@pytest.mark.parametrize(("source", "exchange"), EXCHANGES)
def test_recorded_body_parses_as_with_the_official_sdk(
    source: str, exchange: dict[str, Any], server: LocalHTTPServer
) -> None:
    serve(server, exchange)
    with make_client(openai, source, server, asynchronous=False) as official_client:
        official = fetch(official_client, exchange)
    with make_client(openai_kit, source, server, asynchronous=False) as kit_client:
        kit = fetch(kit_client, exchange)
    assert_same(official, kit)


@pytest.mark.parametrize(("source", "exchange"), EXCHANGES)
async def test_recorded_body_parses_as_with_the_official_sdk_async(
    source: str, exchange: dict[str, Any], server: LocalHTTPServer
) -> None:
    serve(server, exchange)
    async with make_client(openai, source, server, asynchronous=True) as official_client:
        official = await afetch(official_client, exchange)
    async with make_client(openai_kit, source, server, asynchronous=True) as kit_client:
        kit = await afetch(kit_client, exchange)
    assert_same(official, kit)


CHAT_STREAMS = [
    pytest.param(source, ex, id=f"{source}-{ex['name']}")
    for source, fixture in FIXTURES.items()
    for ex in fixture["exchanges"]
    if "events" in ex and ex["call"][0] == "chat.completions.create"
]


@pytest.mark.parametrize(("source", "exchange"), CHAT_STREAMS)
def test_recorded_chat_streams_fold_into_a_final_completion(
    source: str, exchange: dict[str, Any], server: LocalHTTPServer
) -> None:
    """``chat.completions.stream()`` over each server's chunks ends with the completion the official SDK
    folds (content, finish reason, tool calls, usage; the official SDK also concatenates the role each
    LiteLLM/Ollama delta repeats, which openai-kit does not)."""
    serve(server, exchange)
    params = {k: v for k, v in exchange["call"][1].items() if k != "stream"}
    finals = []
    for sdk in (openai, openai_kit):
        with (
            make_client(sdk, source, server, asynchronous=False) as client,
            client.chat.completions.stream(**params) as stream,
        ):
            deltas = [e.delta for e in stream if e.type == "content.delta"]
            final = stream.get_final_completion()
        assert "".join(deltas) == (final.choices[0].message.content or "")
        finals.append(final)
    official, kit = finals
    for a, b in zip(official.choices, kit.choices, strict=True):
        assert (a.finish_reason, a.message.content) == (b.finish_reason, b.message.content)
        calls = [(c.id, c.function.name, c.function.arguments) for c in a.message.tool_calls or ()]
        assert calls == [(c.id, c.function.name, c.function.arguments) for c in b.message.tool_calls or ()]
    assert (official.id, official.model, official.usage and official.usage.total_tokens) == (
        kit.id,
        kit.model,
        kit.usage and kit.usage.total_tokens,
    )


def exchange_of(source: str, name: str) -> dict[str, Any]:
    return next(ex for ex in FIXTURES[source]["exchanges"] if ex["name"] == name)


def test_llama_cpp_bodies_read_naturally(server: LocalHTTPServer) -> None:
    """The quirks the issue names, read as a user would read them."""
    for name in ("chat", "models"):
        serve(server, exchange_of("llama_cpp_python", name))
    with openai_kit.OpenAI(api_key="k", base_url=server.base_url) as client:
        chat = client.chat.completions.create(model="smollm2", messages=[{"role": "user", "content": "hi"}])
        message = chat.choices[0].message
        assert message.content == "Hello! How can I help you today?"
        assert message.refusal is None and message.annotations is None
        assert "refusal" not in message.model_fields_set
        assert chat.system_fingerprint is None
        assert chat.usage is not None and chat.usage.total_tokens == 40
        (model,) = client.models.list()
        assert model.id == "smollm2" and model.created is None and model.owned_by == "me"
        assert model.permissions == []  # type: ignore[attr-defined]  # an extra field, kept


def test_responses_docs_example_reads_naturally(server: LocalHTTPServer) -> None:
    serve(server, exchange_of("older_api", "response_docs_example"))
    with openai_kit.OpenAI(api_key="k", base_url=server.base_url) as client:
        response = client.responses.create(model="gpt-4.1", input="story")
    assert response.output_text.startswith("In a peaceful grove")
    assert response.usage is not None
    assert response.usage.input_tokens_details.cached_tokens == 0
    assert response.usage.input_tokens_details.cache_write_tokens is None


# -- the rule, unit by unit ---------------------------------------------------------------------------------
CHAT: dict[str, Any] = {
    "id": "c1",
    "object": "chat.completion",
    "model": "m",
    "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "hi"}}],
}


def test_missing_required_fields_read_as_none_and_stay_unset() -> None:
    chat = parse_json(ChatCompletion, orjson.dumps(CHAT))
    assert type(chat) is ChatCompletion
    assert chat.created is None  # type: ignore[comparison-overlap]  # spec-required, not sent
    assert chat.choices[0].logprobs is None
    assert "created" not in chat.model_fields_set
    assert chat.model_dump()["created"] is None
    assert chat.to_dict() == CHAT  # only what was sent
    assert type(chat.choices[0].message).__name__ == "ChatCompletionMessage"  # the official class name


def test_null_where_the_spec_says_string_array_or_object_is_kept() -> None:
    body = {**CHAT, "id": None, "choices": None, "usage": {"prompt_tokens": None, "completion_tokens": 1}}
    chat = parse_json(ChatCompletion, orjson.dumps(body))
    assert chat.id is None and chat.choices is None  # type: ignore[comparison-overlap]
    assert chat.usage is not None and chat.usage.prompt_tokens is None  # type: ignore[comparison-overlap]
    assert chat.usage.completion_tokens == 1
    assert chat.model_fields_set >= {"id", "choices"}


def test_values_of_another_type_are_kept_as_sent_and_the_rest_stays_typed() -> None:
    body = {
        **CHAT,
        "created": "yesterday",
        "object": "chat.completion.v2",
        "choices": [*CHAT["choices"], "not a choice", None],
    }
    with pytest.warns(UserWarning, match="serialized value may not be as expected"):
        chat = parse_json(ChatCompletion, orjson.dumps(body))
        dumped = chat.model_dump(mode="json")
    assert chat.created == "yesterday"  # type: ignore[comparison-overlap]
    assert chat.object == "chat.completion.v2"  # type: ignore[comparison-overlap]
    first, odd, missing = chat.choices
    assert type(first).__name__ == "Choice" and first.message.content == "hi"
    assert odd == "not a choice" and missing is None  # type: ignore[comparison-overlap]
    assert dumped["created"] == "yesterday" and dumped["choices"][1] == "not a choice"


def test_extra_fields_unknown_enum_values_and_union_members_are_kept() -> None:
    chunk = parse_json(
        ChatCompletionChunk,
        orjson.dumps(
            {
                "id": "c",
                "object": "chat.completion.chunk",
                "created": 1,
                "model": "m",
                "choices": [{"index": 0, "delta": {"content": "x"}, "finish_reason": "eos_token"}],
                "timings": {"predicted_n": 3},
            }
        ),
    )
    assert chunk.choices[0].finish_reason == "eos_token"
    assert chunk.timings == {"predicted_n": 3}  # type: ignore[attr-defined]
    event = parse_json(
        ResponseStreamEvent, b'{"type": "response.brand_new", "sequence_number": 1, "payload": {"a": 1}}'
    )
    assert type(event).__name__ == "UnknownObject" and event.payload == {"a": 1}


def test_a_known_variant_missing_fields_is_still_that_variant() -> None:
    event = parse_json(ResponseStreamEvent, b'{"type": "response.output_text.delta", "delta": "Hi"}')
    assert type(event).__name__ == "ResponseTextDeltaEvent"
    assert event.delta == "Hi" and event.sequence_number is None  # type: ignore[union-attr]


def test_decoded_python_data_is_lenient_too() -> None:
    response = validate_python(Response, {"id": "r", "output": [{"type": "message", "content": []}]})
    assert type(response) is Response and response.created_at is None  # type: ignore[comparison-overlap]
    # the spec's OutputMessage, under the official SDK's name
    assert type(response.output[0]).__name__ == "ResponseOutputMessage"


def test_lenient_even_for_models_already_validated_strictly() -> None:
    """pydantic-core reuses a built model's own validator for nested models unless told otherwise."""
    from openai_kit._models import _lenient
    from openai_kit.types.chat import ChatCompletionChoice, ChatCompletionResponseMessage

    valid = {"role": "assistant", "content": "hi", "refusal": None}
    ChatCompletionResponseMessage.model_validate(valid)
    ChatCompletionChoice.model_validate(
        {"index": 0, "finish_reason": "stop", "logprobs": None, "message": valid}
    )
    assert ChatCompletionResponseMessage.__pydantic_complete__ and ChatCompletionChoice.__pydantic_complete__
    fresh = _lenient.__wrapped__(ChatCompletion)  # type: ignore[attr-defined]  # not the cached one
    chat = fresh.validate_json(orjson.dumps(CHAT))  # no refusal, no logprobs, no created
    assert chat.choices[0].message.refusal is None and chat.choices[0].logprobs is None
    assert ChatCompletionResponseMessage.__pydantic_complete__ and ChatCompletionChoice.__pydantic_complete__
    with pytest.raises(pydantic.ValidationError, match="refusal"):
        ChatCompletionResponseMessage.model_validate({"role": "assistant", "content": "hi"})  # still strict


def test_bodies_that_are_not_json_or_not_an_object_still_fail() -> None:
    for body in (b"[1, 2]", b'"text"', b'{"id": "c1", "obj'):
        with pytest.raises(pydantic.ValidationError):
            parse_json(ChatCompletion, body)


def test_a_body_valid_for_the_spec_parses_the_same_either_way() -> None:
    body = orjson.dumps(exchange_of("azure", "chat")["response"])
    lenient, strict = parse_json(ChatCompletion, body), parse_json(ChatCompletion, body, strict=True)
    assert lenient == strict
    assert lenient.model_fields_set == strict.model_fields_set


# -- strict validation, opt-in --------------------------------------------------------------------------------
@pytest.fixture
def deviating(server: LocalHTTPServer) -> Iterator[LocalHTTPServer]:
    """llama-cpp-python's chat and model list (also under the Azure path) and LiteLLM's chat stream."""
    for name in ("chat", "models"):
        ex = exchange_of("llama_cpp_python", name)
        serve(server, ex)
        serve(server, {**ex, "path": "/openai/deployments/d" + ex["path"][3:]})
    serve(server, {**exchange_of("litellm", "chat_stream"), "path": "/v1/chat/completions/stream"})
    yield server


STRICT_OPTIONS = [{"strict_response_validation": True}, {"_strict_response_validation": True}]
MESSAGES: Any = [{"role": "user", "content": "hi"}]


def azure_options(server: LocalHTTPServer) -> dict[str, Any]:
    return {
        "api_key": "k",
        "api_version": "2024-10-21",
        "azure_endpoint": f"http://127.0.0.1:{server.port}",
        "azure_deployment": "d",
        "max_retries": 0,
    }


@pytest.mark.parametrize("option", STRICT_OPTIONS, ids=["strict_response_validation", "_official_name"])
def test_strict_validation_is_an_opt_in_client_option(
    deviating: LocalHTTPServer, option: dict[str, bool]
) -> None:
    with openai_kit.OpenAI(api_key="k", base_url=deviating.base_url, max_retries=0, **option) as client:
        with pytest.raises(openai_kit.APIResponseValidationError, match="refusal") as info:
            client.chat.completions.create(model="m", messages=MESSAGES)
        assert info.value.status_code == 200
        with pytest.raises(openai_kit.APIResponseValidationError, match="created"):
            client.models.list()
        chunks = client.post("/chat/completions/stream", body={}, stream=True, stream_cls=ChatCompletionChunk)
        with pytest.raises(openai_kit.APIResponseValidationError, match="not a valid ChatCompletionChunk"):
            list(chunks)
        lenient = client.with_options(strict_response_validation=False)
        chat = lenient.chat.completions.create(model="m", messages=MESSAGES)
        assert chat.choices[0].message.refusal is None
    with (
        openai_kit.AzureOpenAI(**azure_options(deviating), **option) as azure,
        pytest.raises(openai_kit.APIResponseValidationError, match="refusal"),
    ):
        azure.chat.completions.create(model="d", messages=MESSAGES)


@pytest.mark.parametrize("option", STRICT_OPTIONS, ids=["strict_response_validation", "_official_name"])
async def test_strict_validation_async(deviating: LocalHTTPServer, option: dict[str, bool]) -> None:
    async with openai_kit.AsyncOpenAI(
        api_key="k", base_url=deviating.base_url, max_retries=0, **option
    ) as client:
        with pytest.raises(openai_kit.APIResponseValidationError, match="refusal"):
            await client.chat.completions.create(model="m", messages=MESSAGES)
        with pytest.raises(openai_kit.APIResponseValidationError, match="created"):
            await client.models.list()
        raw = await client.with_raw_response.models.list()
        with pytest.raises(openai_kit.APIResponseValidationError, match="created"):
            await raw.parse()
    async with openai_kit.AsyncAzureOpenAI(**azure_options(deviating), **option) as azure:
        with pytest.raises(openai_kit.APIResponseValidationError, match="refusal"):
            await azure.chat.completions.create(model="d", messages=MESSAGES)


def test_lenient_is_the_default(deviating: LocalHTTPServer) -> None:
    with openai_kit.OpenAI(api_key="k", base_url=deviating.base_url, max_retries=0) as client:
        assert [m.id for m in client.models.list()] == ["smollm2"]
        raw = client.with_raw_response.models.list()
        assert [m.id for m in raw.parse()] == ["smollm2"]
        chunks = client.post("/chat/completions/stream", body={}, stream=True, stream_cls=ChatCompletionChunk)
        assert "".join(c.choices[0].delta.content or "" for c in chunks) == "Hello! How can I help?"
    with openai_kit.AzureOpenAI(**azure_options(deviating)) as azure:
        chat = azure.chat.completions.create(model="d", messages=MESSAGES)
        assert chat.choices[0].message.content == "Hello! How can I help you today?"
