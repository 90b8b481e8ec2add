"""Conveniences on returned objects: an object fetched by a client calls the API through that client;
one built by hand raises a clear error; the models stay plain data (equality, ``model_dump``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import openai_kit
from openai_kit._bound import BatchResult, UnboundObjectError
from openai_kit.server.testing import run_server
from openai_kit.types.batches import Batch


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with run_server() as url:
        yield url


def _batch_input(tmp_path: Path, n: int = 4) -> Path:
    path = tmp_path / "input.jsonl"
    lines = []
    for i in range(n):
        body = {"model": "echo", "messages": [{"role": "user", "content": f"hello {i}"}]}
        lines.append(
            json.dumps(
                {"custom_id": f"req-{i}", "method": "POST", "url": "/v1/chat/completions", "body": body}
            )
        )
    # one request the server refuses, so the batch has an error file too
    bad = {"model": "ft:no-such-model", "messages": [{"role": "user", "content": "x"}]}
    lines.append(
        json.dumps({"custom_id": "req-bad", "method": "POST", "url": "/v1/chat/completions", "body": bad})
    )
    path.write_text("\n".join(lines) + "\n")
    return path


def test_batch_wait_and_results_in_input_order(base_url: str, tmp_path: Path) -> None:
    client = openai_kit.OpenAI(api_key="k", base_url=base_url)
    uploaded = client.files.create(file=_batch_input(tmp_path), purpose="batch")
    batch = client.batches.create(
        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    done = batch.wait(interval=0.02, timeout=20)
    assert done.status == "completed"
    results = list(done.results())
    assert all(isinstance(r, BatchResult) for r in results)
    assert [r.custom_id for r in results] == ["req-0", "req-1", "req-2", "req-3", "req-bad"]
    assert results[2].response is not None and results[2].response.status_code == 200
    assert results[2].response.body["choices"][0]["message"]["content"] == "hello 2"
    assert results[-1].response is not None and results[-1].response.status_code == 404
    # still the plain data model
    assert done == Batch.model_validate(done.model_dump()) and "wait" not in done.model_dump()
    # an object parsed from a raw response calls through the plain client
    raw = client.with_raw_response.batches.retrieve(batch.id).parse()
    assert raw.wait(timeout=5).status == "completed"


def test_hand_built_and_copied_objects_raise_a_clear_error(base_url: str) -> None:
    client = openai_kit.OpenAI(api_key="k", base_url=base_url)
    data = {
        "id": "batch_1",
        "object": "batch",
        "endpoint": "/v1/chat/completions",
        "input_file_id": "f",
        "completion_window": "24h",
        "status": "completed",
        "created_at": 1,
    }
    with pytest.raises(UnboundObjectError, match="not fetched through a client"):
        Batch.model_validate(data).wait()
    fetched = client.files.create(file=("a.txt", b"abc"), purpose="assistants")
    with pytest.raises(UnboundObjectError):
        fetched.model_copy().download()


def test_file_download_and_page_items(base_url: str, tmp_path: Path) -> None:
    client = openai_kit.OpenAI(api_key="k", base_url=base_url)
    uploaded = client.files.create(file=("notes.txt", b"some notes"), purpose="assistants")
    assert uploaded.download(tmp_path).read_bytes() == b"some notes"
    assert (tmp_path / "notes.txt").exists()
    listed = next(f for f in client.files.list() if f.id == uploaded.id)
    assert listed.download(tmp_path / "copy.txt").read_bytes() == b"some notes"
    retrieved = client.files.retrieve(uploaded.id)
    assert retrieved == uploaded  # equality ignores the client


def test_vector_store_search(base_url: str) -> None:
    client = openai_kit.OpenAI(api_key="k", base_url=base_url)
    f = client.files.create(file=("cats.txt", b"Cats purr when they are happy."), purpose="assistants")
    store = client.vector_stores.create(name="pets", file_ids=[f.id])
    client.vector_stores.files.poll(f.id, vector_store_id=store.id, poll_interval_ms=20)
    hits = list(store.search("why do cats purr"))
    assert hits and hits[0].file_id == f.id


def test_thread_and_run_conveniences(base_url: str) -> None:
    client = openai_kit.OpenAI(api_key="k", base_url=base_url)
    weather = {
        "type": "function",
        "function": {
            "name": "weather",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
    assistant = client.beta.assistants.create(model="tool-caller", tools=[weather])  # type: ignore[list-item]
    thread = client.beta.threads.create()
    message = thread.create_message("Weather in Oslo?")
    assert message.thread_id == thread.id and message.role == "user"
    run = thread.run(assistant_id=assistant.id, poll_interval_ms=20)
    assert run.status == "requires_action"
    call = run.required_action.submit_tool_outputs.tool_calls[0]  # type: ignore[union-attr]
    submitted = run.submit_tool_outputs([{"tool_call_id": call.id, "output": "sunny"}])
    assert submitted.wait(poll_interval_ms=20).status == "completed"
    answer = next(iter(client.beta.threads.messages.list(thread.id, order="desc")))
    assert "sunny" in answer.content[0].text.value  # type: ignore[union-attr]


async def test_async_conveniences(base_url: str, tmp_path: Path) -> None:
    client = openai_kit.AsyncOpenAI(api_key="k", base_url=base_url)
    uploaded = await client.files.create(file=_batch_input(tmp_path, 2), purpose="batch")
    batch = await client.batches.create(
        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    with pytest.raises(UnboundObjectError, match="'a'-prefixed"):
        batch.wait()
    done = await batch.await_(interval=0.02, timeout=20)
    assert [r.custom_id async for r in done.aresults()] == ["req-0", "req-1", "req-bad"]
    path = await uploaded.adownload(tmp_path / "copy.jsonl")
    assert path.read_bytes() == (tmp_path / "input.jsonl").read_bytes()
    thread = await client.beta.threads.create()
    assert (await thread.acreate_message("hi")).thread_id == thread.id
    sync_file = openai_kit.OpenAI(api_key="k", base_url=base_url).files.retrieve(uploaded.id)
    with pytest.raises(UnboundObjectError, match="drop the 'a' prefix"):
        await sync_file.adownload(tmp_path)
    await client.close()


def test_binding_from_many_threads_at_once(base_url: str) -> None:
    import threading

    from openai_kit import _bound

    client = openai_kit.OpenAI(api_key="k", base_url=base_url)
    raw = {"id": "b", "object": "batch", "endpoint": "/v1/x", "input_file_id": "f"}
    raw.update(completion_window="24h", status="completed", created_at=1)
    errors: list[BaseException] = []

    def churn() -> None:
        try:
            for _ in range(5000):
                _bound.bind(Batch.model_validate(raw), client)  # bound, then dropped at once
        except BaseException as exc:  # pragma: no cover - what the test looks for
            errors.append(exc)

    threads = [threading.Thread(target=churn) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [], "sweeping the table while other threads bind must not fail"
    kept = _bound.bind(Batch.model_validate(raw), client)
    assert kept._kit_client() is client
