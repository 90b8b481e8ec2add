"""The module-level client of ``import openai_kit as openai``: set ``openai_kit.api_key`` (and
``base_url``, ``organization``, ``project``, ``timeout``, ``max_retries``, ``default_headers``,
``default_query``, ``webhook_secret``, ``http_client``), then call ``openai_kit.chat.completions.create(...)``
like the official SDK's module-level API. Settings left at ``None`` come from the usual sources (``.openai``
file, environment). The client is built on first use and rebuilt when a setting, one of the ``OPENAI_*``
variables or the working directory changes (a ``.openai`` file edited in place is not noticed); the
previous client is left to finish what it is doing (its connections close when it is collected).
"""

from __future__ import annotations

import os
import threading
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._client import OpenAI

__all__ = ["SETTINGS", "module_client"]

SETTINGS = (
    "api_key",
    "organization",
    "project",
    "base_url",
    "timeout",
    "max_retries",
    "default_headers",
    "default_query",
    "webhook_secret",
    "http_client",
)

_ENV = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_ORGANIZATION_ID",
    "OPENAI_ORG_ID",
    "OPENAI_PROJECT_ID",
    "OPENAI_WEBHOOK_SECRET",
    "HOME",
)
_lock = threading.Lock()
_current: tuple[tuple[Any, ...], OpenAI] | None = None


def _frozen(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    return value if isinstance(value, (str, int, float, bool, type(None))) else id(value)


def module_client(module: ModuleType) -> OpenAI:
    """The client for the settings currently on ``module``."""
    global _current
    values = {name: getattr(module, name, None) for name in SETTINGS}
    # what the unset ones would come from: the environment, and where a .openai file is looked for
    key = (*(_frozen(v) for v in values.values()), *(os.environ.get(n) for n in _ENV), os.getcwd())
    with _lock:
        if _current is None or _current[0] != key:
            from ._client import OpenAI

            _current = (key, OpenAI(**{k: v for k, v in values.items() if v is not None}))
        return _current[1]
