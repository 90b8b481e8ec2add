"""The public MockTransport: users test their own code with no sockets; everything above the transport
(retries, errors, streaming, parsing) runs for real."""

from __future__ import annotations

import pytest

import openai_kit
from openai_kit import MockResponse, MockTransport, Request

COMPLETION = {
    "id": "c1",
    "object": "chat.completion",
    "created": 1,
    "model": "gpt-4o-mini",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "hello", "refusal": None},
            "finish_reason": "stop",
            "logprobs": None,
        }
    ],
}


def chunk(text: str) -> dict[str, object]:
    return {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}],
    }


FAST = openai_kit.RetryPolicy(initial_delay=0, max_delay=0)


def test_json_reply_and_the_request_as_sent() -> None:
    def handler(request: Request) -> MockResponse:
        assert request.method == "POST"
        assert request.url == "https://api.openai.com/v1/chat/completions"
        assert request.headers["authorization"] == "Bearer sk-test"
        assert request.json()["messages"] == [{"role": "user", "content": "hi"}]
        return MockResponse(json=COMPLETION, headers={"x-request-id": "req_1"})

    mock = MockTransport(handler)
    client = openai_kit.OpenAI(api_key="sk-test", http_client=mock)
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    assert reply.choices[0].message.content == "hello"
    assert len(mock.requests) == 1


def test_status_errors_are_retried_and_typed() -> None:
    answers = iter([MockResponse(503, json={"error": {"message": "busy"}}), MockResponse(json=COMPLETION)])
    mock = MockTransport(lambda request: next(answers))
    client = openai_kit.OpenAI(api_key="k", http_client=mock, retry_policy=FAST)
    assert client.chat.completions.create(model="m", messages=[]).id == "c1"
    assert len(mock.requests) == 2
    # both attempts carry one idempotency key
    assert mock.requests[0].headers["idempotency-key"] == mock.requests[1].headers["idempotency-key"]

    denied = openai_kit.OpenAI(
        api_key="k", http_client=MockTransport(lambda r: MockResponse(401, json={"error": {"message": "no"}}))
    )
    with pytest.raises(openai_kit.AuthenticationError, match="no"):
        denied.models.list()


def test_simulated_network_failures_follow_the_retry_rule() -> None:
    def refused(request: Request) -> MockResponse:
        raise openai_kit.APIConnectionError("refused", request_sent=False)

    mock = MockTransport(refused)
    client = openai_kit.OpenAI(api_key="k", http_client=mock, retry_policy=FAST, max_retries=2)
    with pytest.raises(openai_kit.APIConnectionError):
        client.files.delete("file-1")
    assert len(mock.requests) == 3  # never sent: every attempt may go

    def reset(request: Request) -> MockResponse:
        raise openai_kit.APIConnectionError("reset")  # sent, fate unknown

    mock = MockTransport(reset)
    client = openai_kit.OpenAI(api_key="k", http_client=mock, retry_policy=FAST, max_retries=2)
    with pytest.raises(openai_kit.APIConnectionError):
        client.files.delete("file-1")
    assert len(mock.requests) == 1


def test_streams_and_binary_bodies() -> None:
    def handler(request: Request) -> MockResponse:
        if request.target.endswith("/content"):
            return MockResponse(chunks=[b"ab", b"cd"], headers={"content-type": "application/octet-stream"})
        return MockResponse(sse=[chunk("a"), chunk("b"), "[DONE]"])

    client = openai_kit.OpenAI(api_key="k", http_client=MockTransport(handler))
    stream = client.chat.completions.create(model="m", messages=[], stream=True)
    assert [c.choices[0].delta.content for c in stream] == ["a", "b"]
    assert client.files.content("file-1").read() == b"abcd"


def test_a_stream_without_done_is_reported_truncated() -> None:
    client = openai_kit.OpenAI(
        api_key="k", http_client=MockTransport(lambda r: MockResponse(sse=[chunk("a")]))
    )
    with pytest.raises(openai_kit.APIConnectionError, match="DONE"):
        list(client.chat.completions.create(model="m", messages=[], stream=True))


async def test_async_client_with_sync_and_async_handlers() -> None:
    async def handler(request: Request) -> MockResponse:
        return MockResponse(json=COMPLETION)

    async with openai_kit.AsyncOpenAI(api_key="k", http_client=MockTransport(handler)) as client:
        assert (await client.chat.completions.create(model="m", messages=[])).id == "c1"
    client2 = openai_kit.AsyncOpenAI(
        api_key="k", http_client=MockTransport(lambda r: MockResponse(sse=[chunk("x"), "[DONE]"]))
    )
    stream = await client2.chat.completions.create(model="m", messages=[], stream=True)
    assert [c.choices[0].delta.content async for c in stream] == ["x"]


def test_an_async_handler_with_the_sync_client_is_a_clear_error() -> None:
    async def handler(request: Request) -> MockResponse:
        return MockResponse(json={})

    client = openai_kit.OpenAI(api_key="k", http_client=MockTransport(handler), max_retries=0)
    with pytest.raises(TypeError, match="AsyncOpenAI"):
        client.models.list()


def test_uploads_reach_the_handler_as_bytes(tmp_path: object) -> None:
    seen: list[bytes] = []

    def handler(request: Request) -> MockResponse:
        assert isinstance(request.content, bytes)
        seen.append(request.content)
        return MockResponse(
            json={"id": "file-1", "object": "file", "bytes": 3, "created_at": 1, "filename": "a.jsonl",
                  "purpose": "batch", "status": "processed", "expires_at": None, "status_details": None}
        )  # fmt: skip

    client = openai_kit.OpenAI(api_key="k", http_client=MockTransport(handler))
    assert client.files.create(file=("a.jsonl", b"{}\n"), purpose="batch").id == "file-1"
    assert b'filename="a.jsonl"' in seen[0] and b"{}\n" in seen[0]


def test_pages_are_named_after_their_items_as_the_official_pages_are() -> None:
    """``SyncPage[Model]`` / ``AsyncPage[Model]`` (pydantic generics there): one subclass per item class,
    made once; ``isinstance`` with the plain page class holds; a page of a union keeps the plain name."""
    import asyncio

    from openai_kit.pagination import AsyncPage, SyncCursorPage, SyncPage

    models = {"object": "list", "data": [{"id": "m1", "object": "model", "created": 1, "owned_by": "o"}]}
    mock = MockTransport(lambda request: MockResponse(json=models))
    client = openai_kit.OpenAI(api_key="k", http_client=mock)
    first, second = client.models.list(), client.models.list()
    assert type(first).__name__ == "SyncPage[Model]" and type(first) is type(second)
    assert isinstance(first, SyncPage) and [m.id for m in first] == ["m1"]
    assert repr(first).startswith("<SyncPage[Model] /models")

    async def listed() -> object:
        return await openai_kit.AsyncOpenAI(api_key="k", http_client=mock).models.list()

    page = asyncio.run(listed())
    assert type(page).__name__ == "AsyncPage[Model]" and isinstance(page, AsyncPage)
    items = {"object": "list", "data": [], "has_more": False, "first_id": None, "last_id": None}
    mock_items = MockTransport(lambda request: MockResponse(json=items))
    union_page = openai_kit.OpenAI(api_key="k", http_client=mock_items).responses.input_items.list("resp_1")
    assert type(union_page).__name__ == "SyncCursorPage" and isinstance(union_page, SyncCursorPage)
