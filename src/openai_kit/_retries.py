"""When to retry, and how long to wait.

Retried: 408, 409, 429, 500, 502, 503, 504 and connection errors, except a 429 whose error code is
``insufficient_quota`` (waiting cannot help). A server's ``x-should-retry: true|false`` overrides the
status rule. The wait honours ``retry-after-ms`` and ``Retry-After`` (seconds or an HTTP date) up to
``max_retry_after``; otherwise it is exponential with jitter between ``initial_delay`` and ``max_delay``.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["RETRYABLE_STATUS", "RetryPolicy"]

RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    initial_delay: float = 0.5
    max_delay: float = 8.0
    jitter: float = 0.25
    max_retry_after: float = 60.0

    def __post_init__(self) -> None:
        if self.initial_delay < 0 or self.max_delay < 0 or not 0 <= self.jitter <= 1:
            raise ValueError("RetryPolicy: delays must be >= 0 and jitter within [0, 1]")

    def should_retry_status(self, status: int, headers: Mapping[str, str], error_code: str | None) -> bool:
        hint = headers.get("x-should-retry")
        if hint == "true":
            return True
        if hint == "false":
            return False
        if status == 429 and error_code == "insufficient_quota":
            return False
        return status in RETRYABLE_STATUS

    def delay(self, retries_done: int, headers: Mapping[str, str] | None = None) -> float:
        """Seconds to wait before retry number ``retries_done + 1``."""
        if headers:
            hinted = _retry_after(headers)
            if hinted is not None and 0 <= hinted <= self.max_retry_after:
                return hinted
        base = min(self.initial_delay * (2.0**retries_done), self.max_delay)
        return base * (1.0 - self.jitter * random.random())


def _retry_after(headers: Mapping[str, str]) -> float | None:
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            return float(ms) / 1000.0
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    parsed = email.utils.parsedate_tz(value)
    if parsed is None:
        return None
    return float(email.utils.mktime_tz(parsed) - time.time())
