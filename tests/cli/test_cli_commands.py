"""The API commands as subprocesses against a local server: results, --json, progress output without
control characters on pipes (and a bar on a terminal), errors naming flags with a non-zero exit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from openai_kit.server.testing import run_server
from tests.core.httpserver import LocalHTTPServer

from .support import Terminal, clean_env, control_characters, run_cli


@pytest.fixture
def env(tmp_path: Path, server_url: str) -> dict[str, str]:
    return clean_env(tmp_path, OPENAI_BASE_URL=server_url, OPENAI_API_KEY="sk-local")


def ok(result: object) -> str:
    assert result.returncode == 0, result.stderr  # type: ignore[attr-defined]
    text = result.stdout + result.stderr  # type: ignore[attr-defined]
    assert not control_characters(text), control_characters(text)
    assert "Traceback" not in text
    return result.stdout  # type: ignore[attr-defined,no-any-return]


def test_models_list(tmp_path: Path, env: dict[str, str]) -> None:
    table = ok(run_cli("models", "list", cwd=tmp_path, env=env))
    assert table.splitlines()[0].split("\t") == ["id", "owned_by", "created"]
    assert any(line.startswith("gpt-4o-mini\t") for line in table.splitlines())
    lines = ok(run_cli("models", "list", "--json", cwd=tmp_path, env=env)).splitlines()
    ids = [json.loads(line)["id"] for line in lines]
    assert "echo" in ids and "text-embedding-3-small" in ids and ids == sorted(ids)


def test_files_roundtrip(tmp_path: Path, env: dict[str, str]) -> None:
    data = bytes(range(256)) * 4096  # 1 MiB
    (tmp_path / "blob.bin").write_bytes(data)
    up = run_cli("files", "upload", "blob.bin", "--purpose", "assistants", cwd=tmp_path, env=env)
    file_id = ok(up).strip()
    assert file_id.startswith("file-")
    assert "upload blob.bin: 1.0 MiB" in up.stderr  # the progress, as one plain line on a pipe
    listed = [
        json.loads(line)
        for line in ok(run_cli("files", "list", "--json", cwd=tmp_path, env=env)).splitlines()
    ]
    assert {"id": file_id, "filename": "blob.bin", "purpose": "assistants"}.items() <= next(
        f for f in listed if f["id"] == file_id
    ).items()
    down = run_cli("files", "download", file_id, "--out", "copy.bin", cwd=tmp_path, env=env)
    assert ok(down).strip() == "copy.bin"
    assert (tmp_path / "copy.bin").read_bytes() == data
    (tmp_path / "d").mkdir()
    assert ok(run_cli("files", "download", file_id, cwd=tmp_path / "d", env=env)).strip() == "blob.bin"
    assert (tmp_path / "d" / "blob.bin").read_bytes() == data
    exists = run_cli("files", "download", file_id, cwd=tmp_path / "d", env=env)
    assert exists.returncode == 2 and "exists" in exists.stderr and "--out" in exists.stderr
    deleted = ok(run_cli("files", "delete", file_id, cwd=tmp_path, env=env))
    assert deleted.strip() == f"deleted {file_id}"
    gone = run_cli("files", "delete", file_id, cwd=tmp_path, env=env)
    assert gone.returncode == 1 and "404 (FILE_ID)" in gone.stderr


def test_files_errors_name_the_argument(tmp_path: Path, env: dict[str, str]) -> None:
    missing = run_cli("files", "upload", "nope.txt", cwd=tmp_path, env=env)
    assert missing.returncode == 2 and "FILE: cannot read nope.txt" in missing.stderr
    purpose = run_cli("files", "upload", "x", "--purpose", "bogus", cwd=tmp_path, env=env)
    assert purpose.returncode == 2 and "--purpose" in purpose.stderr
    nothing = run_cli("files", "list", cwd=tmp_path, env=clean_env(tmp_path))
    assert nothing.returncode == 2 and "--api-key" in nothing.stderr and "--base-url" in nothing.stderr


def _requests(tmp_path: Path, n: int, bad: int = 0) -> Path:
    lines = [
        {
            "custom_id": f"r{i}",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": f"hello {i}"}]},
        }
        for i in range(n)
    ]
    lines += [
        {
            "custom_id": f"bad{i}",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {"model": "tts-1", "messages": [{"role": "user", "content": "x"}]},
        }
        for i in range(bad)
    ]
    path = tmp_path / "requests.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_batches_create_wait_and_download(tmp_path: Path, env: dict[str, str]) -> None:
    _requests(tmp_path, 4, bad=1)
    result = run_cli(
        "batches",
        "create",
        "requests.jsonl",
        "--wait",
        "--poll-interval",
        "0.05",
        "--metadata",
        "job=test",
        cwd=tmp_path,
        env=env,
    )
    out = ok(result)
    assert out.splitlines() == ["output\trequests.output.jsonl", "errors\trequests.errors.jsonl"]
    assert "5/5 requests (completed: 4 ok, 1 failed)" in result.stderr
    results = [json.loads(line) for line in (tmp_path / "requests.output.jsonl").read_text().splitlines()]
    assert sorted(r["custom_id"] for r in results) == ["r0", "r1", "r2", "r3"]
    assert {r["response"]["body"]["choices"][0]["message"]["content"] for r in results} == {
        f"hello {i}" for i in range(4)
    }
    errors = [json.loads(line) for line in (tmp_path / "requests.errors.jsonl").read_text().splitlines()]
    assert [e["custom_id"] for e in errors] == ["bad0"]

    batch_id = result.stderr.split("batch ")[1].split()[0]
    status = ok(run_cli("batches", "status", batch_id, cwd=tmp_path, env=env))
    assert status.split("\t")[:2] == [batch_id, "completed"]
    listed = ok(run_cli("batches", "list", "--json", cwd=tmp_path, env=env))
    assert batch_id in [json.loads(line)["id"] for line in listed.splitlines()]
    again = ok(
        run_cli("batches", "download", batch_id, "--out", "again.jsonl", "--json", cwd=tmp_path, env=env)
    )
    assert json.loads(again) == {
        "id": batch_id,
        "status": "completed",
        "output": "again.jsonl",
        "errors": "again.errors.jsonl",
    }
    assert (tmp_path / "again.jsonl").read_text() == (tmp_path / "requests.output.jsonl").read_text()


def test_batches_create_without_wait_then_cancel(tmp_path: Path) -> None:
    with run_server(work_delay=0.5) as slow_url:  # slow enough to cancel before it finishes
        env = clean_env(tmp_path, OPENAI_BASE_URL=slow_url, OPENAI_API_KEY="sk-local")
        _check_cancel(tmp_path, env)


def _check_cancel(tmp_path: Path, env: dict[str, str]) -> None:
    _requests(tmp_path, 3)
    created = json.loads(ok(run_cli("batches", "create", "requests.jsonl", "--json", cwd=tmp_path, env=env)))
    assert created["endpoint"] == "/v1/chat/completions" and created["status"] == "validating"
    cancelled = ok(run_cli("batches", "cancel", created["id"], "--json", cwd=tmp_path, env=env))
    assert json.loads(cancelled)["status"] in ("cancelling", "cancelled")
    status = ok(run_cli("batches", "status", created["id"], cwd=tmp_path, env=env))
    assert status.split("\t")[1] in ("cancelling", "cancelled")


def test_batches_errors(tmp_path: Path, env: dict[str, str]) -> None:
    (tmp_path / "bad.jsonl").write_text(
        '{"custom_id": "a", "method": "POST", "url": "/v1/chat/completions"}\nnot json\n'
    )
    bad = run_cli("batches", "create", "bad.jsonl", cwd=tmp_path, env=env)
    assert bad.returncode == 2 and "line 2 is not JSON" in bad.stderr
    _requests(tmp_path, 1)
    interval = run_cli(
        "batches", "create", "requests.jsonl", "--wait", "--poll-interval", "0", cwd=tmp_path, env=env
    )
    assert interval.returncode == 2 and "--poll-interval" in interval.stderr
    meta = run_cli("batches", "create", "requests.jsonl", "--metadata", "novalue", cwd=tmp_path, env=env)
    assert meta.returncode == 2 and "--metadata" in meta.stderr
    unknown = run_cli("batches", "status", "batch_nope", cwd=tmp_path, env=env)
    assert unknown.returncode == 1 and "404" in unknown.stderr and "Traceback" not in unknown.stderr


def test_embeddings(tmp_path: Path, env: dict[str, str]) -> None:
    out = ok(run_cli("embeddings", "hello world", "hello world", "--dimensions", "8", cwd=tmp_path, env=env))
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["index"] for r in rows] == [0, 1] and rows[0]["embedding"] == rows[1]["embedding"]
    assert len(rows[0]["embedding"]) == 8 and rows[0]["input"] == "hello world"
    (tmp_path / "texts.txt").write_text("one\n\ntwo\nthree\n")
    result = run_cli(
        "embeddings",
        "--file",
        "texts.txt",
        "--batch-size",
        "2",
        "--out",
        "vectors.jsonl",
        cwd=tmp_path,
        env=env,
    )
    assert ok(result) == ""
    assert "embeddings: 3/3 texts" in result.stderr
    rows = [json.loads(line) for line in (tmp_path / "vectors.jsonl").read_text().splitlines()]
    assert [(r["index"], r["input"]) for r in rows] == [(0, "one"), (1, "two"), (2, "three")]
    wrong = run_cli("embeddings", "x", "--model", "gpt-4o", cwd=tmp_path, env=env)
    assert wrong.returncode == 1 and "(--model)" in wrong.stderr and "chat model" in wrong.stderr
    none = run_cli("embeddings", cwd=tmp_path, env=env)
    assert none.returncode == 2 and "--file" in none.stderr


def test_responses_streamed_and_json(tmp_path: Path, env: dict[str, str]) -> None:
    assert ok(run_cli("responses", "Stream this back", cwd=tmp_path, env=env)) == "Stream this back\n"
    assert ok(run_cli("responses", "-", cwd=tmp_path, env=env, input="from stdin\n")) == "from stdin\n"
    data = json.loads(ok(run_cli("responses", "x", "--model", "o4-mini", "--json", cwd=tmp_path, env=env)))
    assert data["model"] == "o4-mini" and data["object"] == "response"


@pytest.mark.parametrize(
    "args",
    [
        ("images", "generate", "a cat", "--out", "imgs"),
        ("audio", "speech", "hello", "--out", "hello.mp3"),
        ("audio", "transcribe", "requests.jsonl"),
    ],
    ids=["images", "speech", "transcribe"],
)
def test_endpoints_the_server_lacks_fail_clearly(tmp_path: Path, args: tuple[str, ...]) -> None:
    """A compatible server without images or audio (a real socket server that knows no route)."""
    bare = LocalHTTPServer()
    try:
        env = clean_env(tmp_path, OPENAI_BASE_URL=bare.base_url, OPENAI_API_KEY="sk-local")
        _requests(tmp_path, 1)
        result = run_cli(*args, cwd=tmp_path, env=env)
    finally:
        bare.close()
    assert result.returncode == 1
    assert "does not implement this endpoint" in result.stderr and "Traceback" not in result.stderr
    assert not control_characters(result.stderr)


def test_images_and_audio_against_the_local_server(tmp_path: Path, env: dict[str, str]) -> None:
    saved = ok(run_cli("images", "generate", "a cat", "--out", "imgs", cwd=tmp_path, env=env)).split()
    assert len(saved) == 1 and (tmp_path / saved[0]).read_bytes().startswith(b"\x89PNG")
    ok(
        run_cli(
            "audio", "speech", "hello there", "--out", "hello.wav", "--format", "wav", cwd=tmp_path, env=env
        )
    )
    assert (tmp_path / "hello.wav").read_bytes()[:4] == b"RIFF"
    text = ok(run_cli("audio", "transcribe", "hello.wav", cwd=tmp_path, env=env))
    assert "hello there" in text


def test_usage_errors_name_flags(tmp_path: Path, env: dict[str, str]) -> None:
    no_out = run_cli("images", "generate", "a cat", cwd=tmp_path, env=env)
    assert no_out.returncode == 2 and "--out" in no_out.stderr
    n = run_cli("images", "generate", "a cat", "--out", "d", "--n", "0", cwd=tmp_path, env=env)
    assert n.returncode == 2 and "--n must be at least 1" in n.stderr


def test_upload_progress_bar_on_a_terminal(tmp_path: Path, env: dict[str, str]) -> None:
    (tmp_path / "big.bin").write_bytes(b"x" * (3 * 1024 * 1024))
    term = Terminal("files", "upload", "big.bin", cwd=tmp_path, env={**env, "COLUMNS": "100"})
    assert term.wait() == 0
    shown = term.output.decode(errors="replace")
    assert "upload big.bin" in shown and "3.1" in shown and "MB" in shown  # rich's bar with its byte counts
    assert "file-" in shown
