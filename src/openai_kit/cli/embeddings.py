"""``openai-kit embeddings``: texts (arguments, or one per line of a file) in, JSONL vectors out."""

from __future__ import annotations

import argparse
import json
import sys
from typing import IO, Any

from ._common import Progress, add_connection_args, connect, fail, run_command


def add_parser(sub: Any) -> None:
    p = sub.add_parser("embeddings", help="embed texts; one JSON line per text")
    p.add_argument("texts", metavar="TEXT", nargs="*", help="texts to embed ('-': one per line from stdin)")
    p.add_argument("--file", metavar="FILE", default=None, help="embed each non-empty line of FILE")
    p.add_argument("--model", default="text-embedding-3-small", help="default: text-embedding-3-small")
    p.add_argument("--dimensions", type=int, default=None, help="shorter vectors (text-embedding-3 models)")
    p.add_argument(
        "--batch-size", type=int, default=256, metavar="N", help="texts per request (default: 256)"
    )
    p.add_argument("--out", metavar="PATH", default=None, help="write the JSONL here (default: stdout)")
    add_connection_args(p)
    p.set_defaults(_run=run)


def _texts(args: argparse.Namespace) -> list[str]:
    texts: list[str] = []
    for text in args.texts:
        if text == "-":
            texts += [line for line in sys.stdin.read().splitlines() if line.strip()]
        else:
            texts.append(text)
    if args.file is not None:
        try:
            with open(args.file, encoding="utf-8") as f:
                texts += [line.rstrip("\n") for line in f if line.strip()]
        except OSError as exc:
            fail(f"--file: cannot read {args.file}: {exc.strerror or exc}")
        except UnicodeDecodeError:
            fail(f"--file: {args.file} is not UTF-8 text")
    if not texts:
        fail("nothing to embed: give TEXT arguments, '-' for stdin, or --file FILE")
    return texts


def run(args: argparse.Namespace) -> int:
    def body() -> None:
        if args.batch_size < 1:
            fail("--batch-size must be at least 1")
        if args.dimensions is not None and args.dimensions < 1:
            fail("--dimensions must be at least 1")
        texts = _texts(args)
        extra: dict[str, Any] = {"dimensions": args.dimensions} if args.dimensions else {}
        out: IO[str] = sys.stdout
        if args.out is not None:
            try:
                out = open(args.out, "w", encoding="utf-8")  # noqa: SIM115 - closed below
            except OSError as exc:
                fail(f"--out: cannot write {args.out}: {exc.strerror or exc}")
        try:
            with connect(args) as client, Progress("embeddings", len(texts), unit="texts") as progress:
                for start in range(0, len(texts), args.batch_size):
                    chunk = texts[start : start + args.batch_size]
                    result = client.embeddings.create(model=args.model, input=chunk, **extra)
                    for item in sorted(result.data, key=lambda d: d.index):
                        line = {
                            "index": start + item.index,
                            "input": chunk[item.index],
                            "embedding": item.embedding,
                        }
                        out.write(json.dumps(line) + "\n")
                    progress.update(advance=len(chunk))
        finally:
            if out is not sys.stdout:
                out.close()

    return run_command(
        "embeddings", body, args, {"input": "TEXT", "model": "--model", "dimensions": "--dimensions"}
    )
