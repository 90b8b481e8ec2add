from __future__ import annotations

import importlib.util
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

if importlib.util.find_spec("openai_kit") is None:  # running from a checkout without installing
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "src"))

from openai_kit.proxy import ACCESS_LOGGER, ProxyConfig

from .support import (
    TOKEN,
    UPSTREAM_KEY,
    ListHandler,
    ServerThread,
    Upstream,
    WsUpstreamThread,
    proxy_server,
    upstream_app,
)


@pytest.fixture(scope="session")
def upstream() -> Iterator[tuple[Upstream, str]]:
    state = Upstream()
    with ServerThread(upstream_app(state)) as server:
        yield state, server.url


@pytest.fixture
def up(upstream: tuple[Upstream, str]) -> Upstream:
    state, _ = upstream
    state.reset()
    return state


@pytest.fixture(scope="session")
def ws_upstream() -> Iterator[WsUpstreamThread]:
    with WsUpstreamThread() as server:
        yield server


@pytest.fixture(scope="session")
def token_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tokens") / "tokens.txt"
    path.write_text(f"# allowed session tokens\n{TOKEN}\n\n")
    return path


@pytest.fixture(scope="session")
def access_lines() -> Iterator[ListHandler]:
    handler = ListHandler()
    logger = logging.getLogger(ACCESS_LOGGER)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)


@pytest.fixture(scope="session")
def proxy(upstream: tuple[Upstream, str], token_file: Path, access_lines: ListHandler) -> Iterator[str]:
    """The proxy in front of the recording upstream; yields its /v1 base URL."""
    _, url = upstream
    config = ProxyConfig(
        api_key=UPSTREAM_KEY,
        upstream_url=f"{url}/v1",
        token_file=str(token_file),
        organization="org-secret-home",
        project="proj_home",
    )
    with proxy_server(config) as server:
        yield f"{server.url}/v1"


@pytest.fixture(scope="session")
def ws_proxy(ws_upstream: WsUpstreamThread, token_file: Path, access_lines: ListHandler) -> Iterator[str]:
    """A proxy whose upstream is the websockets server; yields its ws:// /v1 base URL."""
    config = ProxyConfig(
        api_key=UPSTREAM_KEY,
        upstream_url=f"http://127.0.0.1:{ws_upstream.state.port}/v1",
        token_file=str(token_file),
    )
    with proxy_server(config) as server:
        yield f"ws://127.0.0.1:{server.port}/v1"
