"""``/chatkit`` on the local server: sessions, the conversation that writes threads, threads and items."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx2
import openai
import pytest
from server_spec_check import sdk

from openai_kit.server.testing import run_server


def _say(url: str, secret: str, body: dict[str, Any]) -> tuple[int, list[dict[str, Any]]]:
    """One ChatKit conversation request; its status and its events."""
    response = httpx2.post(
        f"{url}/chatkit/conversation", headers={"Authorization": f"Bearer {secret}"}, json=body
    )
    if response.status_code != 200:
        return response.status_code, [response.json()]
    events = [json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: ")]
    return 200, events


def _message(text: str) -> dict[str, Any]:
    return {"content": [{"type": "input_text", "text": text}], "attachments": []}


def test_session_conversation_threads_and_items(client: openai.OpenAI, server_url: str) -> None:
    user = f"user-{id(client)}"
    session = client.beta.chatkit.sessions.create(user=user, workflow={"id": "wf_support"})
    assert session.status == "active" and session.client_secret.startswith("ek_")
    assert session.chatkit_configuration.automatic_thread_titling.enabled is True
    status, events = _say(
        server_url,
        session.client_secret,
        {"type": "threads.create", "params": {"input": _message("How do refunds work?")}},
    )
    assert status == 200
    assert [e["type"] for e in events] == [
        "thread.created",
        "thread.item.done",
        "thread.item.added",
        "thread.item.done",
    ]
    thread_id = events[0]["thread"]["id"]
    assert events[-1]["item"]["content"][0]["text"] == "How do refunds work?"  # the echo workflow
    status, _ = _say(
        server_url,
        session.client_secret,
        {"type": "threads.add_user_message", "params": {"thread_id": thread_id, "input": _message("Thanks")}},
    )
    assert status == 200
    thread = client.beta.chatkit.threads.retrieve(thread_id)
    assert (thread.title, thread.user, thread.status.type) == ("How do refunds work?", user, "active")
    items = list(client.beta.chatkit.threads.list_items(thread_id, order="asc"))
    assert [i.type for i in items] == ["chatkit.user_message", "chatkit.assistant_message"] * 2
    page = client.beta.chatkit.threads.list_items(thread_id, limit=3)  # newest first, then the next page
    assert [i.id for i in page] == [i.id for i in reversed(items)]
    assert [t.id for t in client.beta.chatkit.threads.list(user=user)] == [thread_id]
    assert client.beta.chatkit.threads.delete(thread_id).deleted
    errors = sdk(client)
    with pytest.raises(errors.NotFoundError):
        client.beta.chatkit.threads.retrieve(thread_id)
    with pytest.raises(errors.NotFoundError):
        client.beta.chatkit.threads.list_items(thread_id)
    assert client.beta.chatkit.sessions.cancel(session.id).status == "cancelled"
    status, (error,) = _say(
        server_url, session.client_secret, {"type": "threads.create", "params": {"input": _message("x")}}
    )
    assert status == 401 and error["error"]["code"] == "session_cancelled"


def test_workflow_model_titles_and_rate_limit(client: openai.OpenAI, server_url: str) -> None:
    session = client.beta.chatkit.sessions.create(
        user="bob",
        workflow={"id": "echo", "state_variables": {"tier": "gold"}},
        chatkit_configuration={"automatic_thread_titling": {"enabled": False}},
        rate_limits={"max_requests_per_1_minute": 2},
        expires_after={"anchor": "created_at", "seconds": 60},
    )
    assert session.max_requests_per_1_minute == 2 and session.workflow.state_variables == {"tier": "gold"}
    status, events = _say(
        server_url, session.client_secret, {"type": "threads.create", "params": {"input": _message("hi")}}
    )
    assert status == 200 and events[0]["thread"]["title"] is None
    status, _ = _say(
        server_url, session.client_secret, {"type": "threads.create", "params": {"input": _message("a")}}
    )
    assert status == 200
    status, (error,) = _say(
        server_url, session.client_secret, {"type": "threads.create", "params": {"input": _message("b")}}
    )
    assert status == 429 and error["error"]["code"] == "rate_limit_exceeded"
    other = client.beta.chatkit.sessions.create(user="mallory", workflow={"id": "wf"})
    status, (error,) = _say(
        server_url,
        other.client_secret,
        {
            "type": "threads.add_user_message",
            "params": {"thread_id": events[0]["thread"]["id"], "input": _message("x")},
        },
    )
    assert status == 404 and error["error"]["param"] == "params.thread_id"  # another user's thread


def test_bad_input(client: openai.OpenAI, server_url: str) -> None:
    errors = sdk(client)
    with pytest.raises(errors.BadRequestError) as bad:
        client.beta.chatkit.sessions.create(user="", workflow={"id": "wf"})
    assert bad.value.param == "user"
    with pytest.raises(errors.BadRequestError) as bad:
        client.beta.chatkit.sessions.create(
            user="u", workflow={"id": "wf"}, expires_after={"anchor": "created_at", "seconds": 601}
        )
    assert bad.value.param == "expires_after.seconds"
    with pytest.raises(errors.NotFoundError):
        client.beta.chatkit.sessions.cancel("cksess_missing")
    session = client.beta.chatkit.sessions.create(user="carol", workflow={"id": "wf"})
    cases: list[tuple[dict[str, Any], str]] = [
        ({"type": "threads.delete", "params": {}}, "type"),
        ({"type": "threads.create", "params": {}}, "params.input"),
        (
            {"type": "threads.create", "params": {"input": {"content": [{"type": "image", "text": "x"}]}}},
            "params.input.content[0].type",
        ),
        ({"type": "threads.add_user_message", "params": {"input": _message("x")}}, "params.thread_id"),
    ]
    for body, param in cases:
        status, (error,) = _say(server_url, session.client_secret, body)
        assert status == 400 and error["error"]["param"] == param, (body, error)
    status, (error,) = _say(
        server_url, "ek_not_a_secret", {"type": "threads.create", "params": {"input": _message("x")}}
    )
    assert status == 401


def test_threads_survive_a_restart_and_the_api_key_guards_rest(tmp_path: Any) -> None:
    with (
        run_server(data_dir=tmp_path, api_key="sk-local") as url,
        openai.OpenAI(base_url=url, api_key="sk-local") as c,
    ):
        session = c.beta.chatkit.sessions.create(user="dave", workflow={"id": "wf"})
        status, events = _say(
            url, session.client_secret, {"type": "threads.create", "params": {"input": _message("keep")}}
        )
        assert status == 200  # the client secret, not the API key, authorizes the conversation
        assert httpx2.get(f"{url}/chatkit/threads").status_code == 401
    with (
        run_server(data_dir=tmp_path, api_key="sk-local") as url,
        openai.OpenAI(base_url=url, api_key="sk-local") as c,
    ):
        assert c.beta.chatkit.threads.retrieve(events[0]["thread"]["id"]).title == "keep"
        status, _ = _say(
            url, session.client_secret, {"type": "threads.create", "params": {"input": _message("more")}}
        )
        assert status == 200


def test_sessions_expire(client: openai.OpenAI, server_url: str) -> None:
    session = client.beta.chatkit.sessions.create(
        user="erin", workflow={"id": "wf"}, expires_after={"anchor": "created_at", "seconds": 1}
    )
    time.sleep(max(0.0, session.expires_at - time.time()) + 0.05)
    status, (error,) = _say(
        server_url, session.client_secret, {"type": "threads.create", "params": {"input": _message("x")}}
    )
    assert status == 401 and error["error"]["code"] == "session_expired"
    assert client.beta.chatkit.sessions.cancel(session.id).status == "cancelled"
