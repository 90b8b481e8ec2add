"""Embeddings (float, base64, dimensions, determinism, similarity) and moderations."""

from __future__ import annotations

import base64
import math
import struct

import openai
import pytest
from server_spec_check import sdk


def _cos(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=False)) / (
        math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    )


def test_embeddings_deterministic_and_related(client: openai.OpenAI) -> None:
    texts = [
        "The cat sat on the mat",
        "A cat was sitting on a mat",
        "Quarterly revenue grew 5 percent",
        "The cat sat on the mat",
    ]
    r = client.embeddings.create(model="hash-embedding", input=texts)
    vecs = [d.embedding for d in r.data]
    assert [d.index for d in r.data] == [0, 1, 2, 3]
    assert vecs[0] == vecs[3]
    assert _cos(vecs[0], vecs[1]) > _cos(vecs[0], vecs[2]) + 0.1
    assert r.usage.prompt_tokens > 0


def test_embeddings_dimensions_and_base64(client: openai.OpenAI) -> None:
    r = client.embeddings.create(model="hash-embedding", input="hello", dimensions=64)
    assert len(r.data[0].embedding) == 64
    # the official client asks for base64 by default and decodes it itself
    assert client.embeddings.create(model="hash-embedding", input="hello", dimensions=64).data[
        0
    ].embedding == (pytest.approx(r.data[0].embedding))
    floats = client.embeddings.create(
        model="hash-embedding", input="hello", dimensions=64, encoding_format="float"
    )
    raw = client.embeddings.with_raw_response.create(
        model="hash-embedding", input="hello", dimensions=64, encoding_format="base64"
    )
    encoded = raw.http_response.json()["data"][0]["embedding"]
    assert isinstance(encoded, str)
    decoded = list(struct.unpack("<64f", base64.b64decode(encoded)))
    assert decoded == pytest.approx(floats.data[0].embedding, abs=1e-6)
    with pytest.raises(sdk(client).BadRequestError) as info:
        client.embeddings.create(model="hash-embedding", input="x", dimensions=0)
    assert info.value.param == "dimensions"
    with pytest.raises(sdk(client).BadRequestError) as info:
        client.embeddings.create(model="echo", input="x")
    assert info.value.param == "model"


def test_moderations(client: openai.OpenAI) -> None:
    r = client.moderations.create(input=["have a nice day", "I will kill you, idiot"])
    first, second = r.results
    assert not first.flagged
    assert second.flagged and second.categories.violence and second.categories.harassment
    assert second.category_scores.violence > first.category_scores.violence
    r = client.moderations.create(model="keyword-moderation", input=[{"type": "text", "text": "gore"}])
    assert r.results[0].categories.violence_graphic
