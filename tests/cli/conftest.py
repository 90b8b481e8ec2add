from __future__ import annotations

from collections.abc import Iterator

import pytest

from openai_kit.server.testing import run_server


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    with run_server(work_delay=0.01) as url:
        yield url
