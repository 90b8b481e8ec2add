"""The ``local_server`` fixture reaches a test suite through the ``pytest11`` entry point declared in
pyproject.toml: a pytest run in an empty directory (no conftest, no ``pytest_plugins``) gets it.

The entry point is installed as package metadata (a ``dist-info`` made here from pyproject.toml's table),
because the openai-kit installed on the machine may predate it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

TEST_FILE = """
from openai_kit import OpenAI

def test_reply(local_server):
    client = OpenAI(base_url=local_server, api_key="anything", max_retries=0)
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}])
    assert reply.choices[0].message.content == "Hi"
    assert reply.model == "gpt-4o-mini"
"""


def _entry_points() -> dict[str, str]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    table: dict[str, str] = project["entry-points"]["pytest11"]
    return table


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    site = tmp_path / "site"
    info = site / "openai_kit_plugin_check-0.0.0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: openai-kit-plugin-check\nVersion: 0.0.0\n")
    lines = "".join(f"{name} = {target}\n" for name, target in _entry_points().items())
    (info / "entry_points.txt").write_text(f"[pytest11]\n{lines}")
    work = tmp_path / "suite"
    work.mkdir(exist_ok=True)
    (work / "test_uses_fixture.py").write_text(TEST_FILE)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "OPENAI_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(ROOT / "src")])
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_fixture_comes_from_the_entry_point(tmp_path: Path) -> None:
    assert _entry_points() == {"openai_kit": "openai_kit.pytest_plugin"}
    result = _run(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
    disabled = _run(tmp_path, "-p", "no:openai_kit")
    assert disabled.returncode != 0
    assert "fixture 'local_server' not found" in disabled.stdout
