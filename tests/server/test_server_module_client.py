"""``import openai_kit as openai`` scripts: module-level settings and resources, against the local server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import openai_kit
from openai_kit.server.testing import run_server


@pytest.fixture
def module_settings() -> Iterator[None]:
    names = ("api_key", "base_url", "organization", "max_retries", "default_headers")
    saved = {n: getattr(openai_kit, n) for n in names}
    yield
    for n, v in saved.items():
        setattr(openai_kit, n, v)


def test_module_level_client_follows_its_settings(
    server_url: str, module_settings: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    openai_kit.api_key = "sk-module"
    openai_kit.base_url = server_url
    r = openai_kit.chat.completions.create(model="echo", messages=[{"role": "user", "content": "module hi"}])
    assert r.choices[0].message.content == "module hi"
    assert [m.id for m in openai_kit.models.list()]  # any resource, pages included
    first = openai_kit.chat
    assert openai_kit.chat.completions._client is first.completions._client  # reused while unchanged

    with run_server(api_key="sk-only-this") as other:
        openai_kit.base_url = other
        with pytest.raises(openai_kit.AuthenticationError):  # the new settings are used at once
            openai_kit.embeddings.create(model="hash-embedding", input="x")
        openai_kit.api_key = "sk-only-this"
        assert openai_kit.embeddings.create(model="hash-embedding", input="x").data

    # settings left at None come from the environment
    openai_kit.api_key = None
    openai_kit.base_url = None
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    monkeypatch.setenv("OPENAI_BASE_URL", server_url)
    assert openai_kit.files.list().data is not None


def test_module_level_client_without_a_key_names_where_it_looked(
    module_settings: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    openai_kit.api_key = None
    with pytest.raises(openai_kit.MissingAPIKeyError, match="OPENAI_API_KEY"):
        openai_kit.chat  # noqa: B018
