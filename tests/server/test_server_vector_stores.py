"""Vector stores: files (chunked and embedded), file batches, attribute filters and search ranking."""

from __future__ import annotations

import openai
import pytest
from server_spec_check import sdk

DOCS = {
    "cats.txt": "Cats are small domesticated felines. A cat likes to sleep, purr and chase mice.",
    "finance.txt": "Quarterly revenue grew by five percent while operating costs and interest rates fell.",
    "rockets.txt": "The rocket engine burns liquid oxygen and kerosene to reach orbit around the planet.",
}


def test_vector_store_search_ranks_relevant_file_first(client: openai.OpenAI) -> None:
    files = {
        name: client.files.create(file=(name, text.encode()), purpose="assistants")
        for name, text in DOCS.items()
    }
    store = client.vector_stores.create(name="kb", file_ids=[files["cats.txt"].id])
    assert store.file_counts.completed == 1 and store.status == "completed"
    vs_file = client.vector_stores.files.create(
        vector_store_id=store.id, file_id=files["finance.txt"].id, attributes={"topic": "money", "year": 2024}
    )
    assert vs_file.status == "completed" and vs_file.attributes == {"topic": "money", "year": 2024}
    batch = client.vector_stores.file_batches.create(
        vector_store_id=store.id, file_ids=[files["rockets.txt"].id]
    )
    assert batch.status == "completed" and batch.file_counts.total == 1
    assert [
        f.id for f in client.vector_stores.file_batches.list_files(batch.id, vector_store_id=store.id)
    ] == [files["rockets.txt"].id]
    assert client.vector_stores.file_batches.retrieve(batch.id, vector_store_id=store.id).id == batch.id
    assert {f.id for f in client.vector_stores.files.list(store.id)} == {f.id for f in files.values()}
    assert client.vector_stores.retrieve(store.id).file_counts.total == 3

    for query, expected in [
        ("my cat purrs and sleeps", "cats.txt"),
        ("revenue and costs", "finance.txt"),
        ("rocket engine orbit", "rockets.txt"),
    ]:
        results = list(client.vector_stores.search(store.id, query=query))
        assert results[0].filename == expected, (query, [(r.filename, r.score) for r in results])
        scores = [r.score for r in results]
        assert scores == sorted(scores, reverse=True) and scores[0] > scores[-1]

    filtered = list(
        client.vector_stores.search(
            store.id, query="cat", filters={"type": "eq", "key": "topic", "value": "money"}
        )
    )
    assert [r.filename for r in filtered] == ["finance.txt"]
    top1 = list(client.vector_stores.search(store.id, query="cat", max_num_results=1))
    assert len(top1) == 1

    content = list(client.vector_stores.files.content(files["cats.txt"].id, vector_store_id=store.id))
    assert "felines" in content[0].text
    updated = client.vector_stores.files.update(
        files["finance.txt"].id, vector_store_id=store.id, attributes={"topic": "econ"}
    )
    assert updated.attributes == {"topic": "econ"}
    assert client.vector_stores.files.delete(files["rockets.txt"].id, vector_store_id=store.id).deleted
    assert client.vector_stores.update(store.id, name="renamed").name == "renamed"
    assert store.id in [s.id for s in client.vector_stores.list()]
    assert client.vector_stores.delete(store.id).deleted
    with pytest.raises(sdk(client).NotFoundError) as info:
        client.vector_stores.retrieve(store.id)
    assert info.value.param == "vector_store_id"


def test_chunking_strategy_validation(client: openai.OpenAI) -> None:
    with pytest.raises(sdk(client).BadRequestError) as info:
        client.vector_stores.create(
            chunking_strategy={
                "type": "static",
                "static": {"max_chunk_size_tokens": 100, "chunk_overlap_tokens": 80},
            }
        )
    assert info.value.param == "chunking_strategy.static.chunk_overlap_tokens"
