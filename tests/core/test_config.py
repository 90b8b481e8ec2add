"""Configuration discovery: arguments > .openai file > environment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import openai_kit
from openai_kit import ConfigError, MissingAPIKeyError, load_config_file, resolve_settings


def test_json_file_in_a_parent_directory_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".openai").write_text(
        json.dumps(
            {"apiKey": "sk-file", "organizationId": "org-f", "projectId": "proj-f", "baseUrl": "http://x/v1"}
        )
    )
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    s = resolve_settings()
    assert (s.api_key, s.organization, s.project, s.base_url) == ("sk-file", "org-f", "proj-f", "http://x/v1")
    assert s.sources["api_key"] == f"file {tmp_path / '.openai'}"


def test_key_value_file_nearest_wins_and_home_is_last(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = Path.home()
    (home / ".openai").write_text("OPENAI_API_KEY=sk-home\n")
    proj = tmp_path / "proj"
    proj.mkdir()
    monkeypatch.chdir(proj)
    assert resolve_settings().api_key == "sk-home"
    (proj / ".openai").write_text(
        "# comment\n\nexport OPENAI_API_KEY='sk-near'\nOPENAI_ORG_ID=org-alias\nOPENAI_PROJECT_ID=\"p1\"\n"
    )
    s = resolve_settings()
    assert (s.api_key, s.organization, s.project) == ("sk-near", "org-alias", "p1")
    (proj / ".openai").write_text(
        "OPENAI_ORGANIZATION_ID=org-main\nOPENAI_ORG_ID=org-alias\nOPENAI_API_KEY=k\n"
    )
    assert resolve_settings().organization == "org-main"


def test_precedence_arguments_then_file_then_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    monkeypatch.setenv("OPENAI_ORG_ID", "org-env")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj-env")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://env/v1")
    s = resolve_settings()
    assert (s.api_key, s.organization, s.project, s.base_url) == (
        "sk-env",
        "org-env",
        "proj-env",
        "http://env/v1",
    )
    (tmp_path / ".openai").write_text('{"apiKey": "sk-file"}')
    s = resolve_settings()
    assert s.api_key == "sk-file" and s.organization == "org-env"
    assert resolve_settings(api_key="sk-arg").api_key == "sk-arg"
    client = openai_kit.OpenAI(organization="org-arg")
    assert client.api_key == "sk-file" and client.organization == "org-arg"
    assert client.base_url == "http://env/v1"


def test_explicit_file_or_directory(tmp_path: Path) -> None:
    cfg = tmp_path / "conf"
    cfg.mkdir()
    (cfg / ".openai").write_text("OPENAI_API_KEY=sk-dir\n")
    (tmp_path / "other.env").write_text("OPENAI_API_KEY=sk-explicit\n")
    assert load_config_file(cfg) == {"api_key": "sk-dir"}
    assert resolve_settings(config_file=str(tmp_path / "other.env")).api_key == "sk-explicit"
    assert openai_kit.OpenAI(config_file=str(cfg)).api_key == "sk-dir"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('{"apiKey": ', "invalid JSON at line 1"),
        ('{"apiKey": 42}', "'apiKey' must be a string"),
        ("[1, 2]", "expected a JSON object"),
        ("OPENAI_API_KEY sk-no-equals", "line 1 is not KEY=VALUE"),
    ],
)
def test_malformed_file_names_file_and_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str, problem: str
) -> None:
    (tmp_path / ".openai").write_text(content)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as info:
        resolve_settings()
    assert str(tmp_path / ".openai") in str(info.value)
    assert problem in str(info.value)
    assert "sk-no-equals" not in str(info.value)


def test_missing_key_lists_every_place_searched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(MissingAPIKeyError) as info:
        openai_kit.OpenAI()
    msg = str(info.value)
    assert "api_key" in msg and "OPENAI_API_KEY" in msg and ".openai" in msg and str(tmp_path) in msg


def test_client_construction_is_cheap_and_repr_hides_key() -> None:
    import time

    openai_kit.OpenAI(api_key="sk-warm")
    started = time.perf_counter()
    for _ in range(200):
        client = openai_kit.OpenAI(api_key="sk-supersecret")
    per_client = (time.perf_counter() - started) / 200
    assert per_client < 0.005  # generous bound for a loaded CI box; benchmarks measure the real figure
    assert "sk-supersecret" not in repr(client)
    assert "sk-supersecret" not in repr(client.with_options(timeout=3))
    assert "sk-supersecret" not in repr(resolve_settings(api_key="sk-supersecret"))


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (
            '{"apikey": "sk-secret-value", "projectId": "proj-1", "extra": 1}',
            ["'apikey' (did you mean 'apiKey'?)", "'extra'"],
        ),
        (
            "OPENAI_APIKEY=sk-secret-value\nOPENAI_PROJECT_ID=proj-1\n",
            ["'OPENAI_APIKEY' (did you mean 'OPENAI_API_KEY'?)"],
        ),
    ],
)
def test_unknown_keys_warn_naming_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str, named: list[str]
) -> None:
    (tmp_path / ".openai").write_text(content)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.warns(openai_kit.ConfigWarning) as record:
        s = resolve_settings()
    assert s.project == "proj-1" and s.api_key is None
    message = str(record[0].message)
    assert str(tmp_path / ".openai") in message
    for part in named:
        assert part in message
    assert "sk-secret-value" not in message


def test_known_keys_do_not_warn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import warnings

    (tmp_path / ".openai").write_text("# comment\nexport OPENAI_API_KEY=sk-x\nOPENAI_ORG_ID=org-1\n")
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert resolve_settings().api_key == "sk-x"
