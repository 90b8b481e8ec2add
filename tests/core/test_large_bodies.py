"""Large bodies (``_large_json``): parsed in two steps to save memory, with the same result as the usual
lenient parse of the whole document."""

from __future__ import annotations

import datetime
from typing import Any

import orjson
import pydantic
import pytest

import openai_kit
from openai_kit._large_json import LARGE, _vector_validator, parse_large, plain_json
from openai_kit._models import BaseModel, parse_json
from openai_kit.types.chat import ChatCompletion
from openai_kit.types.embeddings import CreateEmbeddingResponse
from openai_kit.types.responses import Response

from .httpserver import Conn, LocalHTTPServer, Req
from .test_lenient import EXCHANGES, afetch, fetch, make_client, serve

PAD = "p" * LARGE  # an extra field that makes any body large


def embeddings_body(vectors: list[Any]) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)],
        "model": "m",
        "usage": {"prompt_tokens": 1, "total_tokens": 1},
    }


def typed_tree(value: Any) -> Any:
    """A value with each model replaced by (class name, its fields' trees): equal trees = same result."""
    if isinstance(value, pydantic.BaseModel):
        data = {k: typed_tree(v) for k, v in value.__dict__.items()}
        data.update({k: typed_tree(v) for k, v in (value.model_extra or {}).items() if k != "x_padding"})
        return (type(value).__name__, data, sorted(value.model_fields_set - {"x_padding"}))
    if isinstance(value, list):
        return [typed_tree(v) for v in value]
    if isinstance(value, dict):
        return {k: typed_tree(v) for k, v in value.items()}
    return (type(value).__name__, value)


def assert_same_as_usual(tp: Any, body: dict[str, Any]) -> Any:
    small = orjson.dumps(body)
    large = orjson.dumps({**body, "x_padding": PAD})
    assert len(large) >= LARGE
    expected = parse_json(tp, small)
    got = parse_large(tp, large)
    assert typed_tree(got) == typed_tree(expected)
    assert got.x_padding == PAD
    return got


def test_float_vectors_are_kept_as_parsed_and_match_the_usual_parse() -> None:
    vectors = [[0.5 * i, -1.25, 3.0e-5] for i in range(5)]
    got = assert_same_as_usual(CreateEmbeddingResponse, embeddings_body(vectors))
    assert [item.embedding for item in got.data] == vectors
    assert all(type(x) is float for item in got.data for x in item.embedding)


@pytest.mark.parametrize(
    "odd",
    [
        [1, 2.0, 3],  # integers become floats, as in the usual parse
        ["x", 1.0],  # a string: kept as sent
        [0.5, "1.5"],
        "AAAAAA==",  # base64
        None,
        [],
        {"not": "a list"},
    ],
)
def test_odd_vectors_read_as_in_the_usual_parse(odd: Any) -> None:
    assert_same_as_usual(CreateEmbeddingResponse, embeddings_body([[0.25, 0.5], odd]))


def test_a_vector_is_checked_at_its_ends_only() -> None:
    """The documented difference: an integer between float ends stays an integer (equal value; the
    official SDK, which does not validate, keeps it too); the usual parse makes it a float."""
    body = orjson.dumps({**embeddings_body([[0.5, 2, 0.25]]), "x_padding": PAD})
    got = parse_large(CreateEmbeddingResponse, body)
    assert got.data[0].embedding == [0.5, 2.0, 0.25]
    assert [type(x) for x in got.data[0].embedding] == [float, int, float]


def test_lenient_values_of_other_types_and_missing_fields() -> None:
    chat = {
        "id": None,
        "created": "yesterday",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}}, "odd", None],
        "usage": {"prompt_tokens": "many"},
    }
    got = assert_same_as_usual(ChatCompletion, chat)
    assert got.created == "yesterday" and got.choices[1] == "odd"
    assert_same_as_usual(Response, {"id": "r", "output": [{"type": "message", "content": []}], "x": [1, 2]})


def test_types_with_values_read_from_strings_keep_the_usual_parse() -> None:
    class Stamped(BaseModel):
        at: datetime.datetime | str
        values: list[float]

    assert not plain_json(Stamped)
    assert plain_json(CreateEmbeddingResponse) and plain_json(ChatCompletion) and plain_json(Response)
    # only types holding float lists take the two-step path (for many small objects it costs more CPU)
    assert _vector_validator(CreateEmbeddingResponse) is not None
    assert _vector_validator(ChatCompletion) is None and _vector_validator(Stamped) is not None
    got = assert_same_as_usual(Stamped, {"at": "2024-01-02T03:04:05Z", "values": [1.5]})
    assert isinstance(got.at, datetime.datetime)


def test_a_large_body_that_is_not_json_is_a_clear_error(server: LocalHTTPServer) -> None:
    @server.route("POST", "/v1/embeddings")
    async def answer(req: Req, conn: Conn) -> None:
        await conn.respond(200, b'{"data": [' + b"1.5, " * (LARGE // 4) + b"oops")

    client = openai_kit.OpenAI(api_key="k", base_url=server.base_url, max_retries=0)
    with pytest.raises(openai_kit.APIResponseValidationError, match="not valid JSON"):
        client.embeddings.create(model="m", input="x", encoding_format="float")


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_large_embeddings_over_a_socket(server: LocalHTTPServer, asynchronous: bool) -> None:
    vectors = [[(i * 7 + j) / 997.0 - 0.5 for j in range(1536)] for i in range(256)]
    body = orjson.dumps(embeddings_body(vectors))
    assert len(body) >= LARGE

    @server.route("POST", "/v1/embeddings")
    async def answer(req: Req, conn: Conn) -> None:
        await conn.respond(200, body)

    if asynchronous:
        aclient = openai_kit.AsyncOpenAI(api_key="k", base_url=server.base_url, max_retries=0)
        result = await aclient.embeddings.create(model="m", input="x", encoding_format="float")
        await aclient.close()
    else:
        client = openai_kit.OpenAI(api_key="k", base_url=server.base_url, max_retries=0)
        result = client.embeddings.create(model="m", input="x", encoding_format="float")
        client.close()
    assert type(result) is CreateEmbeddingResponse
    assert [item.embedding for item in result.data] == vectors
    assert result.usage.total_tokens == 1


OBJECT_BODIES = [p for p in EXCHANGES if isinstance(p.values[1].get("response"), dict)]  # type: ignore[union-attr]


@pytest.mark.parametrize(("source", "exchange"), OBJECT_BODIES)
def test_recorded_bodies_made_large_read_as_usual(
    server: LocalHTTPServer, source: str, exchange: dict[str, Any]
) -> None:
    serve(server, exchange)
    client = make_client(openai_kit, source, server, asynchronous=False)
    usual = fetch(client, exchange)
    serve(server, {**exchange, "response": {**exchange["response"], "x_padding": PAD}})
    large = fetch(client, exchange)
    assert [typed_tree(x) for x in large] == [typed_tree(x) for x in usual]


async def test_recorded_body_made_large_async(server: LocalHTTPServer) -> None:
    source, exchange = OBJECT_BODIES[0].values
    serve(server, {**exchange, "response": {**exchange["response"], "x_padding": PAD}})
    client = make_client(openai_kit, source, server, asynchronous=True)
    large = await afetch(client, exchange)
    assert large and all(getattr(x, "x_padding", PAD) == PAD for x in large)
