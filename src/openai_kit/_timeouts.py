"""Timeouts.

Defaults: 5 s to connect, 60 s to write, 10 s to get a pooled connection, 300 s of silence while waiting
for a non-streamed response, and for streams 120 s without an *event* (keep-alive comments do not
count as progress). There is no overall deadline unless ``total`` is set.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_TIMEOUT", "Timeout"]


@dataclass(frozen=True, slots=True)
class Timeout:
    """All durations are in seconds; ``None`` means no limit.

    - ``connect``: establishing a connection.
    - ``read``: the longest silence while reading a non-streamed response.
    - ``write``: sending the request body. Honoured as such by the httpx adapters; urllib3 bounds each
      send by ``connect`` (it applies ``read`` only once the request is sent), and aiohttp has no write
      timeout (``total`` still bounds the call).
    - ``pool``: waiting for a free connection in the pool (aiohttp and httpx). urllib3 never waits for one:
      past its pool size it opens a connection that is not kept.
    - ``total``: the overall deadline of one call, retries and backoff included.
    - ``stream_idle``: for streams, the longest time without an event; pings and comments do not reset it.
    """

    connect: float | None = 5.0
    read: float | None = 300.0
    write: float | None = 60.0
    pool: float | None = 10.0
    total: float | None = None
    stream_idle: float | None = 120.0

    @classmethod
    def coerce(cls, value: float | Timeout | None) -> Timeout:
        """A number sets connect, read, write and stream idle timeouts alike; ``None`` disables them all."""
        if isinstance(value, Timeout):
            return value
        if value is None:
            return cls(connect=None, read=None, write=None, pool=None, total=None, stream_idle=None)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if value <= 0:
                raise ValueError(f"timeout must be positive, got {value!r}")
            v = float(value)
            return cls(connect=v, read=v, write=v, pool=v, stream_idle=v)
        raise TypeError(f"timeout must be a number, a Timeout or None, not {type(value).__name__}")


DEFAULT_TIMEOUT = Timeout()
