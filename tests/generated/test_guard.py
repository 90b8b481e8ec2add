"""The validating server really rejects what the spec forbids (so passing calls mean something)."""

from __future__ import annotations

from typing import Any

import pytest

from openai_kit import AuthenticationError, BadRequestError, NotFoundError, OpenAI

from .spec_server import SpecServer


def test_invalid_chat_request_is_rejected(client: Any) -> None:
    with pytest.raises(BadRequestError) as exc:
        client.chat.completions.create(model="gpt-4o", messages="not a list")
    assert "createChatCompletion" in str(exc.value)


def test_invalid_enum_in_body_is_rejected(client: Any) -> None:
    with pytest.raises(BadRequestError):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "wizard", "content": "hi"}])


def test_unknown_query_parameter_is_rejected(client: Any) -> None:
    with pytest.raises(BadRequestError, match="unknown parameter"):
        client.files.list(extra_query={"colour": "blue"})


def test_wrong_query_type_is_rejected(client: Any) -> None:
    with pytest.raises(BadRequestError, match="limit"):
        client.files.list(limit="many")


def test_missing_required_multipart_file_is_rejected(client: Any) -> None:
    with pytest.raises(BadRequestError, match="file"):
        client.post("/files", body={"purpose": "assistants"}, files={}, cast_to=object)


def test_unknown_route_is_404(client: Any) -> None:
    with pytest.raises(NotFoundError):
        client.get("/no/such/thing", cast_to=object)


def test_wrong_key_is_401(spec_server: SpecServer) -> None:
    with (
        OpenAI(api_key="sk-wrong", base_url=spec_server.base_url, max_retries=0) as c,
        pytest.raises(AuthenticationError),
    ):
        c.models.list()


def test_valid_call_is_recorded(client: Any, spec_server: SpecServer) -> None:
    client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}], n=None)
    hit = spec_server.last("createChatCompletion")
    assert hit.problems == []
    assert hit.body == {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "n": None}


def test_header_parameter_is_sent(client: Any, spec_server: SpecServer) -> None:
    client.beta.responses.retrieve("resp_1", betas=["responses_multi_agent=v1"])
    hit = spec_server.last("beta_getResponse")
    assert hit.headers["openai-beta"] == "responses_multi_agent=v1"
    assert ("beta", "true") in hit.query


def test_bad_header_value_is_rejected(client: Any) -> None:
    with pytest.raises(BadRequestError, match="openai-beta"):
        client.beta.responses.retrieve("resp_1", betas=["no_such_beta"])


def test_path_params_are_encoded(client: Any, spec_server: SpecServer) -> None:
    client.beta.threads.runs.retrieve("run/1 x", thread_id="th_1")
    hit = spec_server.last("getRun")
    assert hit.path == "/threads/th_1/runs/run%2F1%20x"
