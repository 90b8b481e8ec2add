"""An ``AsyncOpenAI`` that is never closed releases its aiohttp session by itself: no "Unclosed client
session" / "Unclosed connector" warnings at garbage collection or interpreter exit (run in a subprocess,
because the warnings are printed while the interpreter shuts down)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """
import asyncio, gc, sys
from openai_kit import AsyncOpenAI
from openai_kit.server.testing import run_server

KEEP = []

async def main(url, how):
    client = AsyncOpenAI(base_url=url, api_key="x")
    r = await client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    print(r.choices[0].message.content)
    if how == "stream":
        stream = await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "a b c"}], stream=True
        )
        async for _ in stream:
            break  # abandoned mid-stream, never closed
        KEEP.append(stream)
    if how in ("global", "stream"):
        KEEP.append(client)

with run_server() as url:
    asyncio.run(main(url, sys.argv[1]))
    gc.collect()
    print("done")
"""


@pytest.mark.parametrize("how", ["dropped", "global", "stream"])
def test_unclosed_async_client_prints_no_warning(tmp_path: Path, how: str) -> None:
    script = tmp_path / "unclosed.py"
    script.write_text(SCRIPT)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}  # the default warning filters
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    result = subprocess.run(
        [sys.executable, str(script), how], capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["hi", "done"]
    assert result.stderr == ""
