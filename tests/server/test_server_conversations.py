"""Conversations and their items, the Responses ``conversation`` parameter, background responses with
polling and ``cancel``, and ``responses.input_tokens.count``."""

from __future__ import annotations

import time
from pathlib import Path

import openai
import pytest
from server_spec_check import SpecChecker, make_client, sdk

from openai_kit.server.testing import run_server


def test_conversation_crud_and_items(client: openai.OpenAI) -> None:
    conv = client.conversations.create(
        metadata={"topic": "demo"}, items=[{"type": "message", "role": "user", "content": "first"}]
    )
    assert conv.object == "conversation" and conv.metadata == {"topic": "demo"}
    assert client.conversations.retrieve(conv.id).id == conv.id
    updated = client.conversations.update(conv.id, metadata={"topic": "changed"})
    assert updated.metadata == {"topic": "changed"}
    added = client.conversations.items.create(
        conv.id,
        items=[
            {"type": "message", "role": "user", "content": "second"},
            {"type": "message", "role": "assistant", "content": "third"},
        ],
    )
    assert [i.type for i in added.data] == ["message", "message"]
    items = list(client.conversations.items.list(conv.id, order="asc"))
    texts = [i.content[0].text for i in items]  # type: ignore[union-attr]
    assert texts == ["first", "second", "third"]
    page = client.conversations.items.list(conv.id, limit=2)
    assert len(page.data) == 2 and page.has_more and page.data[0].id == items[-1].id  # newest first
    one = client.conversations.items.retrieve(items[1].id, conversation_id=conv.id)
    assert one.id == items[1].id
    after = client.conversations.items.delete(items[1].id, conversation_id=conv.id)
    assert after.id == conv.id
    assert [i.id for i in client.conversations.items.list(conv.id, order="asc")] == [items[0].id, items[2].id]
    with pytest.raises(sdk(client).NotFoundError):
        client.conversations.items.retrieve(items[1].id, conversation_id=conv.id)
    deleted = client.conversations.delete(conv.id)
    assert deleted.deleted and deleted.id == conv.id
    with pytest.raises(sdk(client).NotFoundError):
        client.conversations.retrieve(conv.id)


def test_responses_in_a_conversation_share_its_items(client: openai.OpenAI) -> None:
    conv = client.conversations.create()
    first = client.responses.create(model="echo", input="remember the word kiwi", conversation=conv.id)
    assert first.conversation is not None and first.conversation.id == conv.id
    second = client.responses.create(model="echo", input="and now?", conversation={"id": conv.id})
    assert second.usage is not None and first.usage is not None
    assert second.usage.input_tokens > first.usage.input_tokens  # the history was read
    items = list(client.conversations.items.list(conv.id, order="asc"))
    assert [(i.role, i.content[0].text) for i in items] == [  # type: ignore[union-attr]
        ("user", "remember the word kiwi"),
        ("assistant", "remember the word kiwi"),
        ("user", "and now?"),
        ("assistant", "and now?"),
    ]
    streamed = list(
        client.responses.create(model="echo", input="streamed", conversation=conv.id, stream=True)
    )
    assert streamed[-1].type == "response.completed"
    assert len(list(client.conversations.items.list(conv.id))) == 6
    errors = sdk(client)
    with pytest.raises(errors.BadRequestError) as info:
        client.responses.create(model="echo", input="x", conversation=conv.id, previous_response_id=first.id)
    assert "previous_response_id" in str(info.value)
    with pytest.raises(errors.NotFoundError):
        client.responses.create(model="echo", input="x", conversation="conv_missing")


def test_input_tokens_count_matches_usage(client: openai.OpenAI) -> None:
    r = client.responses.create(model="echo", input="count these words please", instructions="Be brief")
    counted = client.responses.input_tokens.count(
        model="echo", input="count these words please", instructions="Be brief"
    )
    assert counted.object == "response.input_tokens"
    assert r.usage is not None and counted.input_tokens == r.usage.input_tokens
    chained = client.responses.input_tokens.count(model="echo", input="more", previous_response_id=r.id)
    assert chained.input_tokens > counted.input_tokens


def _wait(client: openai.OpenAI, rid: str) -> openai.types.responses.Response:
    deadline = time.monotonic() + 10
    while True:
        r = client.responses.retrieve(rid)
        if r.status not in ("queued", "in_progress"):
            return r
        assert time.monotonic() < deadline, f"response stuck in {r.status}"
        time.sleep(0.01)


def test_background_response_polls_to_completion(client: openai.OpenAI) -> None:
    r = client.responses.create(model="echo", input="in the background", background=True)
    assert r.status == "queued" and r.background is True and r.output == []
    done = _wait(client, r.id)
    assert done.status == "completed" and done.output_text == "in the background"
    with pytest.raises(sdk(client).BadRequestError):
        client.responses.cancel(r.id)  # finished
    sync = client.responses.create(model="echo", input="now")
    with pytest.raises(sdk(client).BadRequestError) as info:
        client.responses.cancel(sync.id)
    assert "background" in str(info.value)
    with pytest.raises(sdk(client).BadRequestError):
        client.responses.create(model="echo", input="x", background=True, store=False)


def test_background_response_cancel(checked: SpecChecker) -> None:
    with run_server(work_delay=0.5) as url:
        client = make_client(url, checked)
        r = client.responses.create(model="echo", input="never mind", background=True)
        cancelled = client.responses.cancel(r.id)
        assert cancelled.status == "cancelled"
        time.sleep(0.6)
        assert client.responses.retrieve(r.id).status == "cancelled"
        assert client.responses.cancel(r.id).status == "cancelled"  # idempotent
        client.close()


def test_conversations_and_background_responses_survive_a_restart(
    tmp_path: Path, checked: SpecChecker
) -> None:
    data_dir = tmp_path / "state"
    with run_server(data_dir=data_dir, work_delay=5) as url:
        client = make_client(url, checked)
        conv = client.conversations.create(items=[{"type": "message", "role": "user", "content": "kept"}])
        pending = client.responses.create(model="echo", input="finish me later", background=True)
        assert pending.status == "queued"
        client.close()
    with run_server(data_dir=data_dir, work_delay=0.01) as url:
        client = make_client(url, checked)
        items = list(client.conversations.items.list(conv.id))
        assert [i.content[0].text for i in items] == ["kept"]  # type: ignore[union-attr]
        assert _wait(client, pending.id).output_text == "finish me later"
        client.close()
