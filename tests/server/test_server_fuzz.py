"""Property-based fuzzing of ``openai-kit serve`` from the OpenAPI spec, with schemathesis.

Schemathesis turns every operation the server implements into a Hypothesis strategy of requests:
bodies, query strings and path parameters that fit the spec (positive) and that break it (negative).
Path parameters are random, or the ids of objects created beforehand, so the handlers behind a
found object run too. Every request must get an answer below 500, every 4xx must be the API's error
object, and afterwards every list must still answer 200, also after a restart on the same data dir.

The default budget is small (``FUZZ_EXAMPLES`` = 400 requests, 40 s on a busy 2-core machine); a longer run::

    OPENAI_KIT_FUZZ_EXAMPLES=5000 python -m pytest tests/server/test_server_fuzz.py -q

(a set ``OPENAI_KIT_FUZZ_EXAMPLES`` also makes the run random instead of repeatable).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings, strategies as st
from schemathesis.generation.modes import GenerationMode
from server_spec_check import load_spec

SRC = str(Path(__file__).resolve().parents[2] / "src")
FUZZ_EXAMPLES = int(os.environ.get("OPENAI_KIT_FUZZ_EXAMPLES", "400"))
#: the operations the local server implements
IMPLEMENTED = (
    r"^/(models|chat/completions|completions|responses|embeddings|moderations|files|uploads|batches"
    r"|evals|containers|skills|content_provenance_checks"
    r"|vector_stores|threads|assistants|images|audio|conversations|fine_tuning)[^?]*$"
)
LISTS = (
    "/models",
    "/assistants",
    "/files",
    "/batches",
    "/vector_stores",
    "/chat/completions",
    "/evals",
    "/containers",
    "/skills",
    "/audio/voice_consents",
)
ERROR_KEYS = {"message", "type", "param", "code"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Served:
    """``openai-kit serve`` in a subprocess, on a free port, keeping state in ``data_dir``."""

    def __init__(self, data_dir: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
        command = ["serve", "--port", str(self.port), "--data-dir", str(data_dir), "--log-level", "warning"]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "openai_kit.cli", *command],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{self.url}/models", timeout=2)
                return
            except httpx.TransportError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("openai-kit serve did not start: " + self.stderr()) from None
                time.sleep(0.1)

    def stderr(self) -> str:
        assert self.proc.stderr is not None
        return (
            self.proc.stderr.read().decode(errors="replace")[-4000:] if self.proc.poll() is not None else ""
        )

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - a hung server
            self.proc.kill()
            self.proc.wait()


def _seed(url: str) -> list[dict[str, str]]:
    """Create one object of every kind; the path-parameter sets that name them."""
    c = httpx.Client(base_url=url, timeout=30)
    aid = c.post("/assistants", json={"model": "echo", "name": "fuzz"}).json()["id"]
    tid = c.post("/threads", json={"messages": [{"role": "user", "content": "hi"}]}).json()["id"]
    mid = c.get(f"/threads/{tid}/messages").json()["data"][0]["id"]
    rid = c.post(f"/threads/{tid}/runs", json={"assistant_id": aid}).json()["id"]
    for _ in range(100):
        run = c.get(f"/threads/{tid}/runs/{rid}").json()
        if run["status"] == "completed":
            break
        time.sleep(0.05)
    steps = c.get(f"/threads/{tid}/runs/{rid}/steps").json()["data"]
    line = {"custom_id": "a", "method": "POST", "url": "/v1/chat/completions"}
    line["body"] = {"model": "echo", "messages": [{"role": "user", "content": "x"}]}
    batch_file = c.post(
        "/files",
        files={"file": ("in.jsonl", json.dumps(line).encode())},
        data={"purpose": "batch"},
    ).json()["id"]
    text_file = c.post(
        "/files", files={"file": ("a.txt", b"the quick brown fox")}, data={"purpose": "assistants"}
    ).json()["id"]
    bid = c.post(
        "/batches",
        json={"input_file_id": batch_file, "endpoint": "/v1/chat/completions", "completion_window": "24h"},
    ).json()["id"]
    vsid = c.post("/vector_stores", json={"name": "fuzz", "file_ids": [text_file]}).json()["id"]
    vsfb = c.post(f"/vector_stores/{vsid}/file_batches", json={"file_ids": [text_file]}).json()["id"]
    cid = c.post(
        "/chat/completions",
        json={"model": "echo", "store": True, "messages": [{"role": "user", "content": "x"}]},
    ).json()["id"]
    resp = c.post("/responses", json={"model": "echo", "input": "hi"}).json()["id"]
    conversation = c.post("/conversations", json={"items": [{"role": "user", "content": "hi"}]}).json()["id"]
    upload = c.post(
        "/uploads", json={"filename": "u.txt", "purpose": "assistants", "bytes": 3, "mime_type": "text/plain"}
    ).json()["id"]
    c.close()
    common = {
        "model": "echo",
        "assistant_id": aid,
        "thread_id": tid,
        "message_id": mid,
        "run_id": rid,
        "step_id": steps[0]["id"] if steps else "step_none",
        "file_id": text_file,
        "vector_store_id": vsid,
        "completion_id": cid,
        "response_id": resp,
        "upload_id": upload,
        "conversation_id": conversation,
    }
    return [{**common, "batch_id": bid}, {**common, "batch_id": vsfb}]


def _api_error(content: bytes) -> bool:
    try:
        error = json.loads(content)["error"]
    except (ValueError, KeyError, TypeError):
        return False
    return (
        isinstance(error, dict)
        and set(error) == ERROR_KEYS
        and isinstance(error["message"], str)
        and isinstance(error["type"], str)
        and (error["param"] is None or isinstance(error["param"], str))
        and (error["code"] is None or isinstance(error["code"], str))
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, Path]]:
    data_dir = tmp_path_factory.mktemp("fuzz-data")
    server = Served(data_dir)
    try:
        yield server, data_dir
    finally:
        server.stop()


def test_fuzz_from_the_spec(served: tuple[Served, Path]) -> None:
    server, data_dir = served
    known = _seed(server.url)
    schema = schemathesis.openapi.from_dict(load_spec()).include(path_regex=IMPLEMENTED)
    strategies: list[st.SearchStrategy[Any]] = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        strategies.append(schema.as_strategy(mode))
        strategies += [schema.as_strategy(mode, path_parameters=ids) for ids in known]
    session = requests.Session()
    failures: list[str] = []
    counts: dict[int, int] = {}

    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        derandomize="OPENAI_KIT_FUZZ_EXAMPLES" not in os.environ,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.one_of(strategies))
    def fuzz(case: Any) -> None:
        try:
            response = case.call(base_url=server.url, session=session, timeout=60)
        except (requests.exceptions.InvalidHeader, requests.exceptions.InvalidURL, UnicodeError):
            return  # requests refuses to send it: nothing reached the server
        status = response.status_code
        counts[status] = counts.get(status, 0) + 1
        if status >= 500 or (status >= 400 and not _api_error(response.content)):
            failures.append(
                f"{case.method} {case.formatted_path} query={case.query!r} body={str(case.body)[:300]}"
                f" -> {status} {response.content[:300]!r}"
            )

    fuzz()
    print(f"fuzzed {sum(counts.values())} requests: {dict(sorted(counts.items()))}")
    assert not failures, f"{len(failures)} bad answers (of {counts}):\n" + "\n".join(failures[:20])
    assert sum(counts.values()) >= FUZZ_EXAMPLES // 2, counts  # the requests were sent
    assert set(counts) & {200, 201} and 400 in counts and 404 in counts, counts  # deep and shallow

    # nothing stored can break a read: every list answers, also after a restart on the same data dir
    _check_lists(server.url, known[0]["thread_id"])
    server.stop()
    restarted = Served(data_dir)
    try:
        _check_lists(restarted.url, known[0]["thread_id"])
        # uvicorn's own errors are the API's too in `openai-kit serve`
        port = restarted.port
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(b"GET /v1/" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = s.recv(65536)
        assert answer.startswith(b"HTTP/1.1 414 "), answer[:200]
        assert _api_error(answer.partition(b"\r\n\r\n")[2])
    finally:
        restarted.stop()


def _check_lists(url: str, thread_id: str) -> None:
    for path in LISTS:
        r = httpx.get(url + path, params={"limit": 100}, timeout=30)
        assert r.status_code == 200, (path, r.text[:300])
    r = httpx.get(f"{url}/threads/{thread_id}/messages", timeout=30)
    assert r.status_code in (200, 404), r.text[:300]  # 404: the fuzzer deleted the thread


def test_implemented_operations_are_fuzzed() -> None:
    """The filter selects every route family of the server (a renamed path would drop out silently)."""
    schema = schemathesis.openapi.from_dict(load_spec()).include(path_regex=IMPLEMENTED)
    paths = {op.ok().path for op in schema.get_all_operations()}
    for family in ("/assistants", "/threads/{thread_id}/runs", "/vector_stores/{vector_store_id}/search"):
        assert family in paths
    assert all(re.match(IMPLEMENTED, p) for p in paths)
    assert len(paths) >= 40
