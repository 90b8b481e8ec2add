"""The shared TLS context: built only once an https origin is used, and with certifi's bundle."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator

import certifi
import pytest

import openai_kit
from openai_kit._transports import _tls

from .httpserver import Conn, LocalHTTPServer, Req


@pytest.fixture
def server() -> Iterator[LocalHTTPServer]:
    srv = LocalHTTPServer()
    try:
        yield srv
    finally:
        srv.close()


def test_certifi_bundle_is_certifis_own_file() -> None:
    bundle = _tls._certifi_bundle()
    assert bundle is not None
    assert os.path.realpath(bundle) == os.path.realpath(certifi.where())


def test_plain_http_builds_no_tls_context_and_https_uses_the_shared_one(server: LocalHTTPServer) -> None:
    @server.route("GET", "/v1/ping")
    async def ping(req: Req, conn: Conn) -> None:
        await conn.json({"ok": True})

    _tls._build.cache_clear()
    client = openai_kit.OpenAI(api_key="sk-test", base_url=server.base_url, max_retries=0)
    assert client.get("/ping") == {"ok": True}
    assert _tls._build.cache_info().currsize == 0  # no trust store loaded for http

    # A listener that accepts and closes at once: the TLS handshake of an https request fails there.
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def accept_and_close() -> None:
        for _ in range(1):  # one connection expected
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.close()

    thread = threading.Thread(target=accept_and_close, daemon=True)
    thread.start()
    try:
        tls_client = openai_kit.OpenAI(
            api_key="sk-test", base_url=f"https://127.0.0.1:{port}/v1", max_retries=0
        )
        with pytest.raises(openai_kit.APIConnectionError):
            tls_client.get("/ping")
        assert _tls._build.cache_info().currsize == 1
        transport = tls_client._holder.get()
        assert transport._manager.connection_pool_kw["ssl_context"] is _tls.shared_ssl_context()
    finally:
        listener.close()
        thread.join(timeout=5)
