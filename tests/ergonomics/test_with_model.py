"""``client.with_model(...)`` / ``client.<area>.with_model(...)``: calls default to that model."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import openai_kit
from openai_kit.server.testing import run_server

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with run_server() as url:
        yield url


def test_default_model_view(base_url: str) -> None:
    client = openai_kit.OpenAI(api_key="k", base_url=base_url)
    echo = client.with_model("echo")
    assert echo.model == "echo"
    completion = echo.chat.completions.create(messages=[{"role": "user", "content": "hello"}])
    assert completion.model == "echo" and completion.choices[0].message.content == "hello"
    # a model given to the call wins
    assert echo.chat.completions.create(
        model="tool-caller", messages=[{"role": "user", "content": "x"}]
    ).model == ("tool-caller")
    emb = client.embeddings.with_model("hash-embedding").create(input="hi")
    assert emb.model == "hash-embedding" and len(emb.data[0].embedding) > 0
    assert echo.responses.create(input="ping").model == "echo"
    assert (
        client.chat.with_model("echo").completions.create(messages=[{"role": "user", "content": "a"}]).model
        == "echo"
    )
    # the view shares the client: same connection pool, same settings
    assert echo.chat.completions._client is client
    with pytest.raises(TypeError):
        client.chat.completions.create(messages=[])  # type: ignore[call-arg]


async def test_async_default_model_view(base_url: str) -> None:
    client = openai_kit.AsyncOpenAI(api_key="k", base_url=base_url)
    completion = await client.with_model("echo").chat.completions.create(
        messages=[{"role": "user", "content": "yo"}]
    )
    assert completion.model == "echo"
    stream = await client.with_model("echo").chat.completions.create(
        messages=[{"role": "user", "content": "yo"}], stream=True
    )
    assert "".join([c.choices[0].delta.content or "" async for c in stream if c.choices]) == "yo"
    await client.close()


@pytest.mark.slow
def test_model_is_optional_only_in_the_view_for_mypy() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--follow-imports=silent",
            "--no-error-summary",
            str(HERE / "typing_with_model.py"),
        ],
        capture_output=True,
        text=True,
    )
    errors = [line for line in proc.stdout.splitlines() if ": error:" in line]
    must_fail = [
        i + 1
        for i, line in enumerate((HERE / "typing_with_model.py").read_text().splitlines())
        if "MUST-FAIL" in line
    ]
    # the one error is the plain client's call without a model (no overload matches it)
    assert len(errors) == 1 and f":{must_fail[0]}: error:" in errors[0], proc.stdout
