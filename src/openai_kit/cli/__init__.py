"""The ``openai-kit`` command.

Each subcommand lives in its own module of this package and exposes two functions:
``add_parser(subparsers)`` registers its arguments and ``run(args) -> int`` does the work.
Modules are imported only when listed here, so ``openai-kit --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from .._version import __version__

#: subcommand name -> module inside ``openai_kit.cli``
SUBCOMMANDS: dict[str, str] = {
    "chat": "chat",
    "serve": "serve",
    "proxy": "proxy",
    "bulk": "bulk",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="openai-kit", description="Toolkit for the OpenAI API.")
    parser.add_argument("--version", action="version", version=f"openai-kit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module in SUBCOMMANDS.items():
        try:
            mod = importlib.import_module(f"{__name__}.{module}")
        except ModuleNotFoundError as exc:
            # A subcommand whose optional dependencies are not installed is listed but explains itself.
            missing = exc.name or module
            p = sub.add_parser(name, help=f"(unavailable: install openai-kit[all]; missing {missing})")
            p.set_defaults(_missing=missing)
            continue
        mod.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    missing = getattr(args, "_missing", None)
    if missing is not None:
        print(
            f"openai-kit {args.command}: missing dependency {missing!r}; pip install 'openai-kit[all]'",
            file=sys.stderr,
        )
        return 2
    run = args._run
    result: int = run(args)
    return result


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
