"""Ergonomics against the bundled local server, through the generated surface."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pydantic
import pytest

import openai_kit
from openai_kit import structured
from openai_kit.polling import await_for, wait_for
from openai_kit.server.testing import run_server
from openai_kit.tools import Toolset, arun_tools, function_tool, run_tools


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with run_server() as url:
        yield url


calls: list[tuple[str, str]] = []


@function_tool
def get_weather(city: str, unit: Literal["celsius", "fahrenheit"]) -> dict[str, object]:
    """Current weather for a city."""
    calls.append((city, unit))
    return {"city": city, "temperature": 21, "unit": unit}


def test_tool_loop_runs_the_function_and_feeds_the_result_back(base_url: str) -> None:
    calls.clear()
    client = openai_kit.OpenAI(api_key="k", base_url=base_url)
    transcript: list[dict[str, object]] = []
    completion = run_tools(
        client,
        model="tool-caller",
        tools=Toolset([get_weather]),
        transcript=transcript,
        messages=[{"role": "user", "content": "Weather in Paris?"}],
    )
    assert len(calls) == 1 and calls[0][1] in ("celsius", "fahrenheit")
    assert [m["role"] for m in transcript] == ["user", "assistant", "tool"]
    tool_result = json.loads(str(transcript[2]["content"]))
    assert tool_result["temperature"] == 21
    assert completion.choices[0].message.tool_calls in (None, [])
    assert "21" in (completion.choices[0].message.content or "")


async def test_async_tool_loop(base_url: str) -> None:
    calls.clear()
    client = openai_kit.AsyncOpenAI(api_key="k", base_url=base_url)
    completion = await arun_tools(
        client,
        model="tool-caller",
        tools=Toolset([get_weather]),
        messages=[{"role": "user", "content": "Weather?"}],
    )
    assert len(calls) == 1
    assert completion.choices[0].finish_reason == "stop"
    await client.close()


class Invoice(pydantic.BaseModel):
    number: str
    total: float
    paid: bool
    lines: list[str]


def test_structured_output_round_trip(base_url: str) -> None:
    client = openai_kit.OpenAI(api_key="k", base_url=base_url)
    completion = client.chat.completions.create(
        model="echo",
        messages=[{"role": "user", "content": "invoice please"}],
        response_format=structured.response_format(Invoice),
    )  # type: ignore[arg-type]
    message = completion.choices[0].message
    invoice = structured.parse(Invoice, message.content, refusal=message.refusal)
    assert isinstance(invoice, Invoice) and isinstance(invoice.lines, list)


def test_poller_waits_for_a_real_batch(base_url: str, tmp_path: Path) -> None:
    client = openai_kit.OpenAI(api_key="k", base_url=base_url)
    jsonl = tmp_path / "batch.jsonl"
    jsonl.write_text(
        "".join(
            json.dumps(
                {
                    "custom_id": f"r{i}",
                    "method": "POST",
                    "url": "/v1/chat/completions",
                    "body": {"model": "echo", "messages": [{"role": "user", "content": f"hi {i}"}]},
                }
            )
            + "\n"
            for i in range(3)
        )
    )
    uploaded = client.files.create(file=jsonl, purpose="batch")
    batch = client.batches.create(
        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    done = wait_for(lambda: client.batches.retrieve(batch.id), interval=0.05, timeout=30)
    assert done.status == "completed"
    assert done.output_file_id
    out = tmp_path / "out.jsonl"
    client.files.content(done.output_file_id).write_to_file(out)
    results = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(r["custom_id"] for r in results) == ["r0", "r1", "r2"]


async def test_async_poller_on_a_batch(base_url: str, tmp_path: Path) -> None:
    client = openai_kit.AsyncOpenAI(api_key="k", base_url=base_url)
    jsonl = tmp_path / "b.jsonl"
    jsonl.write_text(
        json.dumps(
            {
                "custom_id": "x",
                "method": "POST",
                "url": "/v1/embeddings",
                "body": {"model": "hash-embedding", "input": "hello"},
            }
        )
        + "\n"
    )
    uploaded = await client.files.create(file=jsonl, purpose="batch")
    batch = await client.batches.create(
        input_file_id=uploaded.id, endpoint="/v1/embeddings", completion_window="24h"
    )
    done = await await_for(lambda: client.batches.retrieve(batch.id), interval=0.05, timeout=30)
    assert done.status == "completed"
    await client.close()


def test_models_list_is_an_iterable_page_like_the_official_sdk(base_url: str) -> None:
    client = openai_kit.OpenAI(api_key="k", base_url=base_url)
    ids = [m.id for m in client.models.list()]
    assert "echo" in ids and "tool-caller" in ids
    raw = client.with_raw_response.models.list()
    assert raw.status_code == 200 and [m.id for m in raw.parse()] == ids
