"""Every python block of README.md runs unchanged against ``openai-kit serve`` (a real server process;
OPENAI_BASE_URL and OPENAI_API_KEY in the environment, as a user would set them).

Each block runs in its own namespace that starts as the README's first example leaves it
(``from openai_kit import OpenAI; client = OpenAI()``), so snippets that use ``client`` run as written and
a block that makes a client of its own (Azure, a mock transport) does not change the others. A block that needs what cannot exist offline is preceded in the README by
``<!-- readme-test: skip (reason) -->``; those stay few."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = str(ROOT / "src")
BLOCK = re.compile(
    r"(?:<!-- readme-test: skip \((?P<reason>[^)]+)\) -->\n)?```python\n(?P<code>.*?)```", re.S
)

RUNNER = """
import json, sys, traceback
blocks = json.load(open(sys.argv[1]))
for number, code in blocks:
    print(f"\\n--- block {number}", flush=True)
    try:
        from openai_kit import OpenAI
        namespace = {"__name__": "__main__", "OpenAI": OpenAI, "client": OpenAI()}
        exec(compile(code, f"README.md block {number}", "exec"), namespace)
    except BaseException:
        traceback.print_exc()
        print(f"\\nFAILED block {number}", flush=True)
        sys.exit(1)
print("\\nALL BLOCKS RAN", flush=True)
"""


def readme_blocks() -> list[tuple[int, str, str | None]]:
    text = (ROOT / "README.md").read_text()
    return [(i, m["code"], m["reason"]) for i, m in enumerate(BLOCK.finditer(text), 1)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "PYTEST_"))}
    env.update(PYTHONPATH=SRC, HOME=str(home), **extra)
    return env


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``openai-kit serve`` in its own process, as the README says to run it."""
    home = tmp_path_factory.mktemp("serve")
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "openai_kit.cli", "serve", "--port", str(port), "--log-level", "warning"],
        cwd=home,
        env=_env(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/models", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"openai-kit serve did not start: {proc.stderr.read() if proc.stderr else ''}"
                )
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()


def test_skip_markers_are_few_and_explained() -> None:
    blocks = readme_blocks()
    skipped = [(n, reason) for n, _, reason in blocks if reason]
    assert len(blocks) >= 6
    assert len(skipped) <= 3, skipped
    assert all(len(reason) > 10 for _, reason in skipped)


def test_readme_python_blocks_run_against_openai_kit_serve(tmp_path: Path, served: str) -> None:
    blocks = [(n, code) for n, code, reason in readme_blocks() if not reason]
    (tmp_path / "blocks.json").write_text(json.dumps(blocks))
    (tmp_path / "runner.py").write_text(RUNNER)
    result = subprocess.run(
        [sys.executable, "runner.py", "blocks.json"],
        cwd=tmp_path,
        env=_env(tmp_path, OPENAI_BASE_URL=served, OPENAI_API_KEY="sk-readme"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0 and "ALL BLOCKS RAN" in result.stdout, (
        result.stdout[-3000:] + result.stderr[-3000:]
    )
    assert "Hi" in result.stdout  # the first example printed the local server's reply
    assert "Traceback" not in result.stderr and "Unclosed" not in result.stderr
