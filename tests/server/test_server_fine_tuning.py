"""Fine-tuning: a job through every status to a usable, listable, deletable ``ft:`` model; training-file
validation; cancel; persistence across a restart."""

from __future__ import annotations

import io
import json
import time
import uuid
from pathlib import Path

import openai
import pytest
from server_spec_check import SpecChecker, make_client, sdk

from openai_kit.server.testing import run_server


def _training_file(client: openai.OpenAI, lines: list[object]) -> str:
    data = "\n".join(json.dumps(line) for line in lines).encode()
    return client.files.create(file=("train.jsonl", io.BytesIO(data)), purpose="fine-tune").id


def _examples(n: int = 12) -> list[object]:
    return [
        {
            "messages": [
                {"role": "system", "content": "You are terse."},
                {"role": "user", "content": f"Question {i}?"},
                {"role": "assistant", "content": f"Answer {i}."},
            ]
        }
        for i in range(n)
    ]


def _wait(
    client: openai.OpenAI, job_id: str, seen: list[str] | None = None
) -> openai.types.fine_tuning.FineTuningJob:
    deadline = time.monotonic() + 15
    while True:
        job = client.fine_tuning.jobs.retrieve(job_id)
        if seen is not None and (not seen or seen[-1] != job.status):
            seen.append(job.status)
        if job.status in ("succeeded", "failed", "cancelled"):
            return job
        assert time.monotonic() < deadline, f"job stuck in {job.status}"
        time.sleep(0.005)


def test_job_runs_to_a_model_that_chats_lists_and_deletes(client: openai.OpenAI) -> None:
    training = _training_file(client, _examples())
    validation = _training_file(client, _examples(10))
    team = uuid.uuid4().hex  # the server is shared by the tests of both clients
    job = client.fine_tuning.jobs.create(
        model="echo",
        training_file=training,
        validation_file=validation,
        suffix="demo",
        seed=7,
        metadata={"team": team},
        method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 2}}},
    )
    assert job.status == "validating_files" and job.fine_tuned_model is None
    seen = [job.status]
    done = _wait(client, job.id, seen)
    assert done.status == "succeeded", done.error
    assert seen[0] == "validating_files" and seen[-1] == "succeeded"
    assert set(seen) <= {"validating_files", "queued", "running", "succeeded"}
    assert done.fine_tuned_model is not None and done.fine_tuned_model.startswith("ft:echo:openai-kit:demo:")
    assert done.trained_tokens and done.trained_tokens > 0 and done.finished_at
    assert done.hyperparameters.n_epochs == 2 and done.hyperparameters.batch_size == 1

    events = list(client.fine_tuning.jobs.list_events(job.id, limit=100))
    messages = [e.message for e in events]
    assert messages[0] == "The job has successfully completed"  # newest first
    metrics = [e for e in events if e.type == "metrics"]
    assert metrics and all(e.data and "train_loss" in e.data and "valid_loss" in e.data for e in metrics)  # type: ignore[operator]
    losses = [e.data["train_loss"] for e in reversed(metrics)]  # type: ignore[index]
    assert losses[-1] < losses[0], "the loss goes down"
    checkpoints = list(client.fine_tuning.jobs.checkpoints.list(job.id))
    assert len(checkpoints) == 2 and checkpoints[0].step_number > checkpoints[1].step_number
    assert checkpoints[0].fine_tuned_model_checkpoint.startswith(done.fine_tuned_model)
    results = client.files.content(done.result_files[0]).read().decode()
    assert results.startswith("step,train_loss") and len(results.splitlines()) == 1 + len(metrics)

    model = done.fine_tuned_model
    assert model in [m.id for m in client.models.list()]
    assert client.models.retrieve(model).id == model
    reply = client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi tuned"}])
    assert reply.choices[0].message.content == "hi tuned" and reply.model == model
    assert [j.id for j in client.fine_tuning.jobs.list(metadata={"team": team})] == [job.id]
    deleted = client.models.delete(model)
    assert deleted.deleted and deleted.id == model
    assert model not in [m.id for m in client.models.list()]
    errors = sdk(client)
    with pytest.raises(errors.NotFoundError):
        client.chat.completions.create(model=model, messages=[{"role": "user", "content": "x"}])
    with pytest.raises(errors.PermissionDeniedError):
        client.models.delete("echo")
    with pytest.raises(errors.NotFoundError):
        client.models.delete("ft:nothing")


@pytest.mark.parametrize(
    ("lines", "needle"),
    [
        (_examples(3), "at least 10 examples"),
        ([*_examples(11), {"messages": [{"role": "user", "content": "no answer"}]}], "line 12"),
        ([*_examples(11), {"messages": [{"role": "robot", "content": "x"}]}], "invalid role"),
        ([*_examples(11), {"prompt": "x"}], "'messages'"),
    ],
)
def test_bad_training_files_fail_the_job_with_the_line(
    client: openai.OpenAI, lines: list[object], needle: str
) -> None:
    job = client.fine_tuning.jobs.create(model="echo", training_file=_training_file(client, lines))
    done = _wait(client, job.id)
    assert done.status == "failed" and done.error is not None
    assert done.error.code == "invalid_training_file" and done.error.param == "training_file"
    assert needle in done.error.message
    assert done.fine_tuned_model is None


def test_bad_job_requests_are_refused(client: openai.OpenAI) -> None:
    errors = sdk(client)
    with pytest.raises(errors.BadRequestError) as info:
        client.fine_tuning.jobs.create(model="echo", training_file="file-missing")
    assert "file-missing" in str(info.value)
    other = client.files.create(file=("x.txt", io.BytesIO(b"x")), purpose="assistants")
    with pytest.raises(errors.BadRequestError) as info:
        client.fine_tuning.jobs.create(model="echo", training_file=other.id)
    assert "fine-tune" in str(info.value)
    with pytest.raises(errors.BadRequestError):
        client.fine_tuning.jobs.create(
            model="echo", training_file=_training_file(client, _examples()), hyperparameters={"n_epochs": 0}
        )
    with pytest.raises(errors.NotFoundError):
        client.fine_tuning.jobs.retrieve("ftjob-missing")


def test_cancel_and_restart(tmp_path: Path, checked: SpecChecker) -> None:
    with run_server(data_dir=tmp_path / "state", work_delay=0.3) as url:
        client = make_client(url, checked)
        training = _training_file(client, _examples())
        slow = client.fine_tuning.jobs.create(model="tool-caller", training_file=training)
        cancelled = client.fine_tuning.jobs.cancel(slow.id)
        assert cancelled.status == "cancelled"
        with pytest.raises(openai.BadRequestError):
            client.fine_tuning.jobs.cancel(slow.id)
        unfinished = client.fine_tuning.jobs.create(model="tool-caller", training_file=training)
        client.close()
    with run_server(data_dir=tmp_path / "state", work_delay=0.0) as url:
        client = make_client(url, checked)
        assert client.fine_tuning.jobs.retrieve(slow.id).status == "cancelled"
        done = _wait(client, unfinished.id)
        assert done.status == "succeeded" and done.fine_tuned_model
        client.close()
    with run_server(data_dir=tmp_path / "state") as url:
        client = make_client(url, checked)
        assert done.fine_tuned_model in [m.id for m in client.models.list()]
        tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
        reply = client.chat.completions.create(
            model=done.fine_tuned_model,
            messages=[{"role": "user", "content": "x"}],
            tools=tools,  # type: ignore[list-item]
        )
        assert reply.choices[0].message.tool_calls, "a model tuned from tool-caller calls tools"
        client.close()
