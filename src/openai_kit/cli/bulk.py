"""``openai-kit bulk run requests.jsonl --out results.jsonl``: run a JSONL file of requests, resumably."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_parser(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "bulk",
        help="run a JSONL file of requests (Batch API format), resumably, directly or via the Batch API",
        description="Run a JSONL file of requests and write one result per request, in input order. "
        "Rerunning the same command skips the requests already in the output.",
    )
    sub = p.add_subparsers(dest="bulk_command", metavar="ACTION", required=True)
    r: argparse.ArgumentParser = sub.add_parser("run", help="run the requests of a JSONL file")
    r.add_argument("input", help="JSONL input: one {custom_id, method, url, body} per line")
    r.add_argument("--out", required=True, help="JSONL output (appended to when it exists: resume)")
    r.add_argument(
        "--via",
        choices=["direct", "batch"],
        default="direct",
        help="direct: concurrent requests (default); batch: through the Batch API",
    )
    r.add_argument("--concurrency", type=int, default=32, help="requests in flight (direct; default 32)")
    r.add_argument("--rpm", type=float, default=None, help="requests per minute to stay under (direct)")
    r.add_argument("--tpm", type=float, default=None, help="tokens per minute to stay under (direct)")
    r.add_argument("--redis-url", default=None, help="share the rate limit with other workers through Redis")
    r.add_argument("--batch-size", type=int, default=50_000, help="requests per batch file (batch)")
    r.add_argument("--poll-interval", type=float, default=5.0, help="seconds between batch polls (batch)")
    r.add_argument("--base-url", default=None, help="API base URL (default: OPENAI_BASE_URL or the API)")
    r.add_argument("--no-progress", action="store_true", help="no progress bar or progress lines")
    r.set_defaults(_run=run)


def run(args: argparse.Namespace) -> int:
    from .._errors import OpenAIError
    from ..bulk import BulkInputError, BulkSummary, run_bulk
    from ..ratelimit import RateLimiter

    summary = BulkSummary()
    try:
        limiter = None
        if args.rpm or args.tpm or args.redis_url:
            limiter = RateLimiter(args.rpm, args.tpm, redis_url=args.redis_url, name="bulk")
        run_bulk(
            args.input,
            args.out,
            base_url=args.base_url,
            rate_limit=limiter,
            via=args.via,
            concurrency=args.concurrency,
            batch_size=args.batch_size,
            poll_interval=args.poll_interval,
            progress=False if args.no_progress else None,
            summary=summary,
        )
    except (BulkInputError, OpenAIError, OSError) as exc:
        print(f"openai-kit bulk: {exc}", file=sys.stderr)
        return 2
    print(summary, file=sys.stderr)
    return 130 if summary.interrupted else 0
