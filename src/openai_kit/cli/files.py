"""``openai-kit files upload|list|download|delete``."""

from __future__ import annotations

import argparse
import datetime
import os
from typing import Any

from ._common import (
    add_connection_args,
    add_json_arg,
    connect,
    download_file,
    fail,
    human_size,
    note,
    print_json,
    print_table,
    run_command,
    upload,
)

PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")


def add_parser(sub: Any) -> None:
    p = sub.add_parser("files", help="upload, list, download and delete files")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    up = actions.add_parser("upload", help="upload a file (streamed from disk, with progress)")
    up.add_argument("file", metavar="FILE", help="the file to upload")
    up.add_argument("--purpose", choices=PURPOSES, default="user_data", help="what the file is for")
    ls = actions.add_parser("list", help="list the files")
    ls.add_argument("--purpose", default=None, help="only files with this purpose")
    dl = actions.add_parser("download", help="save a file's content (with progress)")
    dl.add_argument("file_id", metavar="FILE_ID")
    dl.add_argument("--out", metavar="PATH", default=None, help="where to write it (default: its filename)")
    rm = actions.add_parser("delete", help="delete files")
    rm.add_argument("file_ids", metavar="FILE_ID", nargs="+")
    for q in (up, ls, dl, rm):
        add_connection_args(q)
        add_json_arg(q)
    p.set_defaults(_run=run)


def _when(ts: int | None) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M") if ts else ""


def run(args: argparse.Namespace) -> int:
    def body() -> None:
        with connect(args) as client:
            if args.action == "upload":
                f = upload(client, args.file, args.purpose)
                if args.json:
                    print_json(f)
                else:
                    print(f.id)
                    note(f"uploaded {f.filename} ({human_size(f.bytes)}) as {f.id}, purpose {f.purpose}")
            elif args.action == "list":
                query: dict[str, Any] = {"purpose": args.purpose} if args.purpose else {}
                files = list(client.files.list(**query))
                if args.json:
                    for f in files:
                        print_json(f)
                    return
                rows = [[f.id, f.filename, f.purpose, f.bytes, _when(f.created_at)] for f in files]
                print_table("files", ["id", "filename", "purpose", "bytes", "created"], rows)
            elif args.action == "download":
                out = args.out
                if out is None:
                    out = client.files.retrieve(args.file_id).filename or args.file_id
                    out = os.path.basename(out)
                    if os.path.exists(out):
                        fail(f"--out: {out} exists; choose another path with --out")
                written = download_file(client, args.file_id, out)
                if args.json:
                    print_json({"id": args.file_id, "path": out, "bytes": written})
                else:
                    print(out)
            else:
                for file_id in args.file_ids:
                    deleted = client.files.delete(file_id)
                    if args.json:
                        print_json(deleted)
                    else:
                        print(f"deleted {deleted.id}")

    return run_command(f"files {args.action}", body, args, {"file": "FILE", "file_id": "FILE_ID"})
