"""``openai-kit chat "Hello"``: stream a chat reply to the terminal.

Where it connects: a key and/or base URL from ``--api-key``/``--base-url``, a ``.openai`` file or the
environment. A base URL alone is enough (keyless local servers: no ``Authorization`` header is sent).
With neither it starts the bundled local server (``openai-kit serve``) and says so on stderr.

``chat -`` reads the prompt from stdin (so does ``chat`` when stdin is not a terminal); ``chat`` with no
prompt on a terminal is a conversation: history kept, replies streamed, Ctrl-C stops a reply, Ctrl-C or
Ctrl-D at the prompt ends it.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from ._common import add_connection_args, connect, fail, run_command

if TYPE_CHECKING:
    from .._client import OpenAI
    from ..types.chat import ChatCompletionRequestMessageParam


def add_parser(sub: Any) -> None:
    p = sub.add_parser("chat", help="stream a chat completion to the terminal (no prompt: a conversation)")
    p.add_argument(
        "prompt",
        nargs="?",
        default=None,
        help="the user message; '-' reads it from stdin; none on a terminal starts a conversation",
    )
    p.add_argument("--model", default="gpt-4o-mini", help="model name (default: gpt-4o-mini)")
    p.add_argument("--system", default=None, help="an optional system message")
    add_connection_args(p)
    p.add_argument("--offline", action="store_true", help="use the bundled local server even when configured")
    p.set_defaults(_run=run)


def _reply(client: OpenAI, model: str, messages: list[ChatCompletionRequestMessageParam]) -> str:
    """Stream one reply to stdout; return its text."""
    parts: list[str] = []
    stream = client.chat.completions.create(model=model, messages=messages, stream=True)
    with stream:
        for chunk in stream:
            for choice in chunk.choices:
                if choice.index == 0 and choice.delta.content:
                    parts.append(choice.delta.content)
                    sys.stdout.write(choice.delta.content)
                    sys.stdout.flush()
    sys.stdout.write("\n")
    sys.stdout.flush()
    return "".join(parts)


def _conversation(client: OpenAI, model: str, messages: list[ChatCompletionRequestMessageParam]) -> None:
    try:
        import readline  # noqa: F401 - line editing and history for input()
    except ImportError:  # pragma: no cover - not on every platform
        pass
    print(
        f"(chatting with {model}; Ctrl-C stops a reply, Ctrl-D or Ctrl-C at the prompt ends)", file=sys.stderr
    )
    try:
        while True:
            try:
                text = input("you> ")
            except EOFError:
                break
            if not text.strip():
                continue
            messages.append({"role": "user", "content": text})
            try:
                answer = _reply(client, model, messages)
            except KeyboardInterrupt:
                sys.stdout.write("\n")
                print("(reply stopped)", file=sys.stderr)
                messages.pop()
                continue
            messages.append({"role": "assistant", "content": answer})
    except KeyboardInterrupt:
        pass  # Ctrl-C anywhere but inside a reply ends the conversation, as at the prompt
    sys.stdout.write("\n")


def run(args: argparse.Namespace) -> int:
    def body() -> None:
        prompt = args.prompt
        interactive = prompt is None and sys.stdin.isatty()
        if prompt == "-" or (prompt is None and not interactive):
            prompt = sys.stdin.read().strip()
            if not prompt:
                fail(
                    "PROMPT: standard input was empty (give a prompt, or run on a terminal for a conversation)"
                )
        messages: list[ChatCompletionRequestMessageParam] = []
        if args.system:
            messages.append({"role": "system", "content": args.system})
        with connect(args, bundled=True, force_bundled=args.offline) as client:
            if interactive:
                _conversation(client, args.model, messages)
                return
            messages.append({"role": "user", "content": prompt})
            _reply(client, args.model, messages)

    return run_command("chat", body, args, {"model": "--model", "messages": "PROMPT"})
