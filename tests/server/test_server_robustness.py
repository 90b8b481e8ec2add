"""API keys, error objects, oversized bodies, concurrency, client disconnects, restart persistence,
the scripted model and the ``openai-kit serve`` command."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import openai
import pytest
from server_spec_check import SpecChecker, make_client

from openai_kit.server.testing import run_server

pytestmark = pytest.mark.filterwarnings(
    "ignore:.*Assistants API.*:DeprecationWarning", "ignore:deprecated:DeprecationWarning"
)

SRC = str(Path(__file__).resolve().parents[2] / "src")


def test_api_key_required_when_configured(checked: SpecChecker) -> None:
    with run_server(api_key="sk-right-key") as url:
        good = make_client(url, checked, api_key="sk-right-key")
        assert good.models.list().data
        bad = make_client(url, checked, api_key="sk-wrong-key-123")
        with pytest.raises(openai.AuthenticationError) as info:
            bad.models.list()
        assert info.value.code == "invalid_api_key"
        body = httpx.get(f"{url}/models").json()
        assert set(body["error"]) == {"message", "type", "param", "code"}


def test_any_key_accepted_by_default(client: openai.OpenAI, server_url: str) -> None:
    assert httpx.get(f"{server_url}/models", headers={"Authorization": "Bearer whatever"}).status_code == 200
    assert httpx.get(f"{server_url}/models").status_code == 200


def test_error_objects(server_url: str, spec_checker: SpecChecker) -> None:
    cases = [
        ("POST", "/chat/completions", b"{not json", 400, None),
        ("POST", "/chat/completions", b'{"model": "echo"}', 400, "messages"),
        (
            "POST",
            "/chat/completions",
            b'{"model": "echo", "messages": [{"role": "user"}]}',
            400,
            "messages[0].content",
        ),
        (
            "POST",
            "/chat/completions",
            b'{"model": "echo", "messages": [{"role": "user", "content": "x"}], "n": 0}',
            400,
            "n",
        ),
        (
            "POST",
            "/embeddings",
            b'{"model": "hash-embedding", "input": "x", "encoding_format": "hex"}',
            400,
            "encoding_format",
        ),
        ("GET", "/files/file-missing", b"", 404, "file_id"),
        ("GET", "/threads/thread_missing/runs", b"", 404, "thread_id"),
        ("GET", "/no/such/route", b"", 404, None),
        ("GET", "/files?limit=0", b"", 400, "limit"),
    ]
    for method, path, body, status, param in cases:
        r = httpx.request(
            method, server_url + path, content=body, headers={"content-type": "application/json"}
        )
        assert r.status_code == status, (path, r.text)
        err = r.json()["error"]
        assert set(err) == {"message", "type", "param", "code"} and err["message"]
        assert err["param"] == param, (path, err)
        assert not spec_checker.errors("#/components/schemas/ErrorResponse", r.json())


def test_oversized_body_refused_before_reading(checked: SpecChecker) -> None:
    with run_server(max_body_bytes=1000, max_upload_bytes=2000) as url:
        host, port = url.split("//")[1].split("/")[0].split(":")
        # announce 10 GB but send nothing: the answer must come without the body being read
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(
                b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 10000000000\r\n\r\n"
            )
            reply = sock.recv(65536).decode()
        assert reply.startswith("HTTP/1.1 413"), reply
        assert '"code":"request_too_large"' in reply

        # a chunked body without a length is cut off once it passes the limit
        def chunks() -> object:
            for _ in range(100):
                yield b"x" * 100

        r = httpx.post(f"{url}/chat/completions", content=chunks())  # type: ignore[arg-type]
        assert r.status_code == 413
        client = make_client(url, checked)
        with pytest.raises(openai.APIStatusError) as info:
            client.files.create(file=("big.bin", b"x" * 5000), purpose="user_data")
        assert info.value.status_code == 413
        assert client.files.list().data == []


def test_concurrent_requests_keep_state_consistent(client: openai.OpenAI) -> None:
    store = client.vector_stores.create(name="concurrent")
    suite = f"concurrent-{uuid.uuid4().hex[:8]}"  # the server is shared by both clients' runs
    files = [
        client.files.create(file=(f"c{i}.txt", f"text number {i}".encode()), purpose="assistants")
        for i in range(8)
    ]
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            client.vector_stores.files.create(vector_store_id=store.id, file_id=files[i].id)
            client.chat.completions.create(
                model="echo",
                messages=[{"role": "user", "content": f"c{i}"}],
                store=True,
                metadata={"suite": suite},
            )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert client.vector_stores.retrieve(store.id).file_counts.completed == 8
    stored = list(client.chat.completions.list(metadata={"suite": suite}))
    assert sorted(c.choices[0].message.content or "" for c in stored) == sorted(f"c{i}" for i in range(8))


def test_run_and_batch_survive_client_disconnect(client: openai.OpenAI, server_url: str) -> None:
    assistant = client.beta.assistants.create(model="echo")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "still here " * 50}])
    with httpx.stream(
        "POST", f"{server_url}/threads/{thread.id}/runs", json={"assistant_id": assistant.id, "stream": True}
    ) as r:
        first = next(r.iter_lines())
        assert first.startswith("event: thread.run.created")
    # the connection is closed: the run must still finish
    deadline = time.monotonic() + 10
    while True:
        runs = client.beta.threads.runs.list(thread.id).data
        if runs and runs[0].status == "completed":
            break
        assert time.monotonic() < deadline, runs[0].status if runs else "no run"
        time.sleep(0.02)
    line = json.dumps({"custom_id": "x", "method": "POST", "url": "/v1/moderations", "body": {"input": "hi"}})
    f = client.files.create(file=("b.jsonl", line.encode()), purpose="batch")
    with httpx.Client() as raw:
        batch_id = raw.post(
            f"{server_url}/batches",
            json={"input_file_id": f.id, "endpoint": "/v1/moderations", "completion_window": "24h"},
        ).json()["id"]
    deadline = time.monotonic() + 10
    while client.batches.retrieve(batch_id).status != "completed":
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_state_survives_restart_with_data_dir(tmp_path: Path, checked: SpecChecker) -> None:
    data_dir = tmp_path / "state"
    with run_server(data_dir=data_dir) as url:
        c = make_client(url, checked)
        f = c.files.create(file=("keep.txt", b"persistent bytes about cats"), purpose="assistants")
        store = c.vector_stores.create(name="kept", file_ids=[f.id])
        completion = c.chat.completions.create(
            model="echo", messages=[{"role": "user", "content": "remember"}], store=True
        )
        assistant = c.beta.assistants.create(model="echo", name="kept")
        resp = c.responses.create(model="echo", input="first turn")
    with run_server(data_dir=data_dir) as url:
        c = make_client(url, checked)
        assert c.files.content(f.id).read() == b"persistent bytes about cats"
        assert c.vector_stores.retrieve(store.id).file_counts.completed == 1
        assert next(iter(c.vector_stores.search(store.id, query="cats"))).file_id == f.id
        assert c.chat.completions.retrieve(completion.id).choices[0].message.content == "remember"
        assert c.beta.assistants.retrieve(assistant.id).name == "kept"
        follow = c.responses.create(model="echo", input="second turn", previous_response_id=resp.id)
        assert follow.output_text == "second turn"


def test_scripted_model(tmp_path: Path, checked: SpecChecker) -> None:
    script = tmp_path / "script.json"
    script.write_text(
        json.dumps(
            [
                {"tool_calls": [{"name": "lookup", "arguments": {"q": "weather"}}]},
                "It is sunny.",
            ]
        )
    )
    with run_server(script_path=script) as url:
        c = make_client(url, checked)
        tools = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]
        r = c.chat.completions.create(
            model="scripted", messages=[{"role": "user", "content": "?"}], tools=tools
        )  # type: ignore[list-item]
        call = r.choices[0].message.tool_calls[0]  # type: ignore[index]
        assert call.function.name == "lookup" and json.loads(call.function.arguments) == {"q": "weather"}  # type: ignore[union-attr]
        r2 = c.chat.completions.create(
            model="scripted",
            tools=tools,
            messages=[  # type: ignore[list-item]
                {"role": "user", "content": "?"},
                r.choices[0].message.model_dump(exclude_none=True),  # type: ignore[list-item]
                {"role": "tool", "tool_call_id": call.id, "content": "ok"},
            ],
        )
        assert r2.choices[0].message.content == "It is sunny."


def test_serve_command(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "openai_kit.cli",
            "serve",
            "--port",
            str(port),
            "--api-key",
            "sk-cli",
            "--data-dir",
            str(tmp_path / "d"),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                r = httpx.get(
                    f"http://127.0.0.1:{port}/v1/models", headers={"Authorization": "Bearer sk-cli"}
                )
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read()  # type: ignore[union-attr]
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert r.status_code == 200
        c = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="sk-cli", max_retries=0)
        assert (
            "".join(
                ch.choices[0].delta.content or ""
                for ch in c.chat.completions.create(
                    model="echo", messages=[{"role": "user", "content": "Hello"}], stream=True
                )
                if ch.choices
            )
            == "Hello"
        )
        assert (tmp_path / "d" / "state.sqlite3").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
