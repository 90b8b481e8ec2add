"""Run a JSONL file of requests (the Batch API's input format) and write one result line per request.

    from openai_kit.bulk import run_bulk
    summary = run_bulk("requests.jsonl", "results.jsonl")                  # direct, concurrent
    summary = run_bulk("requests.jsonl", "results.jsonl", via="batch")     # through the Batch API

Input lines are ``{"custom_id": ..., "method": "POST", "url": "/v1/chat/completions", "body": {...}}``.
Output lines have the Batch API's output shape: ``{"id", "custom_id", "response": {"status_code",
"request_id", "body"}, "error"}``, failed requests included (with their status and error body, or an
``error`` object when no response came back).

The output is written **in input order** and always is a prefix of the input: a rerun checks that
prefix, drops a torn last line (a kill during a write), and carries on after it, so every custom_id
ends up exactly once. Memory stays flat: the direct engine holds at most a window of
``4 * concurrency`` results; the batch engine one batch file (``batch_size`` lines) per running batch.

Engines: ``direct`` sends the requests concurrently through one ``AsyncOpenAI`` (its retries, and its
``RateLimiter`` when given); ``batch`` splits the input into files within the Batch API's limits
(50,000 lines, 200 MB, one endpoint each), uploads them, creates the batches, polls, downloads,
retries the lines that failed for a retryable reason or never ran, and merges the results in order.
Batch ids are kept in ``<out>.batches.json`` so a rerun picks up running batches instead of paying
for them twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

import orjson

from ._errors import APIConnectionError, APIStatusError

__all__ = ["BulkInputError", "BulkSummary", "arun_bulk", "run_bulk"]

BATCH_MAX_LINES = 50_000
BATCH_MAX_BYTES = 200 * 1024 * 1024
_RETRYABLE = {408, 409, 429, 500, 502, 503, 504}
_FINAL = {"completed", "failed", "expired", "cancelled"}


class BulkInputError(ValueError):
    """The input file (or the output it should resume) is not usable; the message says where."""


@dataclass
class BulkSummary:
    total: int = 0
    skipped: int = 0  # already in the output from an earlier run
    done: int = 0  # answered with a 2xx
    failed: int = 0  # written with an error status or an error object
    seconds: float = 0.0
    interrupted: bool = False
    output: str = ""
    batches: list[str] = field(default_factory=list)  # batch ids used (batch engine)
    resumed: list[str] = field(default_factory=list)  # of those, the ones an earlier run created

    def __str__(self) -> str:
        rate = (self.done + self.failed) / self.seconds if self.seconds > 0 else 0.0
        state = "interrupted (rerun the same command to resume)" if self.interrupted else "finished"
        text = (
            f"{state}: {self.done:,} done, {self.failed:,} failed, {self.skipped:,} already in "
            f"{self.output}, {self.total:,} in the input; {self.seconds:.1f} s, {rate:,.0f}/s"
        )
        if self.resumed:
            text += (
                f"; picked up {len(self.resumed)} batch(es) an earlier run created: {' '.join(self.resumed)}"
            )
        return text


# -- input and resume --------------------------------------------------------------------------


def _check_line(raw: bytes, lineno: int, where: str) -> tuple[str, str, dict[str, Any]]:
    try:
        item = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise BulkInputError(f"{where}:{lineno}: not valid JSON") from None
    if not isinstance(item, dict):
        raise BulkInputError(f"{where}:{lineno}: each line must be a JSON object")
    cid = item.get("custom_id")
    if not isinstance(cid, str) or not cid:
        raise BulkInputError(f"{where}:{lineno}: needs a non-empty string 'custom_id'")
    if item.get("method", "POST") != "POST":
        raise BulkInputError(f"{where}:{lineno}: 'method' must be \"POST\"")
    url = item.get("url")
    if not isinstance(url, str) or not url.startswith("/"):
        raise BulkInputError(f"{where}:{lineno}: needs a 'url' such as \"/v1/chat/completions\"")
    body = item.get("body")
    if not isinstance(body, dict):
        raise BulkInputError(f"{where}:{lineno}: needs an object 'body'")
    return cid, url, body


def _lines(f: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    for lineno, raw in enumerate(f, start=1):
        raw = raw.strip()
        if raw:
            yield lineno, raw


def scan_input(path: str | os.PathLike[str]) -> int:
    """Validate every line of the input (before anything is sent); the number of requests."""
    n = 0
    with open(path, "rb") as f:
        for lineno, raw in _lines(f):
            _check_line(raw, lineno, str(path))
            n += 1
    return n


def _resume(input_path: str, output_path: str) -> int:
    """How many requests the output already holds; drops a torn last line. Checks the order."""
    if not os.path.exists(output_path):
        return 0
    good_end = 0
    count = 0
    with open(output_path, "rb") as out, open(input_path, "rb") as inp:
        requests = _lines(inp)
        while True:
            raw = out.readline()
            if not raw:
                break
            if not raw.endswith(b"\n"):
                break  # torn by a kill in the middle of a write
            try:
                cid = orjson.loads(raw).get("custom_id")
            except (orjson.JSONDecodeError, AttributeError):
                break
            nxt = next(requests, None)
            expected = orjson.loads(nxt[1]).get("custom_id") if nxt else None
            if cid != expected:
                raise BulkInputError(
                    f"{output_path}:{count + 1}: custom_id {cid!r} where this input has {expected!r}; "
                    "the output belongs to another input (use another --out)"
                )
            count += 1
            good_end = out.tell()
    if os.path.getsize(output_path) != good_end:
        with open(output_path, "r+b") as out:
            out.truncate(good_end)
    return count


def _requests_after(input_path: str, skip: int) -> Iterator[tuple[int, str, str, dict[str, Any]]]:
    with open(input_path, "rb") as f:
        for index, (lineno, raw) in enumerate(_lines(f)):
            if index >= skip:
                cid, url, body = _check_line(raw, lineno, input_path)
                yield index, cid, url, body


def _result_line(cid: str, status: int | None, request_id: str | None, body: Any, error: Any) -> bytes:
    response = None if status is None else {"status_code": status, "request_id": request_id, "body": body}
    record = {
        "id": f"bulk_req_{os.urandom(12).hex()}",
        "custom_id": cid,
        "response": response,
        "error": error,
    }
    return orjson.dumps(record)


def _api_path(url: str) -> str:
    return url[3:] if url.startswith("/v1/") else url


# -- progress --------------------------------------------------------------------------------


class _Progress:
    """A live rich bar on a terminal (done / failed / rate / ETA); plain lines every few seconds else."""

    def __init__(self, total: int, skipped: int, enabled: bool | None, label: str) -> None:
        self.total, self.skipped, self.label = total, skipped, label
        self.start = time.monotonic()
        self._last = 0.0
        self._bar: Any = None
        stream = sys.stderr
        if enabled is None:
            enabled = True
        self.enabled = enabled
        if enabled and stream.isatty():
            try:
                from rich.console import Console
                from rich.progress import (
                    BarColumn,
                    MofNCompleteColumn,
                    Progress,
                    TextColumn,
                    TimeRemainingColumn,
                )
            except ImportError:
                pass
            else:
                self._bar = Progress(
                    TextColumn("[bold]{task.description}"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TextColumn("[red]{task.fields[failed]} failed"),
                    TextColumn("{task.fields[rate]}/s"),
                    TextColumn("ETA"),
                    TimeRemainingColumn(),
                    console=Console(stderr=True),
                    transient=False,
                )
                self._task = self._bar.add_task(label, total=total, completed=skipped, failed=0, rate="0")
                self._bar.start()

    def update(self, done: int, failed: int, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < (0.1 if self._bar is not None else 5.0):
            return
        self._last = now
        finished = done + failed
        rate = finished / (now - self.start) if now > self.start else 0.0
        if self._bar is not None:
            self._bar.update(
                self._task, completed=self.skipped + finished, failed=f"{failed:,}", rate=f"{rate:,.0f}"
            )
            return
        left = self.total - self.skipped - finished
        eta = f"{left / rate:,.0f}s" if rate > 0 else "?"
        print(
            f"{self.label}: {self.skipped + finished:,}/{self.total:,} done={done:,} failed={failed:,} "
            f"rate={rate:,.0f}/s eta={eta}",
            file=sys.stderr,
            flush=True,
        )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()


# -- engines ---------------------------------------------------------------------------------


class _Writer:
    """Appends result lines in input order; holds results that arrived early."""

    def __init__(self, path: str, first: int, summary: BulkSummary) -> None:
        self._f = open(path, "ab")  # noqa: SIM115 - closed in close()
        self.next = first
        self.early: dict[int, bytes] = {}
        self.summary = summary

    def put(self, index: int, line: bytes, ok: bool) -> None:
        if ok:
            self.summary.done += 1
        else:
            self.summary.failed += 1
        self.early[index] = line
        while self.next in self.early:
            self._f.write(self.early.pop(self.next) + b"\n")
            self.next += 1

    def flush(self) -> None:
        self._f.flush()

    def close(self) -> None:
        self._f.flush()
        with contextlib.suppress(OSError):
            os.fsync(self._f.fileno())
        self._f.close()


async def _one(client: Any, cid: str, url: str, body: dict[str, Any]) -> tuple[bytes, bool]:
    try:
        raw = await client.with_raw_response.request("POST", _api_path(url), body=body, cast_to=object)
        content = raw.content  # a raw response is read already (LegacyAPIResponse)
        try:
            parsed: Any = orjson.Fragment(content) if content else None
            orjson.loads(content)
        except orjson.JSONDecodeError:
            parsed = content.decode("utf-8", "replace")
        return _result_line(cid, raw.status_code, raw.request_id, parsed, None), True
    except APIStatusError as exc:
        return _result_line(cid, exc.status_code, exc.request_id, exc.body, None), False
    except APIConnectionError as exc:
        error = {"code": "connection_error", "message": str(exc)}
        return _result_line(cid, None, None, None, error), False


async def _direct(
    client: Any, input_path: str, writer: _Writer, concurrency: int, progress: _Progress
) -> None:
    window = 4 * concurrency
    requests = _requests_after(input_path, writer.next)
    inflight: set[asyncio.Task[tuple[int, bytes, bool]]] = set()

    async def call(index: int, cid: str, url: str, body: dict[str, Any]) -> tuple[int, bytes, bool]:
        line, ok = await _one(client, cid, url, body)
        return index, line, ok

    exhausted = False
    next_index = writer.next
    try:
        while True:
            while not exhausted and len(inflight) < concurrency and next_index - writer.next < window:
                item = next(requests, None)
                if item is None:
                    exhausted = True
                    break
                next_index = item[0] + 1
                inflight.add(asyncio.ensure_future(call(*item)))
            if not inflight:
                break
            finished, inflight = await asyncio.wait(inflight, return_when=asyncio.FIRST_COMPLETED)
            for task in finished:
                index, line, ok = task.result()
                writer.put(index, line, ok)
            writer.flush()
            progress.update(writer.summary.done, writer.summary.failed)
    finally:
        for task in inflight:
            task.cancel()
        if inflight:
            await asyncio.gather(*inflight, return_exceptions=True)


def _state_path(output_path: str) -> str:
    return output_path + ".batches.json"


class _BatchState:
    """Batch ids per chunk (by the index of its first request), so a rerun polls instead of resubmitting."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.data: dict[str, list[str]] = {}
        if os.path.exists(path):
            try:
                self.data = orjson.loads(Path(path).read_bytes())
            except orjson.JSONDecodeError:
                self.data = {}

    def ids(self, start: int) -> list[str]:
        return self.data.setdefault(str(start), [])

    def save(self) -> None:
        tmp = self.path + ".tmp"
        Path(tmp).write_bytes(orjson.dumps(self.data))
        os.replace(tmp, self.path)

    def forget(self, start: int) -> None:
        self.data.pop(str(start), None)
        self.save()


def _chunks(
    input_path: str, skip: int, batch_size: int
) -> Iterator[tuple[int, str, list[tuple[str, bytes]]]]:
    """Consecutive requests with one url, within the Batch API's file limits."""
    start, url, size = skip, "", 0
    items: list[tuple[str, bytes]] = []
    for index, cid, item_url, body in _requests_after(input_path, skip):
        line = orjson.dumps({"custom_id": cid, "method": "POST", "url": item_url, "body": body})
        if items and (item_url != url or len(items) >= batch_size or size + len(line) + 1 > BATCH_MAX_BYTES):
            yield start, url, items
            start, items, size = index, [], 0
        url = item_url
        items.append((cid, line))
        size += len(line) + 1
    if items:
        yield start, url, items


async def _run_chunk(
    client: Any,
    start: int,
    url: str,
    items: list[tuple[str, bytes]],
    state: _BatchState,
    poll_interval: float,
    max_attempts: int,
    summary: BulkSummary,
) -> list[tuple[bytes, bool]]:
    results: dict[str, tuple[bytes, bool]] = {}
    last_error: dict[str, bytes] = {}
    pending = items
    why = ""
    ids = state.ids(start)
    for attempt in range(max_attempts):
        if attempt < len(ids):
            batch_id = ids[attempt]
            summary.resumed.append(batch_id)
        else:
            data = b"\n".join(line for _, line in pending) + b"\n"
            uploaded = await client.files.create(file=(f"bulk-{start}.jsonl", data), purpose="batch")
            batch = await client.batches.create(
                input_file_id=uploaded.id, endpoint=url, completion_window="24h"
            )
            batch_id = batch.id
            ids.append(batch_id)
            state.save()
        summary.batches.append(batch_id)
        while True:
            batch = await client.batches.retrieve(batch_id)
            if batch.status in _FINAL:
                break
            await asyncio.sleep(poll_interval)
        if batch.status != "completed":
            errors = getattr(batch.errors, "data", None) or []
            detail = "; ".join(str(getattr(e, "message", e)) for e in errors[:3])
            why = f"batch {batch_id} {batch.status}" + (f": {detail}" if detail else "")
        for file_id in (batch.output_file_id, batch.error_file_id):
            if not file_id:
                continue
            content = await (await client.files.content(file_id)).read()
            for raw in content.splitlines():
                if not raw.strip():
                    continue
                record = orjson.loads(raw)
                cid = record.get("custom_id")
                response = record.get("response") or {}
                status = response.get("status_code")
                if isinstance(status, int) and 200 <= status < 300:
                    results[cid] = (raw.strip(), True)
                elif status not in _RETRYABLE and status is not None:
                    results[cid] = (raw.strip(), False)  # a request the API refused: retrying won't help
                else:
                    last_error[cid] = raw.strip()
        pending = [(cid, line) for cid, line in pending if cid not in results]
        if not pending:
            break
    out: list[tuple[bytes, bool]] = []
    for cid, _ in items:
        if cid in results:
            out.append(results[cid])
        elif cid in last_error:
            out.append((last_error[cid], False))
        else:
            message = f"not run after {max_attempts} batch attempt(s)" + (f" (last: {why})" if why else "")
            error = {"code": "batch_incomplete", "message": message}
            out.append((_result_line(cid, None, None, None, error), False))
    return out


async def _via_batch(
    client: Any,
    input_path: str,
    writer: _Writer,
    state: _BatchState,
    *,
    batch_size: int,
    parallel: int,
    poll_interval: float,
    max_attempts: int,
    progress: _Progress,
) -> None:
    chunks = _chunks(input_path, writer.next, batch_size)
    running: list[tuple[int, asyncio.Task[list[tuple[bytes, bool]]]]] = []
    try:
        while True:
            while len(running) < parallel:
                chunk = next(chunks, None)
                if chunk is None:
                    break
                start, url, items = chunk
                task = asyncio.ensure_future(
                    _run_chunk(client, start, url, items, state, poll_interval, max_attempts, writer.summary)
                )
                running.append((start, task))
            if not running:
                break
            start, task = running.pop(0)  # in order: the next chunk of the output
            for offset, (line, ok) in enumerate(await task):
                writer.put(start + offset, line, ok)
            writer.flush()
            state.forget(start)
            progress.update(writer.summary.done, writer.summary.failed, force=True)
    finally:
        for _, task in running:
            task.cancel()
        if running:
            await asyncio.gather(*(t for _, t in running), return_exceptions=True)


# -- entry points ----------------------------------------------------------------------------


async def arun_bulk(
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    *,
    client: Any = None,
    base_url: str | None = None,
    via: Literal["direct", "batch"] = "direct",
    concurrency: int = 32,
    rate_limit: Any = None,
    progress: bool | None = None,
    batch_size: int = BATCH_MAX_LINES,
    parallel_batches: int = 4,
    poll_interval: float = 5.0,
    max_attempts: int = 3,
    summary: BulkSummary | None = None,
) -> BulkSummary:
    """Run every request of ``input_path`` not yet in ``output_path``; see the module's docs.

    ``client``: an ``AsyncOpenAI`` (default: one from the environment and ``base_url``, with
    ``rate_limit`` and 5 retries, closed at the end).
    ``progress``: ``False`` silences it; otherwise a bar on a terminal, plain lines elsewhere.
    """
    if via not in ("direct", "batch"):
        raise BulkInputError(f"via must be 'direct' or 'batch', got {via!r}")
    if concurrency < 1 or batch_size < 1 or parallel_batches < 1 or max_attempts < 1:
        raise BulkInputError("concurrency, batch_size, parallel_batches and max_attempts must be >= 1")
    if batch_size > BATCH_MAX_LINES:
        raise BulkInputError(f"batch_size is at most {BATCH_MAX_LINES:,} (the Batch API's limit)")
    inp, out = os.fspath(input_path), os.fspath(output_path)
    if not os.path.isfile(inp):
        raise BulkInputError(f"{inp}: no such file")
    summary = summary if summary is not None else BulkSummary()
    summary.output = out
    started = time.monotonic()
    summary.total = scan_input(inp)
    summary.skipped = _resume(inp, out)
    own = client is None
    if own:
        from ._client import AsyncOpenAI

        client = AsyncOpenAI(base_url=base_url, rate_limit=rate_limit, max_retries=5)  # a job, not a UI
    elif rate_limit is not None:
        client = client.with_options(rate_limit=rate_limit)
    bar = _Progress(summary.total, summary.skipped, progress, "bulk" if via == "direct" else "bulk via batch")
    writer = _Writer(out, summary.skipped, summary)
    try:
        if via == "direct":
            await _direct(client, inp, writer, concurrency, bar)
        else:
            await _via_batch(
                client,
                inp,
                writer,
                _BatchState(_state_path(out)),
                batch_size=batch_size,
                parallel=parallel_batches,
                poll_interval=poll_interval,
                max_attempts=max_attempts,
                progress=bar,
            )
        if via == "batch":
            with contextlib.suppress(FileNotFoundError):
                os.remove(_state_path(out))
    except (asyncio.CancelledError, KeyboardInterrupt):
        summary.interrupted = True
        raise
    finally:
        writer.close()
        summary.seconds = time.monotonic() - started
        bar.update(summary.done, summary.failed, force=True)
        bar.close()
        if own:
            await client.close()
    return summary


def run_bulk(
    input_path: str | os.PathLike[str], output_path: str | os.PathLike[str], **kwargs: Any
) -> BulkSummary:
    """``arun_bulk`` from synchronous code. Ctrl-C stops it with a consistent output (``interrupted``)."""
    summary = kwargs.pop("summary", None) or BulkSummary()
    try:
        return asyncio.run(arun_bulk(input_path, output_path, summary=summary, **kwargs))
    except KeyboardInterrupt:
        summary.interrupted = True
        return summary
