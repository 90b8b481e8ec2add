"""The hand-written helpers mixed into generated classes are checked by mypy: each declares its host
(a Protocol of the generated calls it makes) instead of calling through an untyped ``self`` alias."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import openai_kit

HERE = Path(__file__).parent
PACKAGE = Path(openai_kit.__file__).parent


def test_no_untyped_self_alias_in_the_package() -> None:
    # `me: Any = self` turned every call made through `me` into an unchecked one
    alias = re.compile(r"^\s*\w+: Any = self\s*(#.*)?$")
    found = [
        f"{path.relative_to(PACKAGE)}:{n}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if alias.match(line)
    ]
    assert found == []


@pytest.mark.slow
def test_helper_results_are_typed_and_misuse_is_an_error() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--follow-imports=silent",
            "--no-error-summary",
            str(HERE / "typing_helpers.py"),
        ],
        capture_output=True,
        text=True,
    )
    errors = sorted(int(line.split(":")[1]) for line in proc.stdout.splitlines() if ": error:" in line)
    must_fail = [
        i + 1
        for i, line in enumerate((HERE / "typing_helpers.py").read_text().splitlines())
        if "# MUST-FAIL" in line
    ]
    assert len(must_fail) == 4
    assert errors == must_fail, proc.stdout
