"""``openai-kit images generate PROMPT --out DIR``."""

from __future__ import annotations

import argparse
import base64
import os
import urllib.request
from typing import Any

from ._common import (
    add_connection_args,
    add_json_arg,
    connect,
    fail,
    note,
    print_json,
    read_text_arg,
    run_command,
)


def add_parser(sub: Any) -> None:
    p = sub.add_parser("images", help="generate images")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    gen = actions.add_parser("generate", help="generate images from a prompt and save them")
    gen.add_argument("prompt", metavar="PROMPT", help="what to draw ('-': read it from stdin)")
    gen.add_argument("--out", metavar="DIR", required=True, help="directory to save the images in")
    gen.add_argument("--model", default="gpt-image-1", help="default: gpt-image-1")
    gen.add_argument("--n", type=int, default=1, help="how many images (default: 1)")
    gen.add_argument("--size", default=None, help="e.g. 1024x1024")
    gen.add_argument("--quality", default=None, help="e.g. low, medium, high, standard, hd")
    gen.add_argument("--format", dest="output_format", choices=["png", "jpeg", "webp"], default=None)
    add_connection_args(gen)
    add_json_arg(gen)
    p.set_defaults(_run=run)


def run(args: argparse.Namespace) -> int:
    def body() -> None:
        if args.n < 1:
            fail("--n must be at least 1")
        prompt = read_text_arg(args.prompt, "PROMPT")
        try:
            os.makedirs(args.out, exist_ok=True)
        except OSError as exc:
            fail(f"--out: cannot create {args.out}: {exc.strerror or exc}")
        params: dict[str, Any] = {"prompt": prompt, "model": args.model, "n": args.n}
        for name in ("size", "quality", "output_format"):
            if getattr(args, name) is not None:
                params[name] = getattr(args, name)
        if args.model.startswith("dall-e"):
            params["response_format"] = "b64_json"  # gpt-image models always answer in base64
        with connect(args) as client:
            result = client.images.generate(**params)
        ext = {"jpeg": "jpg"}.get(args.output_format or "png", args.output_format or "png")
        paths = []
        for i, image in enumerate(result.data or []):
            path = os.path.join(args.out, f"image-{result.created}-{i}.{ext}")
            if image.b64_json:
                data = base64.b64decode(image.b64_json)
            elif image.url:
                with urllib.request.urlopen(image.url, timeout=60) as r:
                    data = r.read()
            else:
                fail(f"image {i} of the reply has neither b64_json nor url", 1)
            with open(path, "wb") as f:
                f.write(data)
            paths.append(path)
        if args.json:
            print_json({"created": result.created, "paths": paths})
        else:
            for path in paths:
                print(path)
            note(f"saved {len(paths)} image(s) in {args.out}")

    flags = {
        "prompt": "PROMPT",
        "model": "--model",
        "n": "--n",
        "size": "--size",
        "quality": "--quality",
        "output_format": "--format",
    }
    return run_command("images generate", body, args, flags)
