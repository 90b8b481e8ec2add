"""``client.post(path, stream=True)`` when the server answers with JSON instead of an event stream: a
clear error saying the server did not stream (not "Stream ended in the middle of an event")."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from openai_kit import APIResponseValidationError, AsyncOpenAI, OpenAI
from openai_kit.server.testing import run_server

MESSAGES = [{"role": "user", "content": "a b"}]


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with run_server() as base_url:
        yield base_url


def test_sync_json_reply_to_a_stream_request(url: str) -> None:
    with OpenAI(base_url=url, api_key="k", max_retries=0) as client:
        with pytest.raises(APIResponseValidationError) as info:
            client.post("/chat/completions", body={"model": "gpt-4o-mini", "messages": MESSAGES}, stream=True)
        assert "did not stream" in str(info.value) and '"stream": true' in str(info.value)
        assert info.value.status_code == 200 and "chat.completion" in str(info.value.body)
        # the connection is reusable while the error is still held; the same call, streamed:
        events = list(
            client.post(
                "/chat/completions",
                body={"model": "gpt-4o-mini", "messages": MESSAGES, "stream": True},
                stream=True,
            )
        )
        assert "".join(e["choices"][0]["delta"].get("content") or "" for e in events if e["choices"]) == "a b"


async def test_async_json_reply_to_a_stream_request(url: str) -> None:
    async with AsyncOpenAI(base_url=url, api_key="k", max_retries=0) as client:
        with pytest.raises(APIResponseValidationError, match="did not stream"):
            await client.post(
                "/chat/completions", body={"model": "gpt-4o-mini", "messages": MESSAGES}, stream=True
            )
        stream = await client.post(
            "/chat/completions",
            body={"model": "gpt-4o-mini", "messages": MESSAGES, "stream": True},
            stream=True,
        )
        assert len([e async for e in stream]) >= 2
