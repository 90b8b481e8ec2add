"""The bulk runner against the local server: killed half-way and resumed, directly and via batches."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pytest

from openai_kit import OpenAI
from openai_kit.bulk import BulkInputError, run_bulk
from openai_kit.server.testing import run_server

ROOT = Path(__file__).resolve().parents[2]
N = 2000


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with run_server() as url:
        yield url


@pytest.fixture(scope="module")
def slow_batches() -> Iterator[str]:
    """A server that takes 1 ms per batch line, so a kill finds batches still running."""
    with run_server(work_delay=0.001) as url:
        yield url


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")


def _write_input(path: Path, n: int = N, bad: set[int] | None = None) -> list[str]:
    ids = []
    with path.open("wb") as f:
        for i in range(n):
            body: dict[str, object] = {"model": "echo", "messages": [{"role": "user", "content": f"say {i}"}]}
            if bad and i in bad:
                body = {"messages": []}  # no model: the API answers 400
            ids.append(f"req-{i}")
            f.write(
                orjson.dumps(
                    {"custom_id": ids[-1], "method": "POST", "url": "/v1/chat/completions", "body": body}
                )
            )
            f.write(b"\n")
    return ids


def _cli(*args: str, stderr: int | None = subprocess.PIPE) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "OPENAI_API_KEY": "sk-test"}
    return subprocess.Popen(
        [sys.executable, "-m", "openai_kit.cli", "bulk", "run", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=stderr,
    )


def _lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def _kill_when(
    proc: subprocess.Popen[bytes],
    out: Path,
    lines: int,
    sig: signal.Signals,
    ready: Callable[[], bool] | None = None,
) -> None:
    deadline = time.monotonic() + 30
    while _lines(out) < lines or (ready is not None and not ready()):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the bulk run made no progress"
        time.sleep(0.005)
    proc.send_signal(sig)
    proc.communicate(timeout=30)


def _saved_batches(state: Path, after: int = 0) -> set[str]:
    try:
        saved = orjson.loads(state.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return set()
    return {i for start, ids in saved.items() if int(start) >= after for i in ids}


def _check_exactly_once(out: Path, ids: list[str]) -> list[dict[str, object]]:
    records = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert [r["custom_id"] for r in records] == ids  # in input order, each exactly once
    return records


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_direct_killed_half_way_and_resumed(server: str, tmp_path: Path, sig: signal.Signals) -> None:
    inp, out = tmp_path / "requests.jsonl", tmp_path / "results.jsonl"
    ids = _write_input(inp)
    # paced at 1,000 requests a second: the run lasts long enough to be killed in the middle
    first = _cli(str(inp), "--out", str(out), "--base-url", server, "--rpm", "60000", "--no-progress")
    _kill_when(first, out, N // 4, sig)
    written = out.read_bytes()
    if sig == signal.SIGINT:
        assert first.returncode == 130
        assert written.endswith(b"\n")  # Ctrl-C leaves whole lines only
    assert N // 4 <= _lines(out) < N
    second = _cli(str(inp), "--out", str(out), "--base-url", server, "--no-progress")
    _, err = second.communicate(timeout=60)
    assert second.returncode == 0, err
    assert b"already in" in err and b"finished" in err
    records = _check_exactly_once(out, ids)
    assert all(r["response"]["status_code"] == 200 for r in records)  # type: ignore[index]
    assert records[7]["response"]["body"]["choices"][0]["message"]["content"] == "say 7"  # type: ignore[index]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_via_batch_killed_half_way_and_resumed(
    slow_batches: str, tmp_path: Path, sig: signal.Signals
) -> None:
    inp, out = tmp_path / "requests.jsonl", tmp_path / "results.jsonl"
    ids = _write_input(inp)
    args = [str(inp), "--out", str(out), "--base-url", slow_batches, "--via", "batch", "--batch-size", "250"]
    first = _cli(*args, "--poll-interval", "0.05", "--no-progress")
    state = Path(str(out) + ".batches.json")  # the running batches, to be polled instead of paid again
    client = OpenAI(base_url=slow_batches)

    def a_batch_has_work_left() -> bool:
        """A saved batch of a chunk not yet written still has >= 100 lines (>= 0.1 s) to run: it is
        still running after the kill, and the rerun must pick it up rather than create it again."""
        for batch_id in _saved_batches(state, after=_lines(out)):
            counts = client.batches.retrieve(batch_id).request_counts
            if counts is not None and counts.completed <= 150:
                return True
        return False

    _kill_when(first, out, 250, sig, a_batch_has_work_left)
    if sig == signal.SIGINT:
        assert first.returncode == 130 and out.read_bytes().endswith(b"\n")
    written = _lines(out)
    assert 250 <= written < N
    # the batches of chunks not yet in the output (a chunk written just before the kill needs none)
    running = _saved_batches(state, after=written)
    second = _cli(*args, "--poll-interval", "0.05")
    _, err = second.communicate(timeout=60)
    assert second.returncode == 0, err
    _check_exactly_once(out, ids)
    assert not state.exists()
    assert running
    for batch_id in running:
        assert batch_id.encode() in err.split(b"earlier run created:")[1]


def test_failed_requests_are_written_once_and_counted(server: str, tmp_path: Path) -> None:
    inp, out = tmp_path / "requests.jsonl", tmp_path / "results.jsonl"
    ids = _write_input(inp, 50, bad={3, 40})
    summary = run_bulk(inp, out, base_url=server, progress=False)
    assert (summary.done, summary.failed, summary.total) == (48, 2, 50)
    records = _check_exactly_once(out, ids)
    assert records[3]["response"]["status_code"] == 400  # type: ignore[index]
    again = run_bulk(inp, out, base_url=server, progress=False)  # everything is there: nothing is sent
    assert (again.done, again.failed, again.skipped) == (0, 0, 50)


def test_torn_last_line_is_dropped_and_redone(server: str, tmp_path: Path) -> None:
    inp, out = tmp_path / "requests.jsonl", tmp_path / "results.jsonl"
    ids = _write_input(inp, 30)
    run_bulk(inp, out, base_url=server, progress=False)
    lines = out.read_bytes().splitlines(keepends=True)
    out.write_bytes(b"".join(lines[:10]) + lines[10][:25])  # a kill in the middle of a write
    summary = run_bulk(inp, out, base_url=server, progress=False)
    assert (summary.skipped, summary.done) == (10, 20)
    _check_exactly_once(out, ids)


def test_bad_input_and_foreign_output_are_clear_errors(server: str, tmp_path: Path) -> None:
    inp, out = tmp_path / "requests.jsonl", tmp_path / "results.jsonl"
    inp.write_bytes(
        b'{"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", "body": {}}\nnot json\n'
    )
    with pytest.raises(BulkInputError, match=r"requests.jsonl:2: not valid JSON"):
        run_bulk(inp, out, base_url=server, progress=False)
    assert not out.exists()  # nothing was sent
    _write_input(inp, 5)
    out.write_bytes(b'{"custom_id": "other-0", "response": null, "error": null}\n')
    proc = _cli(str(inp), "--out", str(out), "--base-url", server)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert b"custom_id 'other-0' where this input has 'req-0'" in err
    assert b"Traceback" not in err


def test_progress_plain_lines_and_a_live_bar_on_a_terminal(server: str, tmp_path: Path) -> None:
    inp = tmp_path / "requests.jsonl"
    _write_input(inp, 300)
    plain = _cli(str(inp), "--out", str(tmp_path / "a.jsonl"), "--base-url", server)
    _, err = plain.communicate(timeout=30)
    assert plain.returncode == 0
    assert b"bulk: 300/300 done=300 failed=0 rate=" in err and b"\x1b[" not in err
    leader, follower = pty.openpty()
    tty = _cli(str(inp), "--out", str(tmp_path / "b.jsonl"), "--base-url", server, stderr=follower)
    os.close(follower)
    screen = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        screen += chunk
    tty.wait(30)
    os.close(leader)
    assert tty.returncode == 0
    assert b"300/300" in screen and b"failed" in screen and b"/s" in screen and b"ETA" in screen
    assert b"\x1b[" in screen  # drawn live with terminal control sequences


def test_a_failed_batch_is_reported_per_line(server: str, tmp_path: Path) -> None:
    inp, out = tmp_path / "requests.jsonl", tmp_path / "results.jsonl"
    line = (
        b'{"custom_id": "same", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "echo"}}\n'
    )
    inp.write_bytes(line * 2)  # the Batch API refuses a file with a repeated custom_id
    summary = run_bulk(
        inp, out, base_url=server, via="batch", poll_interval=0.02, max_attempts=2, progress=False
    )
    assert (summary.done, summary.failed, len(summary.batches)) == (0, 2, 2)
    records = [orjson.loads(x) for x in out.read_bytes().splitlines()]
    assert [r["error"]["code"] for r in records] == ["batch_incomplete"] * 2
    assert "failed" in records[0]["error"]["message"] and "more than once" in records[0]["error"]["message"]
