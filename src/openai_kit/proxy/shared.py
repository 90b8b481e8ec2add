"""Per-token rate and concurrency limits shared by every proxy process through Redis (``--redis-url``).

One atomic Lua script per admission, run with the Redis server's clock (so machines with skewed clocks
agree), checks and takes both limits at once:

- the rate limit is the same token bucket as :class:`~.ratelimit.RateLimiter`, kept in a hash
  ``<prefix>:{<token id>}:rate`` (tokens, time in ms) that expires once it would be full again;
- the concurrency limit is a sorted set ``<prefix>:{<token id>}:conc`` of slot ids scored by their expiry
  time. A request adds a unique slot and removes it when it ends; while it is open, this process refreshes
  the expiry of all its slots every ``slot_ttl / 3`` seconds. Slots of a process that died (killed, machine
  lost) are not refreshed and stop counting after ``slot_ttl`` seconds: nothing leaks for longer.

When Redis does not answer within ``timeout``, the request is answered with a 503 in the API's format
(``limits_unavailable``) and, for the next second, every request is answered so at once: never a hang,
never unlimited traffic (see docs/DECISIONS.md). Only the exception's type is logged, never the URL (which
may hold a password).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import time
from typing import Any

from .._errors import ConfigError
from . import errors

__all__ = ["SharedLimits"]

_log = logging.getLogger("openai_kit.proxy.shared")

# KEYS: rate hash, concurrency zset. ARGV: rate per ms (0: none), burst, max concurrent (0: none), slot id,
# slot ttl ms. Returns {0, 0} admitted, {1, ms to wait} rate limited, {2, 0} too many concurrent; a
# rejection takes nothing.
_ADMIT_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local maxc = tonumber(ARGV[3])
local ttl = tonumber(ARGV[5])
local tokens = 0
if rate > 0 then
  local st = redis.call('HMGET', KEYS[1], 't', 'at')
  local have, at = tonumber(st[1]), tonumber(st[2])
  if have == nil or at == nil then
    tokens = burst
  else
    tokens = math.min(burst, have + math.max(0, now - at) * rate)
  end
  if tokens < 1 then
    return {1, math.ceil((1 - tokens) / rate)}
  end
end
if maxc > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  if redis.call('ZCARD', KEYS[2]) >= maxc then
    return {2, 0}
  end
end
if rate > 0 then
  redis.call('HSET', KEYS[1], 't', string.format('%.6f', tokens - 1), 'at', now)
  redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate) + 1000)
end
if maxc > 0 then
  redis.call('ZADD', KEYS[2], now + ttl, ARGV[4])
  redis.call('PEXPIRE', KEYS[2], ttl * 2)
end
return {0, 0}
"""

# KEYS: concurrency zset. ARGV: slot ttl ms, then the slot ids still open here. XX: a slot removed
# meanwhile (the request ended) is not brought back.
_REFRESH_LUA = """
local t = redis.call('TIME')
local ttl = tonumber(ARGV[1])
local exp = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + ttl
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[1], 'XX', exp, ARGV[i])
end
redis.call('PEXPIRE', KEYS[1], ttl * 2)
return 0
"""

#: after a Redis failure, requests are answered 503 at once for this long before Redis is tried again
_DOWN_FOR = 1.0


class SharedLimits:
    """The per-token limits in Redis, for one proxy process (one event loop)."""

    def __init__(
        self,
        url: str,
        *,
        rate_per_minute: float | None,
        burst: int | None,
        max_concurrent: int | None,
        prefix: str = "openai-kit:proxy",
        timeout: float = 1.0,
        slot_ttl: float = 30.0,
    ) -> None:
        try:
            import redis.asyncio as aioredis
        except ImportError:
            raise ConfigError(
                "the proxy's redis_url needs the redis client: pip install 'openai-kit[redis]'"
            ) from None
        try:
            pool = aioredis.BlockingConnectionPool.from_url(
                url,
                max_connections=256,
                timeout=timeout,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
            )
        except ValueError:  # the message may quote the URL: not shown
            raise ConfigError("redis_url is not a valid Redis URL (redis://, rediss:// or unix://)") from None
        self._client: Any = aioredis.Redis(connection_pool=pool)
        self._admit = self._client.register_script(_ADMIT_LUA)
        self._refresh = self._client.register_script(_REFRESH_LUA)
        self.rate_per_ms = (rate_per_minute or 0.0) / 60_000.0
        self.burst = float(burst if burst is not None else max(1, int(rate_per_minute or 0)))
        self.max_concurrent = max_concurrent or 0
        self.prefix = prefix
        self.slot_ttl = slot_ttl
        self._ttl_ms = max(1, int(slot_ttl * 1000))
        self._slot_prefix = f"{os.getpid()}-{os.urandom(6).hex()}-"
        self._counter = itertools.count()
        self._open: dict[str, list[str]] = {}  # token id -> slot ids open in this process
        self._refresher: asyncio.Task[None] | None = None
        self._leaving: set[asyncio.Task[None]] = set()
        self._down_until = 0.0
        self._warned_at = -1e9

    def _keys(self, tid: str) -> tuple[str, str]:
        base = f"{self.prefix}:{{{tid}}}"  # a hash tag: both keys on one Redis Cluster slot
        return f"{base}:rate", f"{base}:conc"

    def _unavailable(self, exc: BaseException | None) -> errors.ProxyError:
        now = time.monotonic()
        if exc is not None:
            self._down_until = now + _DOWN_FOR
            if now - self._warned_at > 10:
                self._warned_at = now
                _log.warning(
                    "shared limits: Redis did not answer (%s); answering 503 until it does",
                    type(exc).__name__,
                )
        return errors.limits_unavailable()

    async def admit(self, tid: str) -> None:
        """Take one request of ``tid``'s rate and one of its concurrency slots, or raise a ProxyError
        (429, or 503 when Redis does not answer) having taken nothing."""
        if time.monotonic() < self._down_until:
            raise self._unavailable(None)
        slot = self._slot_prefix + str(next(self._counter))
        try:
            verdict, wait_ms = await self._admit(
                keys=self._keys(tid),
                args=[repr(self.rate_per_ms), repr(self.burst), self.max_concurrent, slot, self._ttl_ms],
            )
        except Exception as exc:  # redis errors, timeouts, OSError: the request is not admitted
            raise self._unavailable(exc) from None
        if verdict == 1:
            raise errors.rate_limited(int(wait_ms) / 1000)
        if verdict == 2:
            raise errors.too_many_concurrent(self.max_concurrent)
        if self.max_concurrent:
            self._open.setdefault(tid, []).append(slot)
            if self._refresher is None or self._refresher.done():
                self._refresher = asyncio.get_running_loop().create_task(self._refresh_loop())

    def leave(self, tid: str) -> None:
        """Give back one of ``tid``'s slots (any: those of one token in one process are alike); the
        removal runs in the background, after the response."""
        slots = self._open.get(tid)
        if not slots:
            return
        slot = slots.pop()
        if not slots:
            del self._open[tid]
        task = asyncio.get_running_loop().create_task(self._remove(tid, slot))
        self._leaving.add(task)
        task.add_done_callback(self._leaving.discard)

    async def _remove(self, tid: str, slot: str) -> None:
        try:
            await self._client.zrem(self._keys(tid)[1], slot)
        except Exception as exc:  # the slot expires after slot_ttl anyway
            _log.debug("shared limits: could not remove a slot (%s)", type(exc).__name__)

    async def _refresh_loop(self) -> None:
        while self._open:
            await asyncio.sleep(self.slot_ttl / 3)
            for tid, slots in list(self._open.items()):
                if not slots:
                    continue
                try:
                    await self._refresh(keys=[self._keys(tid)[1]], args=[self._ttl_ms, *slots])
                except Exception as exc:
                    _log.debug("shared limits: could not refresh slots (%s)", type(exc).__name__)

    async def aclose(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
        for tid in list(self._open):
            while self._open.get(tid):
                self.leave(tid)
        if self._leaving:
            await asyncio.wait(list(self._leaving), timeout=2)
        await self._client.aclose()
