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
    "responses": "responses",
    "models": "models",
    "files": "files",
    "batches": "batches",
    "embeddings": "embeddings",
    "images": "images",
    "audio": "audio",
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
            from ._common import extra_for

            hint = f"openai-kit[{extra_for(missing) or 'all'}]"
            p = sub.add_parser(name, help=f"(unavailable: install {hint}; missing {missing})")
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
        from ._common import extra_for

        print(
            f"openai-kit {args.command}: missing dependency {missing!r}; "
            f"pip install 'openai-kit[{extra_for(missing) or 'all'}]'",
            file=sys.stderr,
        )
        return 2
    run = args._run
    try:
        result: int = run(args)
    except ModuleNotFoundError as exc:
        from ._common import extra_for

        extra = extra_for(exc.name)
        if extra is None:
            raise
        print(
            f"openai-kit {args.command}: this needs the '{extra}' extra (missing module {exc.name!r}): "
            f"pip install 'openai-kit[{extra}]'",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        return 130
    return result


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
