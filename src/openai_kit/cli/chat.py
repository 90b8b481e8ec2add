"""``openai-kit chat "Hello"``: stream a chat reply to the terminal.

With an API key configured (argument, ``.openai`` file or environment) it talks to that API. Without
one, it starts the bundled local server (``openai-kit serve``) in the background and uses its
deterministic ``echo`` model, so the command works offline.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..types.chat import ChatCompletionRequestMessageParam


def add_parser(sub: Any) -> None:
    p = sub.add_parser("chat", help="stream a chat completion to the terminal")
    p.add_argument("prompt", help="the user message")
    p.add_argument("--model", default=None, help="model name (default: gpt-4o-mini, or 'echo' offline)")
    p.add_argument("--system", default=None, help="an optional system message")
    p.add_argument("--base-url", default=None, help="any OpenAI-compatible server")
    p.add_argument("--api-key", default=None, help="API key (prefer the environment or a .openai file)")
    p.add_argument("--offline", action="store_true", help="use the bundled local server even with a key")
    p.set_defaults(_run=run)


@contextlib.contextmanager
def _backend(args: argparse.Namespace) -> Iterator[tuple[str | None, str | None, bool]]:
    """Yield (api_key, base_url, offline)."""
    from .._config import resolve_settings

    settings = resolve_settings(api_key=args.api_key, base_url=args.base_url)
    if settings.api_key and not args.offline:
        yield settings.api_key, settings.base_url, False
        return
    from ..server.testing import run_server

    with run_server() as base_url:
        yield "local", base_url, True


def run(args: argparse.Namespace) -> int:
    from .._client import OpenAI
    from .._errors import OpenAIError

    with _backend(args) as (api_key, base_url, offline):
        model = args.model or ("echo" if offline else "gpt-4o-mini")
        if offline:
            print(
                f"(no API key configured: using the local server at {base_url}, model {model!r})",
                file=sys.stderr,
            )
        messages: list[ChatCompletionRequestMessageParam] = []
        if args.system:
            messages.append({"role": "system", "content": args.system})
        messages.append({"role": "user", "content": args.prompt})
        try:
            with OpenAI(api_key=api_key, base_url=base_url) as client:
                stream = client.chat.completions.create(model=model, messages=messages, stream=True)
                with stream:
                    for chunk in stream:
                        for choice in chunk.choices:
                            if choice.delta.content:
                                sys.stdout.write(choice.delta.content)
                                sys.stdout.flush()
        except OpenAIError as exc:
            print(f"\nerror: {exc}", file=sys.stderr)
            return 1
        sys.stdout.write("\n")
    return 0
