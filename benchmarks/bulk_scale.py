"""Figures for the bulk runner (issue 16): peak memory by request count, and kill-and-resume at scale.

    python benchmarks/bulk_scale.py memory 10000 100000     # peak RSS of `openai-kit bulk run`, fast upstream
    python benchmarks/bulk_scale.py resume 10000            # direct engine, SIGKILL half-way, rerun
    python benchmarks/bulk_scale.py resume 10000 --via batch --batch-size 1000

``memory`` runs against benchmarks/fake_server.py (never the bottleneck); ``resume`` against the local
server (openai_kit.server.testing.run_server), which also executes batches. Peak RSS is the bulk
process's own (``ru_maxrss`` of the only child process this script waits for).
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory

import orjson

ROOT = Path(__file__).resolve().parents[1]


def write_input(path: Path, n: int, model: str) -> list[str]:
    ids = [f"req-{i}" for i in range(n)]
    with path.open("wb") as f:
        for i, cid in enumerate(ids):
            body = {"model": model, "messages": [{"role": "user", "content": f"request number {i}"}]}
            f.write(
                orjson.dumps(
                    {"custom_id": cid, "method": "POST", "url": "/v1/chat/completions", "body": body}
                )
            )
            f.write(b"\n")
    return ids


def bulk(*args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "OPENAI_API_KEY": "sk-bench"}
    return subprocess.Popen(
        [sys.executable, "-m", "openai_kit.cli", "bulk", "run", *args, "--no-progress"],
        env=env,
        stderr=subprocess.PIPE,
    )


def memory(counts: list[int]) -> None:
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "benchmarks" / "fake_server.py"), "--files", "10", "--lifetime", "900"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline().split()[1])
        for n in counts:
            with TemporaryDirectory() as tmp:
                inp, out = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
                write_input(inp, n, "gpt-4o-mini")
                t = time.monotonic()
                proc = bulk(str(inp), "--out", str(out), "--base-url", f"http://127.0.0.1:{port}/v1")
                _, err = proc.communicate()
                seconds = time.monotonic() - t
                peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
                lines = out.read_bytes().count(b"\n")
                print(
                    f"{n:>9,} requests: {lines:,} lines, {seconds:.1f} s ({n / seconds:,.0f}/s), "
                    f"peak RSS of the largest run so far {peak_kib / 1024:.1f} MiB; {err.decode().strip()}"
                )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait()


def resume(n: int, via: str, batch_size: int) -> None:
    from openai_kit.server.testing import run_server

    with run_server() as url, TemporaryDirectory() as tmp:
        inp, out = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
        ids = write_input(inp, n, "echo")
        args = [str(inp), "--out", str(out), "--base-url", url, "--via", via, "--batch-size", str(batch_size)]
        args += ["--poll-interval", "0.2"]
        t = time.monotonic()
        first = bulk(*args)
        while out.exists() is False or out.read_bytes().count(b"\n") < n // 2:
            assert first.poll() is None, first.communicate()[1]
            time.sleep(0.01)
        first.send_signal(signal.SIGKILL)
        first.wait()
        at_kill = out.read_bytes().count(b"\n")
        second = bulk(*args)
        _, err = second.communicate()
        seconds = time.monotonic() - t
        records = [orjson.loads(line) for line in out.read_bytes().splitlines()]
        got = [r["custom_id"] for r in records]
        ok = sum(1 for r in records if (r.get("response") or {}).get("status_code") == 200)
        print(
            f"{via}: {n:,} requests, SIGKILL at {at_kill:,} lines, resumed: {len(got):,} lines, "
            f"{len(set(got)):,} distinct custom_ids, input order kept: {got == ids}, status 200: {ok:,}; "
            f"{seconds:.1f} s in all\n  {err.decode().strip()}"
        )


def main() -> None:
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="what", required=True)
    m = sub.add_parser("memory")
    m.add_argument("counts", type=int, nargs="+")
    r = sub.add_parser("resume")
    r.add_argument("n", type=int)
    r.add_argument("--via", choices=["direct", "batch"], default="direct")
    r.add_argument("--batch-size", type=int, default=1000)
    a = p.parse_args()
    if a.what == "memory":
        memory(a.counts)
    else:
        resume(a.n, a.via, a.batch_size)


if __name__ == "__main__":
    main()
