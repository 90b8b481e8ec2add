"""Logging through the ``openai_kit`` logger, switched on with ``OPENAI_LOG=info|debug``.

Secrets are redacted before anything is formatted: authorization headers, ``api-key`` and cookies.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

__all__ = ["SECRET_HEADERS", "logger", "redact_headers"]

logger = logging.getLogger("openai_kit")

SECRET_HEADERS = frozenset(
    {"authorization", "api-key", "proxy-authorization", "cookie", "set-cookie", "x-api-key"}
)


def _setup_from_env() -> None:
    level = os.environ.get("OPENAI_LOG", "").strip().lower()
    if level not in ("info", "debug"):
        return
    logger.setLevel(logging.DEBUG if level == "debug" else logging.INFO)
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("[%(asctime)s %(name)s %(levelname)s] %(message)s"))
        logger.addHandler(handler)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: ("<redacted>" if k.lower() in SECRET_HEADERS else v) for k, v in headers.items()}


_setup_from_env()
