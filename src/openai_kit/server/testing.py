"""Start the server on a free port for tests: ``run_server(**settings)`` and the ``local_server`` fixture.

    from openai_kit.server.testing import run_server

    with run_server() as base_url:            # e.g. "http://127.0.0.1:53211/v1"
        client = OpenAI(base_url=base_url, api_key="test")

In a pytest suite the session-scoped ``local_server`` fixture (from :mod:`openai_kit.pytest_plugin`,
registered through the ``pytest11`` entry point when openai-kit is installed) yields the base URL of one
shared in-memory server.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import uvicorn

from .app import create_app
from .protocol import http_protocol
from .settings import ServerSettings


@contextlib.contextmanager
def run_server(**settings: Any) -> Iterator[str]:
    """Serve on 127.0.0.1 at a free port in a background thread; yield the base URL ending in ``/v1``.

    Keyword arguments are ``ServerSettings`` fields (``data_dir``, ``api_key``, ``script_path``, ...);
    ``host`` and ``port`` are chosen here.
    """
    for key in ("data_dir", "script_path"):
        if settings.get(key) is not None:
            settings[key] = Path(settings[key])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config_settings = ServerSettings(**{**settings, "host": "127.0.0.1", "port": port})
    config = uvicorn.Config(
        create_app(config_settings),
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=2,
        http=http_protocol(),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"openai-kit-server-{port}", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the local OpenAI-compatible server did not start")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


try:
    from ..pytest_plugin import local_server  # noqa: F401 - for ``pytest_plugins = [this module]``
except ImportError:  # pragma: no cover - pytest is only needed for the fixture
    pass
