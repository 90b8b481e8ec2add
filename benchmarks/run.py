"""Benchmark orchestrator: `python -m benchmarks [--quick]` (or `python benchmarks/run.py`).

1. Starts the fake OpenAI server (benchmarks/fake_server.py) pinned to one core.
2. For every scenario, runs every client in a fresh process pinned to the other core, interleaved
   (A, B, C, then B, C, A, ...) for several repetitions, so slow drifts in machine load hit every client alike.
3. Writes results.json (every sample) and RESULTS.md (medians, per-unit figures, ratios to the official SDK,
   targets) to the output directory (benchmarks/ for a full run).

`--quick` runs a small version of every scenario, one process per client running all its scenarios in a row
(import first, in a fresh interpreter, then construction, then the rest). It is a smoke test: it proves every
client x scenario works and the report is produced; its figures mean little.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from benchmarks import payloads
from benchmarks.clients import CLIENTS
from benchmarks.report import aggregate, render_markdown

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
WORKER = BENCH_DIR / "worker.py"
SERVER = BENCH_DIR / "fake_server.py"
RESULT_PREFIX = "RESULT "
MiB = 1024 * 1024

SYNC = ("openai-kit", "openai", "httpx", "urllib3")
ASYNC = ("openai-kit-async", "openai-async", "openai-async-aiohttp", "httpx-async", "aiohttp")
KIT_CLIENTS = ("openai-kit", "openai-kit-async")
QUICK_PARALLEL = 3
KIT_PROBE = "import openai_kit; c = openai_kit.OpenAI(api_key='x'); c.chat.completions"


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    driver: str
    clients: tuple[str, ...]
    full: dict[str, Any]
    quick: dict[str, Any]
    reps: int  # repetitions in a full run
    per: str  # what one unit is
    scale: float  # display multiplier for per-unit times
    scale_unit: str  # "ms" | "us"
    timeout: float = 300.0  # seconds, one full-mode process

    def params(self, quick: bool) -> dict[str, Any]:
        return dict(self.quick if quick else self.full)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "import", "Import time", "import",
        ("openai-kit", "openai-kit-async", "openai", "httpx", "aiohttp"),
        {}, {}, reps=5, per="import", scale=1e3, scale_unit="ms", timeout=120,
    ),
    Scenario(
        "cold_chat", "Process start to first chat completion (whole process)", "cold",
        ("openai-kit", "openai", "urllib3", "urllib3-pydantic"), {"call": "chat"}, {"call": "chat"},
        reps=5, per="process", scale=1e3, scale_unit="ms", timeout=120,
    ),
    Scenario(
        "cold_responses", "Process start to first responses.create (whole process)", "cold",
        ("openai-kit", "openai", "urllib3", "urllib3-pydantic"), {"call": "responses"}, {"call": "responses"},
        reps=5, per="process", scale=1e3, scale_unit="ms", timeout=120,
    ),
    Scenario(
        "construct", "Client construction (first client in the process)", "construct",
        (*SYNC, *ASYNC), {"warm": 10}, {"warm": 3}, reps=5, per="client", scale=1e3, scale_unit="ms", timeout=120,
    ),
    Scenario(
        "chat", "Chat completions, sequential", "chat", SYNC,
        {"n": 2000, "max_seconds": 6}, {"n": 40, "max_seconds": 1}, reps=3, per="request", scale=1e6, scale_unit="us",
    ),
    Scenario(
        "chat_concurrent", "Chat completions, concurrency 100 (async)", "chat_concurrent", (*ASYNC, "aiohttp-pydantic"),
        {"n": 5000, "concurrency": 100, "max_seconds": 8}, {"n": 200, "concurrency": 100, "max_seconds": 1},
        reps=3, per="request", scale=1e6, scale_unit="us",
    ),
    Scenario(
        "stream", "Streamed chat completion", "stream", (*SYNC, *ASYNC),
        {"chunks": 20_000}, {"chunks": 400}, reps=3, per="chunk", scale=1e6, scale_unit="us",
    ),
    Scenario(
        "stream_concurrent", "1,000 concurrent streamed chat completions (async)", "stream_concurrent",
        ("openai-kit-async", "aiohttp"), {"streams": 1000, "chunks": 100}, {"streams": 50, "chunks": 20},
        reps=3, per="chunk", scale=1e6, scale_unit="us",
    ),
    Scenario(
        "embeddings_float", "Embeddings 2048x1536, encoding_format=float", "embeddings", SYNC,
        {"count": 2048, "encoding_format": "float"}, {"count": 32, "encoding_format": "float"},
        reps=3, per="request", scale=1e3, scale_unit="ms",
    ),
    Scenario(
        "embeddings_base64", "Embeddings 2048x1536, encoding_format=base64", "embeddings", SYNC,
        {"count": 2048, "encoding_format": "base64"}, {"count": 32, "encoding_format": "base64"},
        reps=3, per="request", scale=1e3, scale_unit="ms",
    ),
    Scenario(
        "embeddings_default", "Embeddings 2048x1536, encoding_format omitted (floats)", "embeddings", SYNC,
        {"count": 2048, "encoding_format": None}, {"count": 32, "encoding_format": None},
        reps=3, per="request", scale=1e3, scale_unit="ms",
    ),
    Scenario(
        "list_files", "List files, auto-pagination (limit=100)", "list_files", SYNC,
        {"files": 10_000, "page_size": 100}, {"files": 300, "page_size": 100},
        reps=3, per="item", scale=1e6, scale_unit="us",
    ),
    Scenario(
        "upload", "Upload a file (multipart)", "upload", (*SYNC[:3], "openai-kit-async", "aiohttp"),
        {"size": 512 * MiB}, {"size": 4 * MiB}, reps=3, per="file", scale=1e3, scale_unit="ms",
    ),
    Scenario(
        "download", "Download file content to disk", "download",
        (*SYNC, "openai-kit-async", "aiohttp"),
        {"size": 256 * MiB}, {"size": 4 * MiB}, reps=3, per="file", scale=1e3, scale_unit="ms",
    ),
)  # fmt: skip
# First use of another API area in a running process (after one chat completion): one scenario per area,
# each a fresh process, so no area is flattered by modules an earlier one imported.
FIRST_AREAS = (
    "responses",
    "batches",
    "fine_tuning",
    "vector_stores",
    "moderations",
    "embeddings",
    "models",
    "files",
)
SCENARIOS += tuple(
    Scenario(
        f"first_{area}", f"First {area} call in a running process", "first_area", ("openai-kit", "openai"),
        {"area": area}, {"area": area}, reps=3, per="call", scale=1e3, scale_unit="ms", timeout=120,
    )
    for area in FIRST_AREAS
)  # fmt: skip
SCENARIO_BY_NAME = {s.name: s for s in SCENARIOS}

# Cold start: what a script does from process start to its first result, per client (`{base_url}` and
# `{api_key}` are filled in). The worker runs it first thing and reports the whole process's CPU.
_KIT_OR_SDK = "from {pkg} import OpenAI\nclient = OpenAI(api_key='{{api_key}}', base_url='{{base_url}}')\n"
_URLLIB3 = (
    "import orjson, urllib3\n"
    "http = urllib3.PoolManager()\n"
    "def call(path, body):\n"
    "    r = http.request('POST', '{{base_url}}' + path, body=orjson.dumps(body),\n"
    "                     headers={{{{'authorization': 'Bearer {{api_key}}', 'content-type': 'application/json'}}}})\n"
    "    assert r.status == 200, r.status\n"
    "    return orjson.loads(r.data)\n"
)
_CHAT = "model='gpt-4o-mini', messages=[{{'role': 'user', 'content': 'Say hello'}}]"
COLD: dict[str, dict[str, str]] = {
    "chat": {
        "openai-kit": _KIT_OR_SDK.format(pkg="openai_kit")
        + f"assert client.chat.completions.create({_CHAT}).choices[0].message.content\n",
        "openai": _KIT_OR_SDK.format(pkg="openai")
        + f"assert client.chat.completions.create({_CHAT}).choices[0].message.content\n",
        "urllib3": _URLLIB3.format()
        + f"assert call('/chat/completions', dict({_CHAT}))['choices'][0]['message']['content']\n",
        "urllib3-pydantic": "from benchmarks.clients.typed_models import ChatCompletion\n"
        + _URLLIB3.format()
        + f"data = call('/chat/completions', dict({_CHAT}))\n"
        + "assert ChatCompletion.model_validate(data).choices[0].message.content\n",
    },
    "responses": {
        "openai-kit": _KIT_OR_SDK.format(pkg="openai_kit")
        + "assert client.responses.create(model='gpt-4o-mini', input='Say hello').output_text\n",
        "openai": _KIT_OR_SDK.format(pkg="openai")
        + "assert client.responses.create(model='gpt-4o-mini', input='Say hello').output_text\n",
        "urllib3": _URLLIB3.format()
        + "out = call('/responses', {{'model': 'gpt-4o-mini', 'input': 'Say hello'}})['output']\n"
        + "assert out[0]['content'][0]['text']\n",
        "urllib3-pydantic": "from benchmarks.clients.typed_models import Response\n"
        + _URLLIB3.format()
        + "data = call('/responses', {{'model': 'gpt-4o-mini', 'input': 'Say hello'}})\n"
        + "assert Response.model_validate(data).output[0].content[0].text\n",
    },
}


@dataclass
class Pinning:
    server_prefix: list[str] = field(default_factory=list)
    client_prefix: list[str] = field(default_factory=list)
    note: str = "not pinned"

    @classmethod
    def detect(cls, enabled: bool) -> Pinning:
        if not enabled:
            return cls(note="not pinned (--no-pin)")
        taskset = shutil.which("taskset")
        if taskset is None:
            return cls(note="not pinned (taskset not found)")
        cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
        if len(cpus) < 2:
            return cls(note=f"not pinned (only {len(cpus)} CPU available)")
        server, client = cpus[0], cpus[1]
        return cls(
            [taskset, "-c", str(server)],
            [taskset, "-c", str(client)],
            f"server on CPU {server}, clients on CPU {client} (taskset)",
        )


def worker_env() -> dict[str, str]:
    env = dict(os.environ)
    for key in list(env):
        if key.upper() in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY") or key.startswith("OPENAI_"):
            del env[key]
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env["PYTHONUNBUFFERED"] = "1"
    if importlib.util.find_spec("openai_kit") is None and (REPO / "src" / "openai_kit").is_dir():
        paths = [str(REPO / "src"), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
        env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def probe_kit(env: dict[str, str]) -> tuple[bool, str]:
    """Is openai-kit usable (importable, with its client and generated chat resource)?"""
    try:
        proc = subprocess.run(
            [sys.executable, "-c", KIT_PROBE], env=env, cwd=REPO, capture_output=True, text=True, timeout=60
        )
    except subprocess.TimeoutExpired:
        return False, "probe timed out"
    if proc.returncode == 0:
        return True, ""
    lines = proc.stderr.strip().splitlines()
    return False, lines[-1] if lines else f"exit code {proc.returncode}"


def package_versions() -> dict[str, str]:
    from importlib import metadata

    out: dict[str, str] = {"python": platform.python_version()}
    for name in ("openai", "httpx", "httpx2", "aiohttp", "orjson", "pydantic", "uvloop", "httptools"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    try:
        out["openai-kit"] = metadata.version("openai-kit")
    except metadata.PackageNotFoundError:
        version_file = REPO / "src" / "openai_kit" / "_version.py"
        if version_file.exists():
            text = version_file.read_text()
            out["openai-kit"] = text.split('"')[1] if '"' in text else "unknown"
    return out


class Server:
    def __init__(self, pin: Pinning, env: dict[str, str], quick: bool) -> None:
        files = SCENARIO_BY_NAME["list_files"].params(quick)["files"]
        chunks = SCENARIO_BY_NAME["stream"].params(quick)["chunks"]
        count = SCENARIO_BY_NAME["embeddings_float"].params(quick)["count"]
        cmd = [
            *pin.server_prefix, sys.executable, str(SERVER), "--port", "0", "--files", str(files),
            "--stream-chunks", str(chunks), "--embeddings", f"{count}x{payloads.EMBEDDING_DIMS}",
            "--lifetime", "3600",
        ]  # fmt: skip
        self.proc = subprocess.Popen(
            cmd, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # blocks until READY (or the server dies: EOF)
        if not line.startswith("READY "):
            self.stop()
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise RuntimeError(f"fake server did not start: {line!r} {err[-2000:]}")
        self.port = int(line.split()[1])
        self.base_url = f"http://127.0.0.1:{self.port}/v1"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


class Runner:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.quick: bool = args.quick
        self.env = worker_env()
        self.pin = Pinning.detect(not args.no_pin)
        self.samples: list[dict[str, Any]] = []
        self.started = time.perf_counter()
        self.tmp = Path(tempfile.mkdtemp(prefix="openai-kit-bench-"))
        self.server: Server | None = None
        self.budget: float = args.budget
        self.rounds: dict[str, int] = {}

    def log(self, message: str) -> None:
        print(f"[{time.perf_counter() - self.started:7.1f}s] {message}", file=sys.stderr, flush=True)

    def scenario_params(self, scenario: Scenario) -> dict[str, Any]:
        params = scenario.params(self.quick)
        if scenario.driver == "upload":
            params["path"] = str(self.upload_file(int(params["size"])))
            params["warmup_path"] = str(self.upload_file(4096))
        return params

    def upload_file(self, size: int) -> Path:
        """A sparse file of `size` bytes, created once per run (reading it costs no disk IO)."""
        path = self.tmp / f"upload-{size}.jsonl"
        if not path.exists():
            with path.open("wb") as f:
                f.truncate(size)
            # Read it once so its pages are cached: otherwise the first client to upload pays for that.
            with path.open("rb", buffering=0) as f:
                block = bytearray(8 * MiB)
                for _ in range(size // len(block) + 1):  # bounded
                    if not f.readinto(block):
                        break
        return path

    def run_process(self, client: str, scenarios: list[Scenario], timeout: float) -> list[dict[str, Any]]:
        assert self.server is not None
        spec = {
            "client": client,
            "base_url": self.server.base_url,
            "api_key": "sk-bench-0123456789",
            "tmpdir": str(self.tmp),
            "server_pid": self.server.pid,
            "scenarios": [
                {"name": s.name, "driver": s.driver, "params": self.scenario_params(s)} for s in scenarios
            ],
        }
        cmd = [*self.pin.client_prefix, sys.executable, str(WORKER)]
        if scenarios and scenarios[0].driver == "cold":
            code = COLD[scenarios[0].params(self.quick)["call"]][client]
            cmd += ["--cold", code.format(base_url=self.server.base_url, api_key=spec["api_key"])]
        elif scenarios and scenarios[0].driver == "import":
            cmd += ["--import", CLIENTS[client].import_stmt]
        cmd.append(json.dumps(spec))
        try:
            proc = subprocess.run(
                cmd, env=self.env, cwd=REPO, capture_output=True, text=True, timeout=timeout
            )
            stdout, stderr, failure = proc.stdout, proc.stderr, f"exit code {proc.returncode}"
        except subprocess.TimeoutExpired as exc:
            stdout = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
            stderr = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
            failure = f"timed out after {timeout:.0f}s"
        records = [json.loads(line[len(RESULT_PREFIX) :]) for line in stdout.splitlines()
                   if line.startswith(RESULT_PREFIX)]  # fmt: skip
        seen = {r["scenario"] for r in records}
        for s in scenarios:
            if s.name not in seen:
                tail = stderr.strip().splitlines()[-5:]
                records.append(
                    {"client": client, "scenario": s.name, "ok": False,
                     "error": f"no result ({failure}): " + " | ".join(tail)[-800:]}
                )  # fmt: skip
        return records

    def record(self, records: list[dict[str, Any]], rep: int) -> None:
        for r in records:
            r["rep"] = rep
            self.samples.append(r)
            s = SCENARIO_BY_NAME[r["scenario"]]
            if r.get("ok"):
                per = r["cpu"] / r["units"] * s.scale
                wall = r["wall"] / r["units"] * s.scale
                mem = f" peak +{r['peak_rss'] / MiB:.1f} MiB" if "peak_rss" in r else ""
                msg = f"cpu {per:10.2f} {s.scale_unit}/{s.per}  wall {wall:10.2f}{mem}"
            else:
                msg = "ERROR " + str(r.get("error"))[:300]
            self.log(f"{s.name:19} {r['client']:21} rep {rep + 1}  {msg}")

    def run(self, scenarios: list[Scenario], clients: list[str], reps: int | None) -> None:
        self.server = Server(self.pin, self.env, self.quick)
        self.log(f"fake server ready on port {self.server.port} ({self.pin.note})")
        try:
            if self.quick:
                self.run_quick(scenarios, clients)
            else:
                self.run_full(scenarios, clients, reps)
        finally:
            self.server.stop()

    def run_quick(self, scenarios: list[Scenario], clients: list[str]) -> None:
        """One process per client, several at once: a smoke test, so speed beats measurement hygiene."""
        jobs = [(c, [s for s in scenarios if c in s.clients and s.driver != "cold"]) for c in clients]
        # a cold start is a whole process of its own
        jobs += [(c, [s]) for s in scenarios if s.driver == "cold" for c in clients if c in s.clients]
        with ThreadPoolExecutor(max_workers=QUICK_PARALLEL) as pool:
            futures = [pool.submit(self.run_process, c, mine, 50.0) for c, mine in jobs if mine]
            for future in futures:
                self.record(future.result(), 0)

    def run_full(self, scenarios: list[Scenario], clients: list[str], reps: int | None) -> None:
        """Rounds: each round runs every scenario once per client (order rotated each round).

        Samples of a scenario are thus spread over the whole run, so a slow drift in machine load hits every
        client alike. After the first round, a scenario joins a round only while its repetitions are not
        done and its last round's duration still fits in the time budget.
        """
        wanted = {s.name: reps if reps is not None else s.reps for s in scenarios}
        last: dict[str, float] = {}
        for rnd in range(max(wanted.values(), default=0)):
            for s in scenarios:
                if rnd >= wanted[s.name]:
                    continue
                remaining = self.budget - (time.perf_counter() - self.started)
                if rnd > 0 and last.get(s.name, 0.0) > remaining:
                    self.log(
                        f"{s.name}: skipping round {rnd + 1} (~{last[s.name]:.0f}s, {remaining:.0f}s left)"
                    )
                    continue
                members = [c for c in s.clients if c in clients]
                shift = rnd % len(members) if members else 0
                t0 = time.perf_counter()
                for client in members[shift:] + members[:shift]:
                    self.record(self.run_process(client, [s], s.timeout), rnd)
                last[s.name] = time.perf_counter() - t0
                self.rounds[s.name] = rnd + 1

    def cleanup(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="small smoke-test version of every scenario")
    parser.add_argument(
        "--reps", type=int, default=None, help="repetitions per scenario (default: per scenario)"
    )
    parser.add_argument(
        "--scenarios", default="", help="comma-separated subset of: " + ",".join(SCENARIO_BY_NAME)
    )
    parser.add_argument("--clients", default="", help="comma-separated subset of: " + ",".join(CLIENTS))
    parser.add_argument("--out-dir", default=None, help="where RESULTS.md and results.json go "
                        "(default: benchmarks/ for a full run, a temp dir for --quick)")  # fmt: skip
    parser.add_argument(
        "--budget", type=float, default=570.0, help="full run: seconds after which no new round starts "
        "(the first round always runs in full; default %(default)s)"
    )  # fmt: skip
    parser.add_argument("--no-pin", action="store_true", help="do not pin server and clients to CPUs")
    parser.add_argument("--no-kit", action="store_true", help="leave openai-kit out")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    chosen = [n.strip() for n in args.scenarios.split(",") if n.strip()] or list(SCENARIO_BY_NAME)
    unknown = [n for n in chosen if n not in SCENARIO_BY_NAME]
    if unknown:
        raise SystemExit(f"unknown scenarios: {unknown}")
    scenarios = [SCENARIO_BY_NAME[n] for n in SCENARIO_BY_NAME if n in chosen]
    clients = [c.strip() for c in args.clients.split(",") if c.strip()] or list(CLIENTS)
    if any(c not in CLIENTS for c in clients):
        raise SystemExit(f"unknown clients: {[c for c in clients if c not in CLIENTS]}")

    runner = Runner(args)
    unavailable: dict[str, str] = {}
    if args.no_kit:
        unavailable.update(dict.fromkeys(KIT_CLIENTS, "left out (--no-kit)"))
    else:
        ok, reason = probe_kit(runner.env)
        if not ok:
            unavailable.update(dict.fromkeys(KIT_CLIENTS, f"openai-kit not usable: {reason}"))
    for c in unavailable:
        runner.log(f"skipping {c}: {unavailable[c]}")
    active = [c for c in clients if c not in unavailable]

    from_source = str(REPO / "src") in runner.env.get("PYTHONPATH", "").split(os.pathsep)
    if not args.quick and set(KIT_CLIENTS) & set(active) and from_source:
        # openai-kit runs from the source tree: byte-compile it now, not during the first measured import.
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "src" / "openai_kit")],
                       cwd=REPO, capture_output=True, timeout=300, check=False)  # fmt: skip

    def interrupted(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # unwinds through the finally blocks: children are killed, temp files go

    signal.signal(signal.SIGTERM, interrupted)
    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    started = datetime.now(timezone.utc)
    try:
        runner.run(scenarios, active, args.reps)
    finally:
        runner.cleanup()
    elapsed = time.perf_counter() - runner.started

    meta = {
        "mode": "quick" if args.quick else "full",
        "started": started.isoformat(timespec="seconds"),
        "elapsed_s": round(elapsed, 1),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "pinning": runner.pin.note,
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "versions": package_versions(),
        "argv": sys.argv[1:] if argv is None else argv,
        "budget_s": None if args.quick else args.budget,
        "rounds": runner.rounds,
        "params": {s.name: s.params(args.quick) for s in scenarios},
    }
    matrix = {s.name: [c for c in s.clients if c in clients] for s in scenarios}
    results = aggregate(SCENARIOS, matrix, runner.samples, unavailable, meta, args.quick)
    out_dir = Path(args.out_dir) if args.out_dir else (
        Path(tempfile.gettempdir()) / "openai-kit-bench-quick" if args.quick else BENCH_DIR
    )  # fmt: skip
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    markdown = render_markdown(results)
    (out_dir / "RESULTS.md").write_text(markdown)
    runner.log(f"wrote {out_dir / 'RESULTS.md'} and {out_dir / 'results.json'} in {elapsed:.0f}s")
    if args.quick:
        print(markdown)
    failed = [s for s in runner.samples if not s.get("ok")]
    return 1 if failed else 0


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


if __name__ == "__main__":
    raise SystemExit(main())
