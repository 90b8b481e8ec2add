"""The pytest plugin of openai-kit, registered through the ``pytest11`` entry point: installing
openai-kit gives every test suite the ``local_server`` fixture (no ``pytest_plugins`` line needed).

It imports nothing heavy: the server (the ``server`` extra) is only loaded when a test uses the fixture.
Disable it with ``pytest -p no:openai_kit``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def local_server() -> Iterator[str]:
    """The base URL (ending in ``/v1``) of an in-memory local OpenAI-compatible server shared by the test
    session; any API key is accepted and real model names work (``gpt-4o-mini`` answers with ``echo``)."""
    try:
        from .server.testing import run_server
    except ModuleNotFoundError as exc:
        raise pytest.UsageError(
            f"the local_server fixture needs the server extra (missing {exc.name!r}): "
            "pip install 'openai-kit[server]'"
        ) from None
    with run_server() as url:
        yield url
