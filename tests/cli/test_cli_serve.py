"""``openai-kit serve --model-map``: bad entries name the flag; a mapped name is served and listed."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .support import clean_env, run_cli


@pytest.mark.parametrize(
    ("entry", "problem"),
    [("gpt-4o", "expected NAME=BUILTIN"), ("gpt-4o=no-such-model", "no such built-in model")],
)
def test_bad_model_map_names_the_flag(tmp_path: Path, entry: str, problem: str) -> None:
    result = run_cli("serve", "--port", "1", "--model-map", entry, cwd=tmp_path)
    assert result.returncode == 2
    assert "--model-map" in result.stderr and problem in result.stderr
    assert "Traceback" not in result.stderr


def test_served_model_map(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "openai_kit.cli",
            "serve",
            "--port",
            str(port),
            "--model-map",
            "gpt-4o=tool-caller",
            "--model-map",
            "house-embedder=hash-embedding",
            "--log-level",
            "warning",
        ],
        cwd=tmp_path,
        env=clean_env(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/models", timeout=2) as r:
                    ids = [m["id"] for m in json.load(r)["data"]]
                    break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "serve did not start"
                time.sleep(0.1)
        assert "gpt-4o" in ids and "house-embedder" in ids
        body = {
            "model": "gpt-4o",
            "messages": [{"role": "user", "content": "weather?"}],
            "tools": [
                {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
            ],
        }
        req = urllib.request.Request(
            f"{url}/chat/completions",
            data=json.dumps(body).encode(),
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            reply = json.load(r)
        assert reply["model"] == "gpt-4o"
        assert reply["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == "get_weather"
    finally:
        proc.terminate()
        proc.wait(10)
