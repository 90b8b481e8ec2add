"""``openai-kit proxy`` as a real process: configuration, large uploads and downloads in flat memory, logs."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import openai
import psutil
import pytest

from openai_kit.proxy import token_id

from .support import TOKEN, UPSTREAM_KEY, Upstream, pattern, pattern_sha256, proxy_process

SIZE = 96 * 1024 * 1024  # large next to the proxy's own footprint (~50 MB), small enough to stay quick
MiB = 1024 * 1024


@contextmanager
def peak_rss(pid: int) -> Iterator[dict[str, int]]:
    """Samples the RSS of ``pid`` every 5 ms while the block runs; yields {"base", "peak"}."""
    proc = psutil.Process(pid)
    result = {"base": proc.memory_info().rss, "peak": 0}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            result["peak"] = max(result["peak"], proc.memory_info().rss)
            stop.wait(0.005)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield result
    finally:
        stop.set()
        thread.join()
        result["peak"] = max(result["peak"], proc.memory_info().rss)


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env.update(extra)
    return env


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    (tmp_path / ".openai").write_text(json.dumps({"apiKey": UPSTREAM_KEY, "organizationId": "org-from-file"}))
    (tmp_path / "tokens.txt").write_text(f"{TOKEN}\n")
    return tmp_path


def test_large_upload_and_download_in_flat_memory(
    upstream: tuple[Upstream, str], config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state, url = upstream
    state.reset()
    big = config_dir / "big.jsonl"
    with open(big, "wb") as f:
        for part in pattern(SIZE):
            f.write(part)
    log_path = str(config_dir / "proxy.log")
    for name in list(os.environ):
        if name.startswith("OPENAI_"):
            monkeypatch.delenv(name)
    args = [
        "--upstream",
        f"{url}/v1",
        "--token-file",
        str(config_dir / "tokens.txt"),
        "--config",
        str(config_dir / ".openai"),
        # A file of exactly the limit uploads: the multipart framing around it has its own allowance.
        "--max-body-size",
        f"{SIZE // MiB}M",
    ]
    with proxy_process(args, clean_env(), log_path) as (base, pid):
        client = openai.OpenAI(api_key=TOKEN, base_url=f"{base}/v1", max_retries=0)
        client.models.list()  # warm up: the upstream session exists before the baseline is taken

        with peak_rss(pid) as upload_mem, open(big, "rb") as f:
            created = client.files.create(file=f, purpose="batch")
        rec = state.received[-1]
        assert rec.headers["authorization"] == f"Bearer {UPSTREAM_KEY}"
        assert rec.headers["openai-organization"] == "org-from-file"
        assert created.bytes == rec.size and SIZE < rec.size < SIZE + 1024
        # The multipart body is prefix + file + suffix: check every byte arrived intact.
        prefix = rec.head[: rec.head.index(bytes(range(256)))]
        suffix = rec.tail[len(rec.tail) - (rec.size - len(prefix) - SIZE) :]
        h = hashlib.sha256(prefix)
        for part in pattern(SIZE):
            h.update(part)
        h.update(suffix)
        assert h.hexdigest() == rec.sha256

        with peak_rss(pid) as download_mem:
            digest = hashlib.sha256()
            received = 0
            with client.with_streaming_response.files.content(f"file-{SIZE}") as response:
                for part in response.iter_bytes(1024 * 1024):
                    digest.update(part)
                    received += len(part)
        assert received == SIZE
        assert digest.hexdigest() == pattern_sha256(SIZE)

    grown = {
        k: (m["peak"] - m["base"]) / MiB for k, m in (("upload", upload_mem), ("download", download_mem))
    }
    # Buffering would grow the proxy by ~96 MiB; streaming keeps it to a few buffers.
    print("proxy RSS growth MiB", grown)
    assert grown["upload"] < 24 and grown["download"] < 24, grown

    time.sleep(0.1)
    log = Path(log_path).read_text()
    assert UPSTREAM_KEY not in log and TOKEN not in log
    tid = token_id(TOKEN)
    upload_line = next(line for line in log.splitlines() if "POST /v1/files 200" in line)
    assert f"token={tid}" in upload_line and f"in={rec.size}" in upload_line
    assert any(
        f"GET /v1/files/file-{SIZE}/content 200" in line and f"out={SIZE}" in line
        for line in log.splitlines()
    )


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    src = os.path.join(os.path.dirname(__file__), "..", "..", "src")
    env = clean_env(PYTHONPATH=os.path.abspath(src), HOME=str(cwd))
    return subprocess.run(
        [sys.executable, "-m", "openai_kit.cli", "proxy", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_cli_explains_configuration_errors(tmp_path: Path) -> None:
    (tmp_path / "tokens.txt").write_text(f"{TOKEN}\n")
    no_key = run_cli("--token-file", "tokens.txt", cwd=tmp_path)
    assert no_key.returncode == 2
    assert "No API key found" in no_key.stderr and "OPENAI_API_KEY" in no_key.stderr
    (tmp_path / ".openai").write_text(f"OPENAI_API_KEY={UPSTREAM_KEY}\n")
    no_auth = run_cli(cwd=tmp_path)
    assert no_auth.returncode == 2 and "token file (--token-file) or an auth hook (--auth)" in no_auth.stderr
    assert "--allow-anonymous" in no_auth.stderr and "allow_anonymous" not in no_auth.stderr
    bad_flag = run_cli("--token-file", "tokens.txt", "--header-timeout", "0", cwd=tmp_path)
    assert bad_flag.returncode == 2 and "--header-timeout" in bad_flag.stderr
    zero_rate = run_cli("--allow-anonymous", "--rate-limit", "0", cwd=tmp_path)
    assert zero_rate.returncode == 2 and "--rate-limit must be positive" in zero_rate.stderr
    bad_hook = run_cli("--auth", "nowhere_module_xyz:check", cwd=tmp_path)
    assert bad_hook.returncode == 2 and "cannot import" in bad_hook.stderr and "--auth" in bad_hook.stderr
    help_text = run_cli("--help", cwd=tmp_path).stdout
    for flag in (
        "--max-header-size",
        "--max-request-line",
        "--header-timeout",
        "--max-concurrent-per-token",
        "--max-connections",
        "--upstream-wait",
        "--max-upstream-header-size",
    ):
        assert flag in help_text
    for result in (no_key, no_auth, bad_hook):
        assert UPSTREAM_KEY not in result.stderr + result.stdout
