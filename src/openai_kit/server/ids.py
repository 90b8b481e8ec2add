"""Object ids and timestamps."""

from __future__ import annotations

import secrets
import time


def new_id(prefix: str) -> str:
    """``prefix`` includes its separator, e.g. ``new_id("file-")`` or ``new_id("run_")``."""
    return prefix + secrets.token_hex(12)


def now() -> int:
    return int(time.time())
