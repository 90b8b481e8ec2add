"""Evals: an eval's runs sample the model, grade every row with the testing criteria and report counts and
output items; cancel, delete, bad input and persistence across a restart."""

from __future__ import annotations

import io
import json
import time
import uuid
from pathlib import Path
from typing import Any

import openai
import pytest
from server_spec_check import SpecChecker, make_client, sdk

from openai_kit.server.testing import run_server

ITEM_SCHEMA = {
    "type": "object",
    "properties": {"question": {"type": "string"}, "answer": {"type": "string"}, "grade": {"type": "string"}},
    "required": ["question", "answer"],
}
CRITERIA: list[Any] = [
    {
        "type": "string_check",
        "name": "exact",
        "input": "{{sample.output_text}}",
        "reference": "{{item.answer}}",
        "operation": "eq",
    },
    {
        "type": "text_similarity",
        "name": "overlap",
        "input": "{{sample.output_text}}",
        "reference": "{{item.answer}}",
        "evaluation_metric": "rouge_1",
        "pass_threshold": 0.5,
    },
    {
        "type": "score_model",
        "name": "judge",
        "model": "gpt-4o-mini",
        "input": [
            {"role": "system", "content": "Score 0-10."},
            {"role": "user", "content": "{{item.grade}}"},
        ],
        "range": [0, 10],
        "pass_threshold": 5,
    },
]
ROWS = [
    {"item": {"question": "Paris", "answer": "Paris", "grade": "9"}},
    {"item": {"question": "Lyon is big", "answer": "Lyon", "grade": "7"}},
    {"item": {"question": "Rome", "answer": "Madrid", "grade": "2"}},
]


def _eval(client: openai.OpenAI, criteria: list[Any] | None = None, **kw: Any) -> Any:
    return client.evals.create(
        name=kw.pop("name", "capitals"),
        data_source_config={"type": "custom", "item_schema": ITEM_SCHEMA, "include_sample_schema": True},
        testing_criteria=criteria or CRITERIA,
        **kw,
    )


def _wait(client: openai.OpenAI, eval_id: str, run_id: str, seen: list[str] | None = None) -> Any:
    deadline = time.monotonic() + 15
    while True:
        run = client.evals.runs.retrieve(run_id, eval_id=eval_id)
        if seen is not None and (not seen or seen[-1] != run.status):
            seen.append(run.status)
        if run.status in ("completed", "failed", "canceled"):
            return run
        assert time.monotonic() < deadline, f"run stuck in {run.status}"
        time.sleep(0.005)


def _completions(rows: list[Any]) -> Any:
    return {
        "type": "completions",
        "model": "gpt-4o-mini",
        "input_messages": {
            "type": "template",
            "template": [{"role": "user", "content": "{{item.question}}"}],
        },
        "source": {"type": "file_content", "content": rows},
    }


def test_eval_crud_and_a_completions_run_graded_row_by_row(client: openai.OpenAI) -> None:
    ev = _eval(client, metadata={"team": "geo"})
    assert ev.object == "eval" and ev.name == "capitals" and ev.metadata == {"team": "geo"}
    assert ev.data_source_config.type == "custom"
    schema = ev.data_source_config.schema_  # type: ignore[union-attr]
    assert schema["properties"]["item"] == ITEM_SCHEMA and "sample" in schema["required"]
    assert [c.name for c in ev.testing_criteria] == ["exact", "overlap", "judge"]
    assert client.evals.retrieve(ev.id).id == ev.id
    renamed = client.evals.update(ev.id, name="capitals v2", metadata={"team": "maps"})
    assert renamed.name == "capitals v2" and renamed.metadata == {"team": "maps"}
    assert ev.id in [e.id for e in client.evals.list(limit=100, order="desc")]

    run = client.evals.runs.create(ev.id, name="first", data_source=_completions(ROWS), metadata={"k": "v"})
    assert run.status == "queued" and run.eval_id == ev.id and run.model == "gpt-4o-mini"
    assert run.report_url.endswith(f"/evals/{ev.id}/runs/{run.id}")
    seen = [run.status]
    done = _wait(client, ev.id, run.id, seen)
    assert done.status == "completed", done.error
    assert set(seen) <= {"queued", "in_progress", "completed"}
    # echo answers the question: row 0 matches exactly, row 1 overlaps half, row 2 is wrong
    assert (done.result_counts.total, done.result_counts.passed, done.result_counts.failed) == (3, 1, 2)
    assert done.result_counts.errored == 0
    per = {r.testing_criteria: (r.passed, r.failed) for r in done.per_testing_criteria_results}
    assert per == {"exact": (1, 2), "overlap": (2, 1), "judge": (2, 1)}
    usage = {u.model_name: u for u in done.per_model_usage}
    assert usage["gpt-4o-mini"].invocation_count == 6  # 3 samples + 3 judge calls
    assert usage["gpt-4o-mini"].total_tokens > 0

    items = list(client.evals.runs.output_items.list(run.id, eval_id=ev.id, order="asc"))
    assert [i.datasource_item_id for i in items] == [0, 1, 2]
    assert [i.status for i in items] == ["pass", "fail", "fail"]
    first = items[0]
    assert first.sample.output[0].content == "Paris" and first.sample.input[0].content == "Paris"
    scores = {r.name: r.score for r in items[1].results}
    assert scores["exact"] == 0.0 and scores["overlap"] == pytest.approx(0.5)  # P 1/3, R 1
    assert scores["judge"] == 7.0
    failing = list(client.evals.runs.output_items.list(run.id, eval_id=ev.id, status="fail"))
    assert [i.id for i in failing] == [i.id for i in items if i.status == "fail"]
    got = client.evals.runs.output_items.retrieve(first.id, eval_id=ev.id, run_id=run.id)
    assert got.datasource_item == ROWS[0]["item"]
    assert [r.id for r in client.evals.runs.list(ev.id, status="completed")] == [run.id]

    errors = sdk(client)
    with pytest.raises(errors.BadRequestError) as bad:
        client.evals.runs.cancel(run.id, eval_id=ev.id)
    assert bad.value.status_code == 400
    deleted = client.evals.runs.delete(run.id, eval_id=ev.id)
    assert deleted.deleted and deleted.run_id == run.id
    with pytest.raises(errors.NotFoundError):
        client.evals.runs.retrieve(run.id, eval_id=ev.id)
    with pytest.raises(errors.NotFoundError):
        client.evals.runs.output_items.retrieve(first.id, eval_id=ev.id, run_id=run.id)
    gone = client.evals.delete(ev.id)
    assert gone.deleted and gone.eval_id == ev.id
    with pytest.raises(errors.NotFoundError) as missing:
        client.evals.retrieve(ev.id)
    assert missing.value.param == "eval_id"


def test_jsonl_run_from_a_file_grades_given_samples(client: openai.OpenAI) -> None:
    criteria = [
        {
            "type": "python",
            "name": "length",
            "source": "def grade(sample, item):\n    return len(sample['output_text']) / len(item['answer'])\n",
            "pass_threshold": 1.0,
        },
        {
            "type": "label_model",
            "name": "mood",
            "model": "echo",
            "input": [{"role": "user", "content": "{{sample.output_text}}"}],
            "labels": ["happy", "sad"],
            "passing_labels": ["happy"],
        },
    ]
    ev = _eval(client, criteria)
    lines = [
        {"item": {"question": "q", "answer": "abc"}, "sample": {"output_text": "happy abc"}},
        {"item": {"question": "q", "answer": "abcdefghijklmnop"}, "sample": {"output_text": "sad"}},
        {"item": {"question": "q", "answer": ""}, "sample": {"output_text": "happy"}},  # ZeroDivisionError
        {"question": "plain item", "answer": "x"},  # a line that is the item itself, with no sample
    ]
    data = "\n".join(json.dumps(line) for line in lines).encode()
    file_id = client.files.create(file=("rows.jsonl", io.BytesIO(data)), purpose="user_data").id
    run = client.evals.runs.create(
        ev.id, data_source={"type": "jsonl", "source": {"type": "file_id", "id": file_id}}
    )
    done = _wait(client, ev.id, run.id)
    assert done.status == "completed", done.error
    counts = done.result_counts
    assert (counts.total, counts.passed, counts.failed, counts.errored) == (
        4,
        1,
        1,
        2,
    )  # rows 2 and 3: no number, no label
    items = list(client.evals.runs.output_items.list(run.id, eval_id=ev.id, order="asc"))
    assert [i.status for i in items] == ["pass", "fail", "fail", "fail"]
    assert items[0].results[0].score == 3.0
    labels = [r.model_extra.get("label") if r.model_extra else None for i in items for r in i.results[1:]]
    assert labels[:2] == ["happy", "sad"]
    assert "ZeroDivisionError" in (items[2].results[0].model_extra or {}).get("error", "")
    assert items[3].datasource_item == {"question": "plain item", "answer": "x"}


@pytest.mark.parametrize("kit", [False, True])
def test_cancel_stops_a_run(checked: SpecChecker, kit: bool) -> None:
    with run_server(work_delay=0.3) as url:  # the run waits 0.3 s before it starts
        client = make_client(url, checked, kit=kit)
        ev = _eval(client)
        run = client.evals.runs.create(ev.id, data_source=_completions(ROWS))
        cancelled = client.evals.runs.cancel(run.id, eval_id=ev.id)
        assert cancelled.status == "canceled"
        time.sleep(0.8)
        after = client.evals.runs.retrieve(run.id, eval_id=ev.id)
        assert after.status == "canceled" and after.result_counts.total == 0
        assert list(client.evals.runs.output_items.list(run.id, eval_id=ev.id)) == []
        client.close()


def test_a_run_whose_rows_break_the_item_schema_fails(client: openai.OpenAI) -> None:
    ev = _eval(client)
    bad = client.evals.runs.create(ev.id, data_source=_completions([{"item": {"question": "no answer"}}]))
    failed = _wait(client, ev.id, bad.id)
    assert failed.status == "failed" and "'answer'" in failed.error.message
    assert failed.error.code == "invalid_data_source"
    assert list(client.evals.runs.output_items.list(bad.id, eval_id=ev.id)) == []


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"testing_criteria": CRITERIA}, "data_source_config"),
        (
            {"data_source_config": {"type": "custom"}, "testing_criteria": CRITERIA},
            "data_source_config.item_schema",
        ),
        ({"data_source_config": {"type": "nope"}, "testing_criteria": CRITERIA}, "data_source_config.type"),
        ({"data_source_config": {"type": "logs"}}, "testing_criteria"),
        ({"data_source_config": {"type": "logs"}, "testing_criteria": []}, "testing_criteria"),
        (
            {
                "data_source_config": {"type": "logs"},
                "testing_criteria": [{**CRITERIA[1], "pass_threshold": None}],
            },
            "testing_criteria[0].pass_threshold",
        ),
        (
            {
                "data_source_config": {"type": "logs"},
                "testing_criteria": [{**CRITERIA[0], "operation": "regex"}],
            },
            "testing_criteria[0].operation",
        ),
        (
            {"data_source_config": {"type": "logs"}, "testing_criteria": [{**CRITERIA[0], "type": "multi"}]},
            "testing_criteria[0].type",
        ),
        (
            {"data_source_config": {"type": "logs"}, "testing_criteria": [CRITERIA[0], CRITERIA[0]]},
            "testing_criteria[1].name",
        ),
        (
            {
                "data_source_config": {"type": "logs"},
                "testing_criteria": [{**CRITERIA[2], "model": "whisper-1"}],
            },
            "testing_criteria[0].model",
        ),
    ],
)
def test_bad_eval_bodies_name_the_parameter(client: openai.OpenAI, body: dict[str, Any], param: str) -> None:
    with pytest.raises(sdk(client).BadRequestError) as err:
        client.post("/evals", body=body, cast_to=object)
    assert err.value.param == param


def test_bad_runs_and_unknown_ids(client: openai.OpenAI) -> None:
    errors = sdk(client)
    ev = _eval(client, name="bad runs")
    cases: list[tuple[Any, str]] = [
        ({"type": "jsonl", "source": {"type": "file_id", "id": "file-nope"}}, "data_source.source.id"),
        ({"type": "jsonl", "source": {"type": "file_content"}}, "data_source.source.content"),
        (
            {"type": "jsonl", "source": {"type": "file_content", "content": [{"x": 1}]}},
            "data_source.source.content[0].item",
        ),
        ({"type": "csv", "source": {}}, "data_source.type"),
        ({**_completions(ROWS), "model": None}, "data_source.model"),
        (
            {
                **_completions(ROWS),
                "input_messages": {"type": "template", "template": [{"role": "x", "content": "y"}]},
            },
            "data_source.input_messages.template[0].role",
        ),
    ]
    for source, param in cases:
        with pytest.raises(errors.BadRequestError) as err:
            client.evals.runs.create(ev.id, data_source=source)
        assert err.value.param == param, source
    with pytest.raises(errors.BadRequestError) as err:
        client.evals.runs.list(ev.id, status="sleeping")  # type: ignore[arg-type]
    assert err.value.param == "status"
    with pytest.raises(errors.NotFoundError):
        client.evals.runs.create("eval_missing", data_source=_completions(ROWS))
    with pytest.raises(errors.NotFoundError) as nf:
        client.evals.runs.retrieve("evalrun_missing", eval_id=ev.id)
    assert nf.value.param == "run_id"
    with pytest.raises(errors.NotFoundError):
        client.evals.update("eval_missing", name="x")


def test_evals_and_runs_survive_a_restart(tmp_path: Path, checked: SpecChecker) -> None:
    with run_server(data_dir=tmp_path, work_delay=0.01) as url:
        client = make_client(url, checked)
        ev = _eval(client)
        run = client.evals.runs.create(ev.id, data_source=_completions(ROWS))
        assert _wait(client, ev.id, run.id).status == "completed"
        client.close()
    with run_server(data_dir=tmp_path, work_delay=0.01) as url:
        client = make_client(url, checked, kit=True)
        assert client.evals.retrieve(ev.id).name == "capitals"
        again = client.evals.runs.retrieve(run.id, eval_id=ev.id)
        assert again.status == "completed" and again.result_counts.passed == 1
        assert len(list(client.evals.runs.output_items.list(run.id, eval_id=ev.id))) == 3
        client.close()


def test_runs_over_stored_chat_completions_and_responses(client: openai.OpenAI) -> None:
    tag = uuid.uuid4().hex
    for question in ("alpha", "beta"):
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": question}],
            store=True,
            metadata={"tag": tag},
        )
        client.responses.create(model="gpt-4o-mini", input=question, metadata={"tag": tag})
    criteria = [
        {
            "type": "string_check",
            "name": "said alpha",
            "input": "{{sample.output_text}}",
            "reference": "alpha",
            "operation": "eq",
        }
    ]
    ev = client.evals.create(
        name="logs", data_source_config={"type": "logs", "metadata": {"tag": tag}}, testing_criteria=criteria
    )
    assert ev.data_source_config.type == "logs"
    chat_run = client.evals.runs.create(
        ev.id,
        data_source={
            "type": "completions",
            "model": "gpt-4o-mini",
            "input_messages": {"type": "item_reference", "item_reference": "item.input"},
            "source": {"type": "stored_completions", "metadata": {"tag": tag}},
        },
    )
    done = _wait(client, ev.id, chat_run.id)
    assert done.status == "completed", done.error
    assert (done.result_counts.total, done.result_counts.passed) == (2, 1)
    empty_run = client.evals.runs.create(
        ev.id, data_source={"type": "jsonl", "source": {"type": "file_content", "content": [{"item": {}}]}}
    )
    assert _wait(client, ev.id, empty_run.id).result_counts.failed == 1  # no sample: "" != "alpha"
    graded = client.evals.runs.create(
        ev.id,
        data_source={
            "type": "responses",
            "model": "gpt-4o-mini",
            "input_messages": {"type": "template", "template": [{"role": "user", "content": "alpha"}]},
            "source": {"type": "responses", "metadata": {"tag": tag}},
        },
    )
    result = _wait(client, ev.id, graded.id)
    assert (result.result_counts.total, result.result_counts.passed) == (2, 2)


def test_an_interrupted_run_starts_over_after_a_restart(tmp_path: Path, checked: SpecChecker) -> None:
    with run_server(data_dir=tmp_path, work_delay=5) as url:  # stopped while the run waits to start
        client = make_client(url, checked)
        ev = _eval(client)
        run = client.evals.runs.create(ev.id, data_source=_completions(ROWS))
        assert client.evals.runs.retrieve(run.id, eval_id=ev.id).status == "queued"
        client.close()
    with run_server(data_dir=tmp_path, work_delay=0.01) as url:
        client = make_client(url, checked, kit=True)
        done = _wait(client, ev.id, run.id)
        assert done.status == "completed" and done.result_counts.total == 3
        client.close()


@pytest.mark.parametrize("kit", [False, True])
def test_async_clients_run_an_eval(server_url: str, kit: bool) -> None:
    import asyncio

    import openai_kit

    async def main() -> None:
        factory: Any = openai_kit.AsyncOpenAI if kit else openai.AsyncOpenAI
        async with factory(base_url=server_url, api_key="k") as client:
            ev = await client.evals.create(
                data_source_config={"type": "custom", "item_schema": ITEM_SCHEMA},
                testing_criteria=CRITERIA[:1],
            )
            run = await client.evals.runs.create(ev.id, data_source=_completions(ROWS))
            for _ in range(1500):
                run = await client.evals.runs.retrieve(run.id, eval_id=ev.id)
                if run.status == "completed":
                    break
                await asyncio.sleep(0.01)
            assert run.status == "completed" and run.result_counts.passed == 1
            items = [i async for i in client.evals.runs.output_items.list(run.id, eval_id=ev.id)]
            assert len(items) == 3
            await client.evals.delete(ev.id)

    asyncio.run(main())


def test_eval_pages_follow_the_cursor(client: openai.OpenAI) -> None:
    made = [_eval(client, name=f"page {i}").id for i in range(3)]
    first = client.evals.list(limit=2, order="desc")
    assert len(first.data) == 2 and first.has_more
    assert [e.id for e in first.data] == made[::-1][:2]
    seen = [e.id for e in client.evals.list(limit=2, order="asc")]  # auto-paging sends ``after``
    assert [i for i in seen if i in made] == made
    renamed = client.evals.update(made[0], name="touched")
    by_update = client.evals.list(order="desc", order_by="updated_at", limit=1).data
    assert by_update[0].id == renamed.id == made[0]
    with pytest.raises(sdk(client).BadRequestError) as err:
        client.evals.list(order_by="name")  # type: ignore[arg-type]
    assert err.value.param == "order_by"
