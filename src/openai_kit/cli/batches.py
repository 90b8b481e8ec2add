"""``openai-kit batches create|list|status|cancel|download``."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import time
from typing import Any

from ._common import (
    Progress,
    add_connection_args,
    add_json_arg,
    connect,
    download_file,
    fail,
    note,
    print_json,
    print_table,
    run_command,
    upload,
)

ENDPOINTS = (
    "/v1/responses",
    "/v1/chat/completions",
    "/v1/embeddings",
    "/v1/completions",
    "/v1/moderations",
    "/v1/images/generations",
    "/v1/images/edits",
    "/v1/videos",
)
FINAL = ("completed", "failed", "expired", "cancelled")


def add_parser(sub: Any) -> None:
    p = sub.add_parser("batches", help="run requests in bulk from a JSONL file")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    cr = actions.add_parser("create", help="upload a JSONL of requests and start a batch")
    cr.add_argument("file", metavar="FILE", help='JSONL: {"custom_id", "method", "url", "body"} per line')
    cr.add_argument("--endpoint", choices=ENDPOINTS, default=None, help="default: the url of the lines")
    cr.add_argument("--completion-window", default="24h", choices=["24h"])
    cr.add_argument("--metadata", action="append", default=[], metavar="KEY=VALUE", help="repeatable")
    cr.add_argument("--wait", action="store_true", help="wait for the batch to finish, then download results")
    cr.add_argument(
        "--out", metavar="PATH", default=None, help="results with --wait (default: FILE.output.jsonl)"
    )
    cr.add_argument("--poll-interval", type=float, default=5.0, metavar="SECONDS", help="default: 5")
    ls = actions.add_parser("list", help="list the batches")
    ls.add_argument("--limit", type=int, default=20, help="at most this many (default: 20)")
    st = actions.add_parser("status", help="show a batch")
    st.add_argument("batch_id", metavar="BATCH_ID")
    cn = actions.add_parser("cancel", help="cancel a batch")
    cn.add_argument("batch_id", metavar="BATCH_ID")
    dl = actions.add_parser("download", help="save a finished batch's results (and errors)")
    dl.add_argument("batch_id", metavar="BATCH_ID")
    dl.add_argument("--out", metavar="PATH", default=None, help="default: BATCH_ID.output.jsonl")
    for q in (cr, ls, st, cn, dl):
        add_connection_args(q)
        add_json_arg(q)
    p.set_defaults(_run=run)


def _check_jsonl(path: str) -> str:
    """Validate the requests file before uploading it; the endpoint its lines name."""
    urls: set[str] = set()
    ids: set[str] = set()
    try:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    item = json.loads(line)
                except json.JSONDecodeError as exc:
                    fail(f"FILE {path}: line {n} is not JSON ({exc.msg})")
                if not isinstance(item, dict) or not all(k in item for k in ("custom_id", "method", "url")):
                    fail(f'FILE {path}: line {n} needs "custom_id", "method", "url" and "body"')
                if item["custom_id"] in ids:
                    fail(f"FILE {path}: line {n} repeats custom_id {item['custom_id']!r}")
                ids.add(item["custom_id"])
                urls.add(str(item["url"]))
    except OSError as exc:
        fail(f"FILE: cannot read {path}: {exc.strerror or exc}")
    except UnicodeDecodeError:
        fail(f"FILE {path}: not UTF-8 text")
    if not ids:
        fail(f"FILE {path}: no requests in the file")
    if len(urls) > 1:
        fail(
            f"FILE {path}: the lines name several urls ({', '.join(sorted(urls))}); a batch has one endpoint"
        )
    return urls.pop()


def _metadata(entries: list[str]) -> dict[str, str] | None:
    out: dict[str, str] = {}
    for entry in entries:
        key, sep, value = entry.partition("=")
        if not sep or not key:
            fail(f"--metadata: expected KEY=VALUE, got {entry!r}")
        out[key] = value
    return out or None


def _counts(batch: Any) -> tuple[int, int, int]:
    c = batch.request_counts
    return (c.completed, c.failed, c.total) if c is not None else (0, 0, 0)


def _when(ts: int | None) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M") if ts else ""


def _show(batch: Any, as_json: bool) -> None:
    if as_json:
        print_json(batch)
        return
    done, failed, total = _counts(batch)
    print(f"{batch.id}\t{batch.status}\tcompleted {done}/{total}\tfailed {failed}")


def _wait(client: Any, batch: Any, interval: float) -> Any:
    with Progress(f"batch {batch.id}", None, unit="requests") as progress:
        while True:
            done, failed, total = _counts(batch)
            progress.update(
                done=done + failed, total=total or None, extra=f"({batch.status}: {done} ok, {failed} failed)"
            )
            if batch.status in FINAL:
                return batch
            time.sleep(interval)
            batch = client.batches.retrieve(batch.id)


def _download_results(client: Any, batch: Any, out: str, as_json: bool) -> None:
    written: dict[str, str] = {}
    if batch.output_file_id:
        download_file(client, batch.output_file_id, out, label="results")
        written["output"] = out
    if batch.error_file_id:
        errors = out.removesuffix(".jsonl").removesuffix(".output") + ".errors.jsonl"
        download_file(client, batch.error_file_id, errors, label="errors")
        written["errors"] = errors
    if as_json:
        print_json({"id": batch.id, "status": batch.status, **written})
    else:
        for kind, path in written.items():
            print(f"{kind}\t{path}")
    if not written:
        note(f"batch {batch.id} ({batch.status}) has no result files")


def run(args: argparse.Namespace) -> int:
    def body() -> int:
        if args.action == "create" and args.poll_interval <= 0:
            fail("--poll-interval must be positive")
        if args.action == "create":
            found = _check_jsonl(args.file)
            endpoint = args.endpoint or found
            if endpoint not in ENDPOINTS:
                fail(f"FILE {args.file}: url {found!r} is not a batch endpoint; choose one with --endpoint")
            metadata = _metadata(args.metadata)
        with connect(args) as client:
            if args.action == "create":
                uploaded = upload(client, args.file, "batch")
                extra: dict[str, Any] = {"metadata": metadata} if metadata else {}
                batch = client.batches.create(
                    input_file_id=uploaded.id,
                    endpoint=endpoint,  # type: ignore[arg-type]
                    completion_window=args.completion_window,
                    **extra,
                )
                note(f"batch {batch.id} created from {uploaded.id} ({endpoint})")
                if not args.wait:
                    _show(batch, args.json)
                    return 0
                batch = _wait(client, batch, args.poll_interval)
                out = args.out or os.path.splitext(args.file)[0] + ".output.jsonl"
                _download_results(client, batch, out, args.json)
                return 0 if batch.status == "completed" else 1
            if args.action == "list":
                batches = list(client.batches.list(limit=min(args.limit, 100)))[: args.limit]
                if args.json:
                    for b in batches:
                        print_json(b)
                    return 0
                rows = [[b.id, b.status, b.endpoint, *_counts(b), _when(b.created_at)] for b in batches]
                print_table(
                    "batches", ["id", "status", "endpoint", "completed", "failed", "total", "created"], rows
                )
            elif args.action == "status":
                _show(client.batches.retrieve(args.batch_id), args.json)
            elif args.action == "cancel":
                _show(client.batches.cancel(args.batch_id), args.json)
            else:
                batch = client.batches.retrieve(args.batch_id)
                if batch.status not in FINAL:
                    fail(f"batch {batch.id} is {batch.status}; wait for it to finish", 1)
                _download_results(client, batch, args.out or f"{batch.id}.output.jsonl", args.json)
        return 0

    flags = {
        "input_file_id": "FILE",
        "endpoint": "--endpoint",
        "completion_window": "--completion-window",
        "metadata": "--metadata",
        "batch_id": "BATCH_ID",
    }
    return run_command(f"batches {args.action}", body, args, flags)
