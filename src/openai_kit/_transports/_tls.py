"""One TLS context for the whole process.

Building an ``ssl.SSLContext`` and loading the trust store costs ~25 ms; the official SDK and a plain
``httpx.Client()`` pay it for every client. Every openai-kit client shares this one.
"""

from __future__ import annotations

import ssl
import threading
from functools import lru_cache

_lock = threading.Lock()


@lru_cache(maxsize=1)
def _build() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    try:  # prefer certifi's bundle when it is installed, like most Python HTTP clients
        import certifi

        ctx.load_verify_locations(certifi.where())
    except (ImportError, OSError):  # pragma: no cover - depends on the machine
        pass
    return ctx


def shared_ssl_context() -> ssl.SSLContext:
    with _lock:
        return _build()
