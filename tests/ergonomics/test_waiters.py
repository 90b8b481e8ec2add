"""``batches.poll`` / ``wait`` and ``fine_tuning.jobs.wait``: against the local server where it serves the
resource, and a real socket server in the test for fine-tuning jobs and the ``openai-poll-after-ms`` hint."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import openai_kit
from openai_kit.polling import PollCancelledError, PollFailedError, PollTimeoutError
from openai_kit.server.testing import run_server
from tests.core.httpserver import Conn, LocalHTTPServer, Req


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with run_server() as url:
        yield url


def _batch_file(client: openai_kit.OpenAI, tmp_path: Path, good: bool) -> str:
    line = {"custom_id": "a", "method": "POST", "url": "/v1/embeddings"}
    line["body"] = {"model": "hash-embedding", "input": "hi"} if good else "not an object"  # type: ignore[assignment]
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(line) + "\n")
    return client.files.create(file=path, purpose="batch").id


def test_batch_poll_and_wait(base_url: str, tmp_path: Path) -> None:
    client = openai_kit.OpenAI(api_key="k", base_url=base_url)
    good = client.batches.create(
        input_file_id=_batch_file(client, tmp_path, True), endpoint="/v1/embeddings", completion_window="24h"
    )
    done = client.batches.wait(good.id, interval=0.02, timeout=20)
    assert done.status == "completed" and done.id == good.id and done.output_file_id
    assert client.batches.poll(good.id, poll_interval_ms=20).status == "completed"

    bad = client.batches.create(
        input_file_id=_batch_file(client, tmp_path, False), endpoint="/v1/embeddings", completion_window="24h"
    )
    assert client.batches.poll(bad.id, poll_interval_ms=20).status == "failed"  # poll returns any outcome
    with pytest.raises(PollFailedError, match=f"batch {bad.id} ended 'failed': ") as info:
        client.batches.wait(bad.id, interval=0.02, timeout=20)
    assert info.value.obj.id == bad.id and info.value.obj.errors.data[0].message


async def test_async_batch_wait(base_url: str, tmp_path: Path) -> None:
    sync = openai_kit.OpenAI(api_key="k", base_url=base_url)
    file_id = _batch_file(sync, tmp_path, True)
    client = openai_kit.AsyncOpenAI(api_key="k", base_url=base_url)
    batch = await client.batches.create(
        input_file_id=file_id, endpoint="/v1/embeddings", completion_window="24h"
    )
    assert (await client.batches.wait(batch.id, interval=0.02, timeout=20)).status == "completed"
    assert (await client.batches.poll(batch.id, poll_interval_ms=20)).status == "completed"
    bad = await client.batches.create(
        input_file_id=_batch_file(sync, tmp_path, False), endpoint="/v1/embeddings", completion_window="24h"
    )
    with pytest.raises(PollFailedError) as info:
        await client.batches.wait(bad.id, interval=0.02, timeout=20)
    assert info.value.obj.status == "failed"
    await client.close()


# -- a scripted server: statuses in order, events that appear over time, the poll-after header -----------
def _job(status: str, error: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "id": "ftjob-1",
        "object": "fine_tuning.job",
        "created_at": 1,
        "error": error,
        "fine_tuned_model": None,
        "finished_at": None,
        "hyperparameters": {"n_epochs": 1},
        "model": "gpt-4o-mini",
        "organization_id": "org",
        "result_files": [],
        "status": status,
        "trained_tokens": None,
        "training_file": "file-1",
        "validation_file": None,
        "seed": 1,
    }


def _event(n: int) -> dict[str, Any]:
    return {
        "object": "fine_tuning.job.event",
        "id": f"ev{n}",
        "created_at": n,
        "level": "info",
        "message": f"step {n}",
    }


@pytest.fixture
def ft_server() -> Iterator[tuple[LocalHTTPServer, list[dict[str, Any]]]]:
    server = LocalHTTPServer()
    statuses: list[dict[str, Any]] = []
    polls = {"n": 0}

    @server.route("GET", "/v1/fine_tuning/jobs/ftjob-1")
    async def retrieve(req: Req, conn: Conn) -> None:
        polls["n"] += 1
        job = statuses[min(polls["n"], len(statuses)) - 1]
        await conn.json(job, headers={"openai-poll-after-ms": "30"})

    @server.route("GET", "/v1/fine_tuning/jobs/ftjob-1/events")
    async def events(req: Req, conn: Conn) -> None:
        # one more event per poll, newest first, two per page to make the waiter paginate
        upto = polls["n"] * 2
        after = req.query.get("after", [None])[0]
        items = [_event(n) for n in range(upto, 0, -1)]
        if after:
            items = items[[e["id"] for e in items].index(after) + 1 :]
        page = items[:2]
        await conn.json({"object": "list", "data": page, "has_more": len(items) > 2})

    yield server, statuses
    server.close()


def test_fine_tuning_wait_streams_events_and_honours_poll_after(
    ft_server: tuple[LocalHTTPServer, list[dict[str, Any]]],
) -> None:
    server, statuses = ft_server
    statuses[:] = [_job("running"), _job("running"), _job("succeeded")]
    client = openai_kit.OpenAI(api_key="k", base_url=server.base_url)
    got: list[str] = []
    started = time.monotonic()
    job = client.fine_tuning.jobs.wait(
        "ftjob-1", on_event=lambda e: got.append(e.message), interval=30, timeout=20
    )
    elapsed = time.monotonic() - started
    assert job.status == "succeeded"
    assert got == [f"step {n}" for n in range(1, 7)], "every event once, oldest first"
    # interval=30 s, but the server said 30 ms
    assert elapsed < 5


def test_fine_tuning_failure_and_timeout(ft_server: tuple[LocalHTTPServer, list[dict[str, Any]]]) -> None:
    server, statuses = ft_server
    statuses[:] = [
        _job("running"),
        _job("failed", {"code": "bad_file", "message": "line 3 is broken", "param": None}),
    ]
    client = openai_kit.OpenAI(api_key="k", base_url=server.base_url)
    with pytest.raises(PollFailedError, match="line 3 is broken") as info:
        client.fine_tuning.jobs.wait("ftjob-1", interval=0.01)
    assert info.value.obj.error.code == "bad_file"
    assert client.fine_tuning.jobs.wait("ftjob-1", raise_on_failure=False).status == "failed"
    statuses[:] = [_job("running")]
    with pytest.raises(PollTimeoutError) as timeout:
        client.fine_tuning.jobs.wait("ftjob-1", poll_interval_ms=10, timeout=0.2)
    assert timeout.value.obj.status == "running"


async def test_async_fine_tuning_wait(ft_server: tuple[LocalHTTPServer, list[dict[str, Any]]]) -> None:
    server, statuses = ft_server
    statuses[:] = [_job("running"), _job("cancelled")]
    client = openai_kit.AsyncOpenAI(api_key="k", base_url=server.base_url)
    got: list[str] = []

    async def on_event(event: Any) -> None:
        got.append(event.id)

    with pytest.raises(PollCancelledError, match=r"fine_tuning\.job ftjob-1 was cancelled"):
        await client.fine_tuning.jobs.wait("ftjob-1", on_event=on_event, interval=5, timeout=20)
    assert got == ["ev1", "ev2", "ev3", "ev4"]
    await client.close()


def test_bad_poll_interval_is_refused(base_url: str) -> None:
    client = openai_kit.OpenAI(api_key="k", base_url=base_url)
    with pytest.raises(ValueError, match="poll_interval_ms"):
        client.batches.wait("batch_x", poll_interval_ms=-5)


def test_fine_tuning_wait_against_the_local_server(base_url: str, tmp_path: Path) -> None:
    client = openai_kit.OpenAI(api_key="k", base_url=base_url)
    train = tmp_path / "train.jsonl"
    lines = [
        {"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": f"a{i}"}]}
        for i in range(10)
    ]
    train.write_text("".join(json.dumps(line) + "\n" for line in lines))
    job = client.fine_tuning.jobs.create(
        model="gpt-4o-mini", training_file=client.files.create(file=train, purpose="fine-tune").id
    )
    messages: list[str] = []
    done = client.fine_tuning.jobs.wait(
        job.id, on_event=lambda e: messages.append(e.message), interval=0.02, timeout=30
    )
    assert done.status == "succeeded" and done.fine_tuned_model
    assert messages[0].startswith("Created fine-tuning job") and len(messages) == len(set(messages))
    every = [e.message for e in client.fine_tuning.jobs.list_events(job.id)][::-1]
    assert messages == every, "each event once, oldest first"
