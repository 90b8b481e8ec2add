"""When to retry, and how long to wait.

Retried: 408, 409, 429, 500, 502, 503, 504 and connection errors, except a 429 whose error code is
``insufficient_quota`` (waiting cannot help). A server's ``x-should-retry: true|false`` overrides the
status rule. The wait honours ``retry-after-ms`` and ``Retry-After`` (seconds or an HTTP date) up to
``max_retry_after``; otherwise it is exponential with jitter between ``initial_delay`` and ``max_delay``.

Exactly once. A connection error is retried only when sending again cannot execute the request twice:
- the request provably never reached the server (``APIConnectionError.request_sent`` is False: the
  connection could not be made, the connect timed out, or no pooled connection was free; a pooled
  connection found dead before anything was written is replaced by the transport itself), or
- the request is safe to repeat: a GET, HEAD or OPTIONS, or a request that carries the caller's own
  idempotency key (``idempotency_key=`` or an ``Idempotency-Key`` header). The key openai-kit adds to
  every other request by itself does not count: servers that ignore it would execute the request twice.
Any other connection error — a reset, a server that closed the connection mid-response, a read timeout —
after a POST, PATCH, PUT or DELETE is raised at once, because the server may already have acted on it.
Status-code retries (429, 5xx...) are unaffected: the server answered, so it decided.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["RETRYABLE_STATUS", "SAFE_METHODS", "RetryPolicy", "may_resend"]

RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})
#: methods that may be sent again after a connection error whatever happened to the first attempt
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def may_resend(repeatable: bool, request_sent: bool) -> bool:
    """Whether a request may be sent again after a connection error (the rule in the module docstring).

    ``repeatable``: the request is safe to repeat (a safe method, or the caller's own idempotency key).
    """
    return repeatable or not request_sent


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
