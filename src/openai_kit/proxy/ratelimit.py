"""Per-token request rate limit: a token bucket per session token id, in bounded memory."""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["RateLimiter"]


class RateLimiter:
    """``rate_per_minute`` requests per minute per key, with bursts up to ``burst`` requests.

    Buckets are kept in a dict keyed by the token id; a bucket that has refilled completely is the same
    as no bucket, so when the dict grows past ``max_keys`` the full ones are dropped (and if that is not
    enough, the oldest), which keeps memory bounded whatever the number of distinct tokens.
    """

    def __init__(
        self,
        rate_per_minute: float,
        burst: int | None = None,
        *,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate_per_minute / 60.0
        self.burst = float(burst if burst is not None else max(1, int(rate_per_minute)))
        self.max_keys = max_keys
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    def acquire(self, key: str) -> float:
        """Take one request from ``key``'s bucket; returns 0 if allowed, else the seconds to wait."""
        now = self._clock()
        tokens, at = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            if len(self._buckets) > self.max_keys:
                self._prune(now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1.0 - tokens) / self.rate

    def _prune(self, now: float) -> None:
        full = [k for k, (t, at) in self._buckets.items() if t + (now - at) * self.rate >= self.burst]
        for k in full:
            del self._buckets[k]
        # dicts keep insertion order and acquire() re-inserts on use: the first keys are the least recent
        excess = len(self._buckets) - self.max_keys // 2
        if excess > 0:
            for k in list(self._buckets)[:excess]:
                del self._buckets[k]

    def __len__(self) -> int:
        return len(self._buckets)
