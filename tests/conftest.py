"""Every test runs isolated from the developer's real key, ``.openai`` file and home directory."""

from __future__ import annotations

import pytest

CONFIG_ENV = (
    "OPENAI_API_KEY",
    "OPENAI_ORGANIZATION_ID",
    "OPENAI_ORG_ID",
    "OPENAI_PROJECT_ID",
    "OPENAI_BASE_URL",
    "OPENAI_LOG",
    "AZURE_OPENAI_API_KEY",
    "AZURE_OPENAI_ENDPOINT",
    "OPENAI_API_VERSION",
    "AZURE_OPENAI_AD_TOKEN",
)


@pytest.fixture(autouse=True)
def _isolated_config(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for name in CONFIG_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(home)
