"""``openai-kit audio speech TEXT --out FILE`` and ``openai-kit audio transcribe FILE``."""

from __future__ import annotations

import argparse
import os
from typing import Any

from ._common import (
    Progress,
    add_connection_args,
    add_json_arg,
    connect,
    fail,
    note,
    open_input,
    print_json,
    read_text_arg,
    run_command,
)

FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")


def add_parser(sub: Any) -> None:
    p = sub.add_parser("audio", help="text to speech, speech to text")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    sp = actions.add_parser("speech", help="speak a text into an audio file")
    sp.add_argument("text", metavar="TEXT", help="what to say ('-': read it from stdin)")
    sp.add_argument("--out", metavar="FILE", required=True, help="audio file to write")
    sp.add_argument("--model", default="gpt-4o-mini-tts", help="default: gpt-4o-mini-tts")
    sp.add_argument("--voice", default="alloy", help="default: alloy")
    sp.add_argument(
        "--format", choices=FORMATS, default=None, help="default: from the --out suffix, else mp3"
    )
    sp.add_argument("--instructions", default=None, help="how to speak (gpt-4o-mini-tts)")
    tr = actions.add_parser("transcribe", help="transcribe an audio file to text")
    tr.add_argument("file", metavar="FILE", help="the audio file")
    tr.add_argument("--model", default="gpt-4o-mini-transcribe", help="default: gpt-4o-mini-transcribe")
    tr.add_argument("--language", default=None, help="the spoken language (ISO-639-1), if known")
    tr.add_argument("--prompt", default=None, help="text to guide the style or vocabulary")
    for q in (sp, tr):
        add_connection_args(q)
        add_json_arg(q)
    p.set_defaults(_run=run)


def _speech(args: argparse.Namespace) -> None:
    text = read_text_arg(args.text, "TEXT")
    fmt = args.format or os.path.splitext(args.out)[1].lstrip(".").lower()
    if fmt not in FORMATS:
        fmt = "mp3"
    params: dict[str, Any] = {"model": args.model, "voice": args.voice, "input": text, "response_format": fmt}
    if args.instructions:
        params["instructions"] = args.instructions
    with connect(args) as client:
        audio = client.audio.speech.create(**params)
        written = 0
        try:
            with (
                open(args.out, "wb") as f,
                Progress(f"speech {os.path.basename(args.out)}", None) as progress,
            ):
                for chunk in audio.iter_bytes():
                    f.write(chunk)
                    written += len(chunk)
                    progress.update(done=written)
        except OSError as exc:
            fail(f"--out: cannot write {args.out}: {exc.strerror or exc}")
    if args.json:
        print_json({"path": args.out, "bytes": written, "format": fmt})
    else:
        print(args.out)
        note(f"wrote {written} bytes of {fmt}")


def _transcribe(args: argparse.Namespace) -> None:
    params: dict[str, Any] = {"model": args.model}
    for name in ("language", "prompt"):
        if getattr(args, name) is not None:
            params[name] = getattr(args, name)
    with open_input(args.file, "FILE") as f, connect(args) as client:
        result = client.audio.transcriptions.create(file=(os.path.basename(args.file), f), **params)
    if args.json:
        print_json(result)
    else:
        print(getattr(result, "text", result))


def run(args: argparse.Namespace) -> int:
    flags = {
        "input": "TEXT",
        "file": "FILE",
        "model": "--model",
        "voice": "--voice",
        "response_format": "--format",
        "language": "--language",
        "prompt": "--prompt",
        "instructions": "--instructions",
    }
    return run_command(
        f"audio {args.action}",
        lambda: _speech(args) if args.action == "speech" else _transcribe(args),
        args,
        flags,
    )
