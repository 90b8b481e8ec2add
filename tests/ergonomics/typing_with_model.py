"""Type-checked by test_with_model.py: with a default-model view, ``model`` is optional and results typed."""

from __future__ import annotations

import openai_kit
from openai_kit.types.chat import ChatCompletion
from openai_kit.types.embeddings import CreateEmbeddingResponse


def sync_usage(client: openai_kit.OpenAI) -> None:
    gpt = client.with_model("gpt-4o")
    completion: ChatCompletion = gpt.chat.completions.create(messages=[{"role": "user", "content": "hi"}])
    other: ChatCompletion = gpt.chat.completions.create(model="o3", messages=[])
    vectors: CreateEmbeddingResponse = client.embeddings.with_model("e").create(input="x")
    per_area: ChatCompletion = client.chat.with_model("gpt-4o").completions.create(messages=[])
    del completion, other, vectors, per_area


async def async_usage(client: openai_kit.AsyncOpenAI) -> None:
    completion: ChatCompletion = await client.with_model("gpt-4o").chat.completions.create(messages=[])
    del completion


def still_required(client: openai_kit.OpenAI) -> None:
    client.chat.completions.create(messages=[])  # MUST-FAIL: the plain client still needs a model
