"""``openai-kit responses PROMPT``: one Responses API call, streamed to the terminal."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ._common import add_connection_args, add_json_arg, connect, print_json, read_text_arg, run_command


def add_parser(sub: Any) -> None:
    p = sub.add_parser("responses", help="one Responses API call, streamed")
    p.add_argument("prompt", metavar="PROMPT", help="the input ('-': read it from stdin)")
    p.add_argument("--model", default="gpt-4o-mini", help="default: gpt-4o-mini")
    p.add_argument("--instructions", default=None, help="a system / developer message")
    p.add_argument("--no-stream", action="store_true", help="wait for the whole response")
    add_connection_args(p)
    add_json_arg(p)
    p.set_defaults(_run=run)


def run(args: argparse.Namespace) -> int:
    def body() -> None:
        prompt = read_text_arg(args.prompt, "PROMPT")
        params: dict[str, Any] = {"model": args.model, "input": prompt}
        if args.instructions:
            params["instructions"] = args.instructions
        with connect(args, bundled=True) as client:
            if args.json or args.no_stream:
                response = client.responses.create(**params)
                if args.json:
                    print_json(response)
                else:
                    print(response.output_text)
                return
            with client.responses.stream(**params) as stream:
                for event in stream:
                    if event.type == "response.output_text.delta":
                        sys.stdout.write(event.delta)
                        sys.stdout.flush()
            sys.stdout.write("\n")

    flags = {"input": "PROMPT", "model": "--model", "instructions": "--instructions"}
    return run_command("responses", body, args, flags)
