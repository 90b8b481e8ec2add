"""Fixtures for the local server tests: a shared server, and the official client wired to a
transport that validates every response against the spec (see ``server_spec_check``)."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest
from server_spec_check import SpecChecker, load_spec, make_client, repair

from openai_kit.server.testing import run_server


@pytest.fixture(scope="session")
def spec_checker() -> SpecChecker:
    return SpecChecker(repair(load_spec()))


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    with run_server(work_delay=0.01) as url:
        yield url


@pytest.fixture(scope="session", params=["openai", "openai_kit"])
def session_client(
    request: pytest.FixtureRequest, server_url: str, spec_checker: SpecChecker
) -> Iterator[openai.OpenAI]:
    """Every server test runs twice: with the official client, and with openai-kit's drop-in client
    (same calls, same attribute access), both through the spec-validating transport."""
    client = make_client(server_url, spec_checker, kit=request.param == "openai_kit")
    yield client
    client.close()


@pytest.fixture
def client(session_client: openai.OpenAI, spec_checker: SpecChecker) -> Iterator[openai.OpenAI]:
    """The official client on the shared server; the test fails if any response broke the spec."""
    spec_checker.failures.clear()
    yield session_client
    failures = list(spec_checker.failures)
    spec_checker.failures.clear()
    assert not failures, "responses not valid against the spec:\n" + "\n".join(failures[:10])


@pytest.fixture
def checked(spec_checker: SpecChecker) -> Iterator[SpecChecker]:
    """For tests that build their own clients: fails the test on any spec violation."""
    spec_checker.failures.clear()
    yield spec_checker
    failures = list(spec_checker.failures)
    spec_checker.failures.clear()
    assert not failures, "responses not valid against the spec:\n" + "\n".join(failures[:10])
