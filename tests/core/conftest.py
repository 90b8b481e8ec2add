from __future__ import annotations

from collections.abc import Iterator

import pytest

from .httpserver import LocalHTTPServer


@pytest.fixture
def server() -> Iterator[LocalHTTPServer]:
    srv = LocalHTTPServer()
    yield srv
    srv.close()
