"""Files, uploads and batches end to end."""

from __future__ import annotations

import asyncio
import io
import json
import pathlib
import time

import openai
import pytest
from server_spec_check import sdk


def _wait(client: openai.OpenAI, batch_id: str, timeout: float = 15) -> openai.types.Batch:
    deadline = time.monotonic() + timeout
    while True:
        batch = client.batches.retrieve(batch_id)
        if batch.status in ("completed", "failed", "cancelled", "expired"):
            return batch
        assert time.monotonic() < deadline, f"batch stuck in {batch.status}"
        time.sleep(0.02)


def test_files_upload_list_paginate_content_delete(client: openai.OpenAI) -> None:
    uploaded = [
        client.files.create(file=(f"doc{i}.txt", io.BytesIO(f"content {i}".encode())), purpose="user_data")
        for i in range(3)
    ]
    assert uploaded[0].bytes == len(b"content 0") and uploaded[0].filename == "doc0.txt"
    page = client.files.list(purpose="user_data", limit=2, order="asc")
    assert len(page.data) == 2 and page.has_more
    ids = [f.id for f in client.files.list(purpose="user_data", limit=2, order="asc")]
    assert [u.id for u in uploaded] == [i for i in ids if i in {u.id for u in uploaded}]
    assert client.files.retrieve(uploaded[1].id).filename == "doc1.txt"
    assert client.files.content(uploaded[1].id).read() == b"content 1"
    assert client.files.delete(uploaded[2].id).deleted
    with pytest.raises(sdk(client).NotFoundError) as info:
        client.files.retrieve(uploaded[2].id)
    assert info.value.status_code == 404
    with pytest.raises(sdk(client).BadRequestError) as info:
        client.files.create(file=("x.txt", b"x"), purpose="nonsense")  # type: ignore[arg-type]
    assert info.value.param == "purpose"


def test_uploads_parts_complete(client: openai.OpenAI) -> None:
    data = b"0123456789" * 1000
    upload = client.uploads.create(
        bytes=len(data), filename="big.bin", mime_type="application/octet-stream", purpose="assistants"
    )
    assert upload.status == "pending"
    p1 = client.uploads.parts.create(upload.id, data=data[:4000])
    p2 = client.uploads.parts.create(upload.id, data=data[4000:])
    done = client.uploads.complete(upload.id, part_ids=[p1.id, p2.id])
    assert done.status == "completed" and done.file is not None
    assert client.files.content(done.file.id).read() == data
    other = client.uploads.create(bytes=5, filename="x", mime_type="text/plain", purpose="assistants")
    part = client.uploads.parts.create(other.id, data=b"abc")
    with pytest.raises(sdk(client).BadRequestError) as info:
        client.uploads.complete(other.id, part_ids=[part.id])
    assert info.value.param == "part_ids"
    assert client.uploads.cancel(other.id).status == "cancelled"


def test_batch_end_to_end(client: openai.OpenAI) -> None:
    lines = [
        {
            "custom_id": "a",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {"model": "echo", "messages": [{"role": "user", "content": "first"}]},
        },
        {
            "custom_id": "b",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {"model": "echo", "messages": [{"role": "user", "content": "second"}]},
        },
        {
            "custom_id": "bad",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {"model": "whisper-1", "messages": [{"role": "user", "content": "x"}]},
        },
    ]
    payload = "\n".join(json.dumps(line) for line in lines).encode()
    input_file = client.files.create(file=("batch.jsonl", payload), purpose="batch")
    batch = client.batches.create(
        input_file_id=input_file.id,
        endpoint="/v1/chat/completions",
        completion_window="24h",
        metadata={"job": "test"},
    )
    assert batch.status == "validating"
    done = _wait(client, batch.id)
    assert done.status == "completed"
    assert done.request_counts is not None
    assert (done.request_counts.total, done.request_counts.completed, done.request_counts.failed) == (3, 2, 1)
    assert done.in_progress_at and done.finalizing_at and done.completed_at
    assert done.created_at <= done.in_progress_at <= done.finalizing_at <= done.completed_at
    assert done.output_file_id and done.error_file_id
    out = [json.loads(x) for x in client.files.content(done.output_file_id).read().splitlines()]
    by_id = {o["custom_id"]: o for o in out}
    assert by_id["a"]["response"]["body"]["choices"][0]["message"]["content"] == "first"
    assert by_id["b"]["response"]["status_code"] == 200
    errors = [json.loads(x) for x in client.files.content(done.error_file_id).read().splitlines()]
    assert (
        errors[0]["custom_id"] == "bad" and errors[0]["response"]["status_code"] == 400
    )  # a transcription model on the chat endpoint
    assert batch.id in [b.id for b in client.batches.list(limit=100)]


def test_batch_with_bad_input_fails_and_cancel(client: openai.OpenAI) -> None:
    bad = client.files.create(file=("bad.jsonl", b"not json\n"), purpose="batch")
    batch = client.batches.create(input_file_id=bad.id, endpoint="/v1/embeddings", completion_window="24h")
    failed = _wait(client, batch.id)
    assert failed.status == "failed" and failed.errors is not None and failed.errors.data
    assert failed.errors.data[0].line == 1
    lines = "\n".join(
        json.dumps(
            {
                "custom_id": str(i),
                "method": "POST",
                "url": "/v1/embeddings",
                "body": {"model": "hash-embedding", "input": f"text {i}"},
            }
        )
        for i in range(200)
    ).encode()
    big = client.files.create(file=("many.jsonl", lines), purpose="batch")
    batch = client.batches.create(input_file_id=big.id, endpoint="/v1/embeddings", completion_window="24h")
    cancelling = client.batches.cancel(batch.id)
    assert cancelling.status in ("cancelling", "cancelled")
    final = _wait(client, batch.id)
    assert final.status == "cancelled" and final.cancelled_at
    with pytest.raises(sdk(client).ConflictError):
        client.batches.cancel(batch.id)
    with pytest.raises(sdk(client).BadRequestError) as info:
        client.batches.create(input_file_id=big.id, endpoint="/v1/nothing", completion_window="24h")  # type: ignore[arg-type]
    assert info.value.param == "endpoint"


@pytest.mark.filterwarnings("ignore:Due to a bug:DeprecationWarning")  # the official SDK's stream_to_file
def test_file_content_helpers(client: openai.OpenAI, tmp_path: pathlib.Path) -> None:
    """The binary-content methods code written for the official SDK uses: text, json(), iter_lines(),
    stream_to_file() (same answers from both clients)."""
    jsonl = b'{"n": 1, "s": "caf\\u00e9 line"}\r\n{"n": 2}\n{"n": 3}'
    f = client.files.create(file=("lines.jsonl", jsonl), purpose="batch")
    content = client.files.content(f.id)
    assert content.text == jsonl.decode()
    assert [json.loads(line)["n"] for line in client.files.content(f.id).iter_lines()] == [1, 2, 3]
    doc = client.files.create(file=("doc.json", b'{"a": [1, 2]}'), purpose="user_data")
    assert client.files.content(doc.id).json() == {"a": [1, 2]}
    target = tmp_path / "copy.jsonl"
    client.files.content(f.id).stream_to_file(target)
    assert target.read_bytes() == jsonl
    if sdk(client) is not openai:  # a raw U+2028 inside a JSON string does not end a line here
        odd = client.files.create(file=("u.jsonl", '{"s": "a\u2028b"}\n{"s": "c"}'.encode()), purpose="batch")
        assert [json.loads(x)["s"] for x in client.files.content(odd.id).iter_lines()] == ["a\u2028b", "c"]


def test_async_file_content_helpers(server_url: str, tmp_path: pathlib.Path) -> None:
    import openai_kit

    async def main() -> None:
        async with openai_kit.AsyncOpenAI(base_url=server_url, api_key="k") as client:
            f = await client.files.create(file=("a.txt", b"one\ntwo\r\nthree"), purpose="user_data")
            assert await (await client.files.content(f.id)).aread() == b"one\ntwo\r\nthree"
            text = "".join([t async for t in (await client.files.content(f.id)).aiter_text()])
            assert text == "one\ntwo\r\nthree"
            target = tmp_path / "a.txt"
            assert await (await client.files.content(f.id)).astream_to_file(target) == 14
            assert target.read_bytes() == b"one\ntwo\r\nthree"

    asyncio.run(main())
