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
        bundle = _certifi_bundle()
        if bundle is not None:
            ctx.load_verify_locations(bundle)
    except (ImportError, OSError):  # pragma: no cover - depends on the machine
        pass
    return ctx


def _certifi_bundle() -> str | None:
    """certifi's ``cacert.pem``. Found next to the package when it is a plain directory (the usual
    install), which spares ``certifi.where()``'s import of ``importlib.resources`` (tens of ms at start-up);
    otherwise (zipped installs) certifi itself says where it is."""
    import importlib.util
    import os

    spec = importlib.util.find_spec("certifi")
    if spec is None:
        return None
    for location in spec.submodule_search_locations or ():
        path = os.path.join(location, "cacert.pem")
        if os.path.isfile(path):
            return path
    import certifi

    return str(certifi.where())


def shared_ssl_context() -> ssl.SSLContext:
    with _lock:
        return _build()
