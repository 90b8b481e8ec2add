"""Real model names against the local server: default built-ins per kind, ``model_map`` overrides,
``/v1/models`` listing, and replies naming the requested model. Every test runs with both clients."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest
from server_spec_check import SpecChecker, make_client, sdk

from openai_kit.server.models import ModelMapError, parse_model_map
from openai_kit.server.testing import run_server

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


@pytest.mark.parametrize("model", ["gpt-4o-mini", "gpt-4.1", "o4-mini", "o1", "chatgpt-4o-latest", "my-llm"])
def test_chat_names_answer_with_echo_and_name_the_requested_model(client: openai.OpenAI, model: str) -> None:
    r = client.chat.completions.create(model=model, messages=[{"role": "user", "content": "Hi there"}])
    assert r.model == model
    assert r.choices[0].message.content == "Hi there"
    chunks = list(
        client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "abc"}], stream=True
        )
    )
    assert {c.model for c in chunks} == {model}
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "abc"


def test_responses_with_a_real_name(client: openai.OpenAI) -> None:
    r = client.responses.create(model="gpt-4.1", input="Tell me")
    assert r.model == "gpt-4.1"
    assert r.output_text == "Tell me"


def test_embeddings_and_moderations_with_real_names(client: openai.OpenAI) -> None:
    e = client.embeddings.create(model="text-embedding-3-small", input=["a b", "a b"])
    assert e.model == "text-embedding-3-small"
    assert e.data[0].embedding == e.data[1].embedding
    m = client.moderations.create(model="omni-moderation-latest", input="I will kill you")
    assert m.model == "omni-moderation-latest"
    assert m.results[0].flagged


def test_names_of_the_wrong_kind_or_without_a_builtin(client: openai.OpenAI) -> None:
    with pytest.raises(sdk(client).BadRequestError) as bad:
        client.embeddings.create(model="gpt-4o", input="x")
    assert bad.value.param == "model" and "chat model" in str(bad.value)
    with pytest.raises(sdk(client).BadRequestError):
        client.chat.completions.create(
            model="text-embedding-3-small", messages=[{"role": "user", "content": "x"}]
        )
    for name in ("tts-1", "whisper-1", "gpt-image-1", "dall-e-3"):  # served, but by other endpoints
        with pytest.raises(sdk(client).BadRequestError) as wrong:
            client.chat.completions.create(model=name, messages=[{"role": "user", "content": "x"}])
        assert name in str(wrong.value) and wrong.value.code == "invalid_model"
    with pytest.raises(sdk(client).NotFoundError) as unknown:
        client.embeddings.create(model="my-embedder", input="x")
    assert "my-embedder" in str(unknown.value)


def test_models_list_shows_real_names_and_retrieve_resolves_them(client: openai.OpenAI) -> None:
    ids = {m.id for m in client.models.list()}
    assert {
        "echo",
        "hash-embedding",
        "gpt-4o-mini",
        "text-embedding-3-small",
        "omni-moderation-latest",
    } <= ids
    assert client.models.retrieve("gpt-4o-mini").id == "gpt-4o-mini"
    assert client.models.retrieve("gpt-5.5-pro").id == "gpt-5.5-pro"  # any gpt-* name
    assert client.models.retrieve("text-embedding-ada-002").id == "text-embedding-ada-002"
    assert client.models.retrieve("tts-1").id == "tts-1"  # the local speech model answers for it
    assert {"tts-1", "whisper-1", "gpt-image-1", "local-speech"} <= ids
    with pytest.raises(sdk(client).NotFoundError):
        client.models.retrieve("nothing-like-a-model")


@pytest.fixture(scope="module")
def mapped_url() -> Iterator[str]:
    with run_server(model_map={"gpt-4o": "tool-caller", "my-embedder": "hash-embedding"}) as url:
        yield url


@pytest.mark.parametrize("kit", [False, True], ids=["openai", "openai_kit"])
def test_model_map_overrides(mapped_url: str, checked: SpecChecker, kit: bool) -> None:
    client = make_client(mapped_url, checked, kit=kit)
    try:
        r = client.chat.completions.create(
            model="gpt-4o",
            messages=[{"role": "user", "content": "Weather in Paris?"}],
            tools=[WEATHER_TOOL],  # type: ignore[list-item]
        )
        assert r.model == "gpt-4o"
        calls = r.choices[0].message.tool_calls
        assert calls and calls[0].function.name == "get_weather"  # type: ignore[union-attr]
        # other names keep their defaults
        plain = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}]
        )
        assert plain.choices[0].message.content == "x" and not plain.choices[0].message.tool_calls
        assert client.embeddings.create(model="my-embedder", input="x").model == "my-embedder"
        ids = [m.id for m in client.models.list()]
        assert "gpt-4o" in ids and "my-embedder" in ids and len(ids) == len(set(ids))
        assert client.models.retrieve("my-embedder").id == "my-embedder"
    finally:
        client.close()


def test_model_map_errors() -> None:
    with (
        pytest.raises(ModelMapError, match="no-such-builtin"),
        run_server(model_map={"x": "no-such-builtin"}),
    ):
        pass
    assert parse_model_map(["a=echo", " b = tool-caller "]) == {"a": "echo", "b": "tool-caller"}
    with pytest.raises(ValueError, match="NAME=BUILTIN"):
        parse_model_map(["gpt-4o"])
