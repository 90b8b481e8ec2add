"""``openai-kit models list``."""

from __future__ import annotations

import argparse
import datetime
from typing import Any

from ._common import add_connection_args, add_json_arg, connect, print_json, print_table, run_command


def add_parser(sub: Any) -> None:
    p = sub.add_parser("models", help="list the models of the API or server")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    ls = actions.add_parser("list", help="list the models")
    add_connection_args(ls)
    add_json_arg(ls)
    p.set_defaults(_run=run)


def _when(ts: int | None) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%d") if ts else ""


def run(args: argparse.Namespace) -> int:
    def body() -> None:
        with connect(args) as client:
            models = sorted(client.models.list(), key=lambda m: m.id)
            if args.json:
                for m in models:
                    print_json(m)
                return
            print_table(
                "models",
                ["id", "owned_by", "created"],
                [[m.id, m.owned_by, _when(m.created)] for m in models],
            )

    return run_command("models list", body, args)
