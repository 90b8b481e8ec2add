"""``python -m codegen [--spec PATH] [--out DIR] [--check]``: (re)generate resources/ and types/."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .core_schemas import render_core_schemas
from .generate import generate
from .spec import REPO_ROOT, load_spec, spec_path

GENERATED_DIRS = ("src/openai_kit/resources", "src/openai_kit/types")


def format_files(files: dict[str, str]) -> dict[str, str]:
    """Deterministic formatting: strip trailing blanks, one final newline."""
    out = {}
    for path, text in files.items():
        lines = [ln.rstrip() for ln in text.splitlines()]
        while lines and not lines[-1]:
            lines.pop()
        out[path] = "\n".join(lines) + "\n"
    return out


def build(spec_file: Path | None = None) -> dict[str, str]:
    files = format_files(generate(load_spec(spec_file)))
    files.update(render_core_schemas(files))  # precomputed from the generated models themselves
    return files


def _generated_files(base: Path) -> list[Path]:
    """The files under a generated directory that codegen owns (every one is regenerated or deleted)."""
    return sorted(p for ext in ("py", "pyi", "json") for p in base.rglob(f"*.{ext}"))


def write(files: dict[str, str], out: Path) -> list[str]:
    """Write ``files`` under ``out``; delete generated files that are no longer produced."""
    changed: list[str] = []
    for d in GENERATED_DIRS:
        base = out / d
        if base.exists():
            for p in _generated_files(base):
                rel = p.relative_to(out).as_posix()
                if rel not in files:
                    p.unlink()
                    changed.append(rel)
    for rel, text in files.items():
        p = out / rel
        if p.exists() and p.read_text(encoding="utf-8") == text:
            continue
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        changed.append(rel)
    return changed


def diff(files: dict[str, str], out: Path) -> list[str]:
    """Paths whose committed content differs from ``files`` (missing, changed or stale)."""
    bad = []
    for rel, text in files.items():
        p = out / rel
        if not p.exists() or p.read_text(encoding="utf-8") != text:
            bad.append(rel)
    for d in GENERATED_DIRS:
        base = out / d
        if base.exists():
            for p in _generated_files(base):
                rel = p.relative_to(out).as_posix()
                if rel not in files:
                    bad.append(rel)
    return bad


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m codegen", description=__doc__)
    ap.add_argument("--spec", type=Path, default=None, help=f"OpenAPI file (default {spec_path()})")
    ap.add_argument("--out", type=Path, default=REPO_ROOT, help="repository root to write into")
    ap.add_argument("--check", action="store_true", help="only report files that differ; exit 1 if any")
    args = ap.parse_args(argv)
    files = build(args.spec)
    if args.check:
        bad = diff(files, args.out)
        for b in bad:
            print(f"out of date: {b}")
        return 1 if bad else 0
    changed = write(files, args.out)
    print(f"{len(files)} files generated, {len(changed)} changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
