"""The official SDK's helper methods that openai-kit adds to the generated resources, run side by side
with the official client against the spec-validating server: the same requests, the same kind of
result, the same warnings and errors."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import openai
import pytest

import openai_kit

from .spec_server import API_KEY, SpecServer


@pytest.fixture
def both(spec_server: SpecServer) -> Iterator[dict[str, Any]]:
    clients = {
        "official": openai.OpenAI(api_key=API_KEY, base_url=spec_server.base_url, max_retries=0),
        "kit": openai_kit.OpenAI(api_key=API_KEY, base_url=spec_server.base_url, max_retries=0),
    }
    yield clients
    for c in clients.values():
        c.close()


def _ops_since(server: SpecServer, start: int) -> list[str]:
    hits = server.hits[start:]
    assert all(not h.problems for h in hits), [h.problems for h in hits]
    return [h.op_id for h in hits]


def test_upload_file_chunked_sends_the_same_requests(both: dict[str, Any], spec_server: SpecServer) -> None:
    data = b"0123456789" * 25  # 250 bytes in parts of 100: three parts
    seen = {}
    for name, client in both.items():
        start = len(spec_server.hits)
        upload = client.uploads.upload_file_chunked(
            file=data,
            filename="data.jsonl",
            bytes=250,
            mime_type="text/jsonl",
            purpose="batch",
            part_size=100,
        )
        seen[name] = (type(upload).__name__, _ops_since(spec_server, start))
        create = next(h for h in spec_server.hits[start:] if h.op_id == "createUpload")
        assert create.body["bytes"] == 250 and create.body["filename"] == "data.jsonl"
    assert seen["kit"] == seen["official"]
    assert seen["kit"][1] == [
        "createUpload",
        "addUploadPart",
        "addUploadPart",
        "addUploadPart",
        "completeUpload",
    ]


def test_upload_file_chunked_from_a_path(
    both: dict[str, Any], spec_server: SpecServer, tmp_path: Any
) -> None:
    path = tmp_path / "big.jsonl"
    path.write_bytes(b"x" * 150)
    start = len(spec_server.hits)
    both["kit"].uploads.upload_file_chunked(file=path, mime_type="text/jsonl", purpose="batch", part_size=100)
    ops = _ops_since(spec_server, start)
    assert ops.count("addUploadPart") == 2
    assert spec_server.hits[start].body["filename"] == "big.jsonl"
    with pytest.raises(TypeError, match="filename"):
        both["kit"].uploads.upload_file_chunked(file=b"x", mime_type="text/plain", purpose="batch")


def test_retrieve_content_is_deprecated_and_returns_text(
    both: dict[str, Any], spec_server: SpecServer
) -> None:
    for client in both.values():
        with pytest.warns(DeprecationWarning):
            content = client.files.retrieve_content("file-1")
        assert isinstance(content, str)
        assert spec_server.last("downloadFile").path == "/files/file-1/content"


def test_wait_for_processing_gives_up_with_a_runtime_error(both: dict[str, Any]) -> None:
    # the spec server's file stays "uploaded": both clients give up after max_wait_seconds
    for client in both.values():
        with pytest.raises(RuntimeError):
            client.files.wait_for_processing("file-1", poll_interval=0.01, max_wait_seconds=0.05)


def test_checkpoint_permissions_retrieve_is_deprecated(both: dict[str, Any], spec_server: SpecServer) -> None:
    wires = []
    for client in both.values():
        with pytest.warns(DeprecationWarning):
            result = client.fine_tuning.checkpoints.permissions.retrieve("ft:model:ckpt", limit=2)
        assert result.data is not None
        hit = spec_server.last("listFineTuningCheckpointPermissions")
        wires.append((unquote(hit.path), sorted(hit.query)))  # ours percent-encodes the ':'s
    assert wires[0] == wires[1]


def test_beta_chat_completions_is_chat_completions(both: dict[str, Any]) -> None:
    kit = both["kit"]
    assert kit.beta.chat.completions.parse.__func__ is kit.chat.completions.parse.__func__
    assert callable(both["official"].beta.chat.completions.parse)


def test_video_poll_interval_must_be_positive(both: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="poll_interval_ms"):
        both["kit"].videos.poll("video_1", poll_interval_ms=0)


def test_create_and_stream_is_the_stream_helper(both: dict[str, Any], spec_server: SpecServer) -> None:
    assert callable(both["official"].beta.threads.runs.create_and_stream)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        runs = both["kit"].beta.threads.runs
        with runs.create_and_stream(thread_id="thread_1", assistant_id="asst_1") as stream:
            names = [event.event for event in stream]
    assert spec_server.last("createRun").body["stream"] is True
    assert names and names[0].startswith("thread.")


async def test_async_helpers(spec_server: SpecServer) -> None:
    client = openai_kit.AsyncOpenAI(api_key=API_KEY, base_url=spec_server.base_url, max_retries=0)
    try:
        start = len(spec_server.hits)
        await client.uploads.upload_file_chunked(
            file=b"abc" * 50, filename="a.txt", mime_type="text/plain", purpose="batch", part_size=100
        )
        assert _ops_since(spec_server, start).count("addUploadPart") == 2
        with pytest.warns(DeprecationWarning):
            assert isinstance(await client.files.retrieve_content("file-1"), str)
        with pytest.raises(RuntimeError):
            await client.files.wait_for_processing("file-1", poll_interval=0.01, max_wait_seconds=0.05)
        assert client.beta.chat.completions is client.chat.completions
    finally:
        await client.close()
