"""A bare install (``pip install openai-kit``, no extras): commands that need an extra say which one,
exit 2, and print no traceback. The optional packages are hidden from a subprocess by an import hook."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .support import clean_env

HIDE_EXTRAS = """
import importlib.abc, sys
HIDDEN = {"starlette", "uvicorn", "multipart", "python_multipart", "rich", "websockets", "httptools"}

class Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HIDDEN:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, Hide())
from openai_kit.cli import main
sys.exit(main(sys.argv[1:]))
"""


def bare(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", HIDE_EXTRAS, *args],
        cwd=tmp_path,
        env=clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        input="",
    )


@pytest.mark.parametrize(
    ("args", "extra"),
    [(("chat", "Hi"), "server"), (("serve",), "server"), (("proxy", "--allow-anonymous"), "proxy")],
    ids=["chat", "serve", "proxy"],
)
def test_missing_extra_is_named(tmp_path: Path, args: tuple[str, ...], extra: str) -> None:
    result = bare(tmp_path, *args)
    assert result.returncode == 2
    assert f"pip install 'openai-kit[{extra}]'" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_help_and_plain_output_work_without_extras(tmp_path: Path) -> None:
    result = bare(tmp_path, "--help")
    assert result.returncode == 0 and "files" in result.stdout and "batches" in result.stdout
    no_config = bare(tmp_path, "models", "list")
    assert no_config.returncode == 2 and "--base-url" in no_config.stderr
