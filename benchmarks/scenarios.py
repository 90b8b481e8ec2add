"""Scenario drivers, run inside a fresh client process (see worker.py).

Every scenario is written once here and drives a client through its adapter, so every client runs exactly
the same loop. Each measured section is bracketed by `measure()`, which records:

- wall time (`perf_counter`) and CPU time of the whole process, all threads, user + system (`process_time`);
- the RSS high-water mark during the section minus the RSS just before it (Linux: the high-water mark is
  reset through /proc/self/clear_refs; elsewhere it falls back to `ru_maxrss`, which cannot be reset);
- context switches (involuntary ones say how often another process took our core: a noise indicator).

Warm-up operations run before each measured section (outside it): first-request costs such as connecting,
lazy imports or building validators are not part of the per-operation figures. The import and construction
scenarios measure exactly those cold costs instead.

Each result is printed as one line: `RESULT {json}`.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import json
import os
import resource
import sys
import time
import traceback
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import payloads
from benchmarks.clients import CLIENTS
from benchmarks.clients.base import AsyncAdapter, SyncAdapter

RESULT_PREFIX = "RESULT "
BIG = 10**12  # "no limit" for list_files


# -- memory -------------------------------------------------------------------------------------------
def _status_bytes(key: str) -> int | None:
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(key.encode() + b":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


def _maxrss_bytes() -> int:
    value = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return value if sys.platform == "darwin" else value * 1024


@dataclass
class Measurement:
    wall: float = 0.0
    cpu: float = 0.0
    rss_before: int = 0
    peak_rss: int = 0  # high-water during the section minus rss_before
    peak_method: str = ""
    nivcsw: int = 0
    nvcsw: int = 0
    server_cpu: float | None = None  # CPU the fake server used during the section (is it the bottleneck?)


SERVER_PID: int | None = None
_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _server_cpu() -> float | None:
    if SERVER_PID is None:
        return None
    try:
        with open(f"/proc/{SERVER_PID}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK  # utime + stime


@contextmanager
def measure() -> Iterator[Measurement]:
    gc.collect()
    m = Measurement()
    server0 = _server_cpu()
    resettable = _reset_peak()
    current = _status_bytes("VmRSS")
    m.rss_before = current if current is not None else _maxrss_bytes()
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    wall0 = time.perf_counter()
    cpu0 = time.process_time()
    yield m
    cpu1 = time.process_time()
    wall1 = time.perf_counter()
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    server1 = _server_cpu()
    if server0 is not None and server1 is not None:
        m.server_cpu = server1 - server0
    m.wall = wall1 - wall0
    m.cpu = cpu1 - cpu0
    hwm = _status_bytes("VmHWM") if resettable else None
    m.peak_method = "VmHWM" if hwm is not None else "ru_maxrss"
    m.peak_rss = max(0, (hwm if hwm is not None else _maxrss_bytes()) - m.rss_before)
    m.nivcsw = ru1.ru_nivcsw - ru0.ru_nivcsw
    m.nvcsw = ru1.ru_nvcsw - ru0.ru_nvcsw


@dataclass
class Outcome:
    m: Measurement
    units: int
    unit: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    client_id: str
    base_url: str
    api_key: str
    tmpdir: Path


class CheckFailed(AssertionError):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def _dest(ctx: Context) -> Path:
    return ctx.tmpdir / f"download-{ctx.client_id}-{os.getpid()}.bin"


def _cpu_median(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2]


# -- sync scenarios ------------------------------------------------------------------------------------
def s_construct(ad: SyncAdapter, ctx: Context, p: dict[str, Any]) -> Outcome:
    with measure() as m:
        client = ad.construct()
    ad.close(client)
    warm: list[float] = []
    for _ in range(int(p.get("warm", 20))):
        t0 = time.process_time()
        client = ad.construct()
        warm.append(time.process_time() - t0)
        ad.close(client)
    return Outcome(m, 1, "client", {"warm_cpu_median": _cpu_median(warm) if warm else None})


def _deadline(p: dict[str, Any]) -> float:
    """The measured section stops early (at a request boundary) after `max_seconds`, if given."""
    limit = p.get("max_seconds")
    return time.perf_counter() + float(limit) if limit else float("inf")


def s_chat(ad: SyncAdapter, ctx: Context, p: dict[str, Any]) -> Outcome:
    n = int(p["n"])
    client = ad.construct()
    try:
        for _ in range(int(p.get("warmup", 20))):
            ad.chat(client)
        content = ""
        done = 0
        with measure() as m:
            deadline = _deadline(p)
            for done in range(1, n + 1):  # noqa: B007 - `done` is used after the loop
                content = ad.chat(client)
                if time.perf_counter() > deadline:
                    break
        check(bool(content), "empty completion")
    finally:
        ad.close(client)
    return Outcome(m, done, "request", {"requested": n})


def s_stream(ad: SyncAdapter, ctx: Context, p: dict[str, Any]) -> Outcome:
    chunks = int(p["chunks"])
    client = ad.construct()
    try:
        check(ad.stream(client, 20) == 20, "warm-up stream: wrong chunk count")
        with measure() as m:
            seen = ad.stream(client, chunks)
        check(seen == chunks, f"saw {seen} chunks, expected {chunks}")
    finally:
        ad.close(client)
    return Outcome(m, chunks, "chunk")


def _embeddings_expect(fmt: str | None, count: int, size: int) -> None:
    if fmt == "base64":
        check(size > 0, "empty base64 embeddings")
    else:
        expected = count * payloads.EMBEDDING_DIMS
        check(size == expected, f"got {size} floats, expected {expected}")


def s_embeddings(ad: SyncAdapter, ctx: Context, p: dict[str, Any]) -> Outcome:
    count, requests, fmt = int(p["count"]), int(p.get("requests", 1)), p.get("encoding_format")
    inputs = payloads.embedding_inputs(count)
    client = ad.construct()
    try:
        _embeddings_expect(fmt, 2, ad.embeddings(client, inputs[:2], fmt))
        size = 0
        with measure() as m:
            for _ in range(requests):
                size = ad.embeddings(client, inputs, fmt)
        _embeddings_expect(fmt, count, size)
    finally:
        ad.close(client)
    return Outcome(m, requests, "request", {"vectors": count, "dims": payloads.EMBEDDING_DIMS})


def s_list_files(ad: SyncAdapter, ctx: Context, p: dict[str, Any]) -> Outcome:
    files, page = int(p["files"]), int(p["page_size"])
    client = ad.construct()
    try:
        check(ad.list_files(client, page, page) == min(page, files), "warm-up page: wrong item count")
        with measure() as m:
            count = ad.list_files(client, page, BIG)
        check(count == files, f"listed {count} files, expected {files}")
    finally:
        ad.close(client)
    return Outcome(m, files, "item", {"pages": -(-files // page)})


def s_upload(ad: SyncAdapter, ctx: Context, p: dict[str, Any]) -> Outcome:
    path, small, size = Path(p["path"]), Path(p["warmup_path"]), int(p["size"])
    client = ad.construct()
    try:
        ad.upload(client, small)
        with measure() as m:
            received = ad.upload(client, path)
        check(received >= size, f"server received {received} bytes, file has {size}")
    finally:
        ad.close(client)
    return Outcome(m, 1, "file", {"bytes": size})


def s_download(ad: SyncAdapter, ctx: Context, p: dict[str, Any]) -> Outcome:
    size, dest = int(p["size"]), _dest(ctx)
    client = ad.construct()
    try:
        ad.download(client, payloads.download_file_id(1 << 20), dest)
        dest.unlink()
        with measure() as m:
            written = ad.download(client, payloads.download_file_id(size), dest)
        check(written == size, f"wrote {written} bytes, expected {size}")
    finally:
        ad.close(client)
        dest.unlink(missing_ok=True)
    return Outcome(m, 1, "file", {"bytes": size})


# -- async scenarios -----------------------------------------------------------------------------------
async def a_construct(ad: AsyncAdapter, ctx: Context, p: dict[str, Any]) -> Outcome:
    with measure() as m:
        client = await ad.construct()
    await ad.close(client)
    warm: list[float] = []
    for _ in range(int(p.get("warm", 20))):
        t0 = time.process_time()
        client = await ad.construct()
        warm.append(time.process_time() - t0)
        await ad.close(client)
    return Outcome(m, 1, "client", {"warm_cpu_median": _cpu_median(warm) if warm else None})


async def a_chat(ad: AsyncAdapter, ctx: Context, p: dict[str, Any]) -> Outcome:
    n = int(p["n"])
    client = await ad.construct()
    try:
        for _ in range(int(p.get("warmup", 20))):
            await ad.chat(client)
        content = ""
        done = 0
        with measure() as m:
            deadline = _deadline(p)
            for done in range(1, n + 1):  # noqa: B007 - `done` is used after the loop
                content = await ad.chat(client)
                if time.perf_counter() > deadline:
                    break
        check(bool(content), "empty completion")
    finally:
        await ad.close(client)
    return Outcome(m, done, "request", {"requested": n})


async def _concurrently(
    ad: AsyncAdapter, client: Any, total: int, concurrency: int, deadline: float = float("inf")
) -> tuple[int, int]:
    """`total` requests by `concurrency` workers; returns (requests done, of which had content)."""
    remaining = total
    done = 0
    good = 0

    async def worker() -> None:
        nonlocal remaining, done, good
        while remaining > 0:  # bounded: `total` decrements in all
            remaining -= 1
            content = await ad.chat(client)
            done += 1
            good += 1 if content else 0
            if time.perf_counter() > deadline:
                remaining = 0

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done, good


async def a_chat_concurrent(ad: AsyncAdapter, ctx: Context, p: dict[str, Any]) -> Outcome:
    n, concurrency = int(p["n"]), int(p["concurrency"])
    client = await ad.construct()
    try:
        await _concurrently(ad, client, concurrency, concurrency)  # warm-up: opens the connections
        with measure() as m:
            done, good = await _concurrently(ad, client, n, concurrency, _deadline(p))
        check(good == done > 0, f"{good} of {done} completions had content")
    finally:
        await ad.close(client)
    return Outcome(m, done, "request", {"concurrency": concurrency, "requested": n})


async def a_stream(ad: AsyncAdapter, ctx: Context, p: dict[str, Any]) -> Outcome:
    chunks = int(p["chunks"])
    client = await ad.construct()
    try:
        check(await ad.stream(client, 20) == 20, "warm-up stream: wrong chunk count")
        with measure() as m:
            seen = await ad.stream(client, chunks)
        check(seen == chunks, f"saw {seen} chunks, expected {chunks}")
    finally:
        await ad.close(client)
    return Outcome(m, chunks, "chunk")


async def a_stream_concurrent(ad: AsyncAdapter, ctx: Context, p: dict[str, Any]) -> Outcome:
    """`streams` streamed completions of `chunks` chunks each, all open at once (one connection each)."""
    streams, chunks = int(p["streams"]), int(p["chunks"])
    client = await ad.construct()
    try:
        # warm-up: opens the connections the measured section reuses
        warm = await asyncio.gather(*(ad.stream(client, 2) for _ in range(streams)))
        check(all(n == 2 for n in warm), "warm-up streams: wrong chunk count")
        with measure() as m:
            seen = await asyncio.gather(*(ad.stream(client, chunks) for _ in range(streams)))
        check(all(n == chunks for n in seen), f"expected {chunks} chunks in each of {streams} streams")
    finally:
        await ad.close(client)
    return Outcome(m, streams * chunks, "chunk", {"streams": streams, "chunks": chunks})


async def a_embeddings(ad: AsyncAdapter, ctx: Context, p: dict[str, Any]) -> Outcome:
    count, requests, fmt = int(p["count"]), int(p.get("requests", 1)), p.get("encoding_format")
    inputs = payloads.embedding_inputs(count)
    client = await ad.construct()
    try:
        _embeddings_expect(fmt, 2, await ad.embeddings(client, inputs[:2], fmt))
        size = 0
        with measure() as m:
            for _ in range(requests):
                size = await ad.embeddings(client, inputs, fmt)
        _embeddings_expect(fmt, count, size)
    finally:
        await ad.close(client)
    return Outcome(m, requests, "request", {"vectors": count, "dims": payloads.EMBEDDING_DIMS})


async def a_list_files(ad: AsyncAdapter, ctx: Context, p: dict[str, Any]) -> Outcome:
    files, page = int(p["files"]), int(p["page_size"])
    client = await ad.construct()
    try:
        check(await ad.list_files(client, page, page) == min(page, files), "warm-up page: wrong item count")
        with measure() as m:
            count = await ad.list_files(client, page, BIG)
        check(count == files, f"listed {count} files, expected {files}")
    finally:
        await ad.close(client)
    return Outcome(m, files, "item", {"pages": -(-files // page)})


async def a_upload(ad: AsyncAdapter, ctx: Context, p: dict[str, Any]) -> Outcome:
    path, small, size = Path(p["path"]), Path(p["warmup_path"]), int(p["size"])
    client = await ad.construct()
    try:
        await ad.upload(client, small)
        with measure() as m:
            received = await ad.upload(client, path)
        check(received >= size, f"server received {received} bytes, file has {size}")
    finally:
        await ad.close(client)
    return Outcome(m, 1, "file", {"bytes": size})


async def a_download(ad: AsyncAdapter, ctx: Context, p: dict[str, Any]) -> Outcome:
    size, dest = int(p["size"]), _dest(ctx)
    client = await ad.construct()
    try:
        await ad.download(client, payloads.download_file_id(1 << 20), dest)
        dest.unlink()
        with measure() as m:
            written = await ad.download(client, payloads.download_file_id(size), dest)
        check(written == size, f"wrote {written} bytes, expected {size}")
    finally:
        await ad.close(client)
        dest.unlink(missing_ok=True)
    return Outcome(m, 1, "file", {"bytes": size})


# First call of one API area, written once for both SDKs (same surface); each returns something truthy.
FIRST_AREA_CALLS: dict[str, Callable[[Any], object]] = {
    "responses": lambda c: c.responses.create(model=payloads.MODEL, input="Say hello").output_text,
    "batches": lambda c: c.batches.retrieve("batch_bench").request_counts.completed,
    "fine_tuning": lambda c: c.fine_tuning.jobs.list(limit=2).data[0].hyperparameters.n_epochs,
    "vector_stores": lambda c: c.vector_stores.retrieve("vs_bench").file_counts.total,
    "moderations": lambda c: c.moderations.create(input="hello").results[0].category_scores.hate,
    "embeddings": lambda c: len(
        c.embeddings.create(model=payloads.EMBEDDING_MODEL, input="hello", encoding_format="float")
        .data[0]
        .embedding
    ),
    "models": lambda c: c.models.retrieve(payloads.MODEL).owned_by,
    "files": lambda c: c.files.retrieve(payloads.file_id(0)).bytes,
}


def s_first_area(ad: SyncAdapter, ctx: Context, p: dict[str, Any]) -> Outcome:
    """A process that has done one chat completion makes its first call of another API area: the CPU of
    that call (importing the area, building its validators, the request)."""
    client = ad.construct()
    try:
        check(bool(ad.chat(client)), "empty completion")
        call = FIRST_AREA_CALLS[p["area"]]
        with measure() as m:
            result = call(client)
        check(bool(result), f"empty result from {p['area']}")
    finally:
        ad.close(client)
    return Outcome(m, 1, "call", {"area": p["area"]})


SyncScenario = Callable[[SyncAdapter, Context, dict[str, Any]], Outcome]
AsyncScenario = Callable[[AsyncAdapter, Context, dict[str, Any]], Coroutine[Any, Any, Outcome]]

SYNC: dict[str, SyncScenario] = {
    "construct": s_construct,
    "chat": s_chat,
    "stream": s_stream,
    "embeddings": s_embeddings,
    "list_files": s_list_files,
    "upload": s_upload,
    "download": s_download,
    "first_area": s_first_area,
}
ASYNC: dict[str, AsyncScenario] = {
    "construct": a_construct,
    "chat": a_chat,
    "chat_concurrent": a_chat_concurrent,
    "stream": a_stream,
    "stream_concurrent": a_stream_concurrent,
    "embeddings": a_embeddings,
    "list_files": a_list_files,
    "upload": a_upload,
    "download": a_download,
}


# -- entry point ---------------------------------------------------------------------------------------
def _emit(record: dict[str, Any]) -> None:
    sys.stdout.write(RESULT_PREFIX + json.dumps(record) + "\n")
    sys.stdout.flush()


def _error(base: dict[str, Any], exc: BaseException) -> dict[str, Any]:
    tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
    return {
        **base,
        "ok": False,
        "error": f"{type(exc).__name__}: {exc}"[:500],
        "traceback": "".join(tb)[-3000:],
    }


def run(args: list[str], imported: dict[str, Any] | None) -> None:
    """`args[0]` is the JSON spec: client, base_url, api_key, tmpdir, scenarios [{name, driver, params}]."""
    global SERVER_PID
    spec = json.loads(args[0])
    SERVER_PID = spec.get("server_pid")
    client_spec = CLIENTS[spec["client"]]
    ctx = Context(spec["client"], spec["base_url"], spec.get("api_key", "sk-bench"), Path(spec["tmpdir"]))
    adapter: Any = None
    for scenario in spec["scenarios"]:
        base = {"client": ctx.client_id, "scenario": scenario["name"], "pid": os.getpid()}
        if scenario["driver"] == "import":
            if imported is None:
                _emit(
                    {**base, "ok": False, "error": "import not measured (must be first, in a fresh process)"}
                )
            elif "error" in imported:
                _emit({**base, "ok": False, "error": imported["error"]})
            else:
                modules = int(imported["modules"])
                _emit({**base, "ok": True, "wall": imported["wall"], "cpu": imported["cpu"], "units": 1,
                       "unit": "import", "extra": {"modules": modules}})  # fmt: skip
            continue
        try:
            if adapter is None:
                module = importlib.import_module(f"benchmarks.clients.{client_spec.module}")
                adapter = getattr(module, client_spec.cls)(ctx.base_url, ctx.api_key)
            params = scenario.get("params", {})
            if client_spec.kind == "sync":
                outcome = SYNC[scenario["driver"]](adapter, ctx, params)
            else:
                outcome = asyncio.run(ASYNC[scenario["driver"]](adapter, ctx, params))
        except Exception as exc:
            _emit(_error(base, exc))
            continue
        record = {**base, "ok": True, **asdict(outcome.m), "units": outcome.units, "unit": outcome.unit}
        record["extra"] = outcome.extra
        _emit(record)
