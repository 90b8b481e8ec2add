"""The committed resources/ and types/ are exactly what the generator makes from the spec."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from codegen.__main__ import GENERATED_DIRS, build, diff, write

from .conftest import REPO


def test_generated_code_is_up_to_date(tmp_path: Path) -> None:
    files = build()
    # regenerate into a temporary tree and compare it with the committed one, file by file
    written = write(files, tmp_path)
    assert sorted(written) == sorted(files)
    stale = diff(files, REPO)
    assert not stale, (
        f"{len(stale)} generated file(s) differ from the generator output, e.g. {stale[:5]}; "
        "run `python -m codegen`"
    )
    for d in GENERATED_DIRS:
        committed = {
            p.relative_to(REPO).as_posix()
            for ext in ("py", "pyi", "json")
            for p in (REPO / d).rglob(f"*.{ext}")
        }
        fresh = {
            p.relative_to(tmp_path).as_posix()
            for ext in ("py", "pyi", "json")
            for p in (tmp_path / d).rglob(f"*.{ext}")
        }
        assert committed == fresh


def test_check_mode_reports_clean_tree() -> None:
    """A second process (another hash seed) finds nothing to change: the output is deterministic."""
    proc = subprocess.run(
        [sys.executable, "-m", "codegen", "--check"], cwd=REPO, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_fresh_clone_with_nothing_beside_it_generates_the_same_code(tmp_path: Path) -> None:
    """The spec lives in the repo: a clone alone in an empty directory checks its generated code (with
    no shared folder beside the checkout, no environment override)."""
    clone = tmp_path / "alone" / "openai-kit"
    subprocess.run(
        ["git", "clone", "--quiet", "--no-local", str(REPO), str(clone)], check=True, capture_output=True
    )
    # the clone holds the committed tree; lay the working tree's uncommitted generator inputs over it so
    # the test checks this code, not the last commit
    for rel in ("codegen", "spec", "src/openai_kit/types", "src/openai_kit/resources"):
        subprocess.run(["rm", "-rf", str(clone / rel)], check=True)
        subprocess.run(["cp", "-r", str(REPO / rel), str(clone / rel)], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "PYTHONPATH"))}
    env["HOME"] = str(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "codegen", "--check"], cwd=clone, capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not (clone.parent / "shared").exists()
