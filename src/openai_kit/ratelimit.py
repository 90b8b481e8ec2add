"""Client-side rate limiting: pace requests so that they wait instead of getting 429s.

    limiter = RateLimiter(requests_per_minute=500, tokens_per_minute=200_000)   # one process
    limiter = RateLimiter(redis_url="redis://host:6379/0", name="team-key")     # every process, machine
    client = OpenAI(rate_limit=limiter)            # or AsyncOpenAI(rate_limit=...), or a dict of kwargs

The pacing is a generic cell rate algorithm (GCRA) per dimension, requests and tokens: each permit
moves a *theoretical arrival time* forward by ``cost * period / limit`` and a caller may go once that
time is within ``burst`` seconds of now. A permit is a reservation: the caller learns at once when it
may send and sleeps until then, so N waiting threads cost N calls, not a polling storm. With Redis the
state lives in one hash and every reservation is one atomic Lua script run with the server's clock, so
workers on many machines draw from the same budget.

Every response feeds back (``observe``): ``x-ratelimit-limit-*`` teaches the limits when none were
given (and lowers them when the server's are lower), ``x-ratelimit-remaining-*: 0`` empties the
bucket, and a 429 pauses the exhausted dimension for ``retry-after`` / ``x-ratelimit-reset-*``.

Tokens of a request are estimated before it is sent: characters / 4 of its text, plus the completion
budget (``max_tokens`` & co. times ``n``), which is how the API itself counts against the limit. When
``tiktoken`` is installed *and* its encoding file is already in its local cache, the text is counted
exactly; nothing is ever downloaded.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from ._errors import ConfigError, OpenAIError
from ._logging import logger

__all__ = ["RateLimiter", "RateLimiterError", "estimate_tokens", "parse_reset"]


class RateLimiterError(OpenAIError):
    """The shared limiter's Redis did not answer, so no permit could be given (nothing was sent)."""


_DIMS = ("requests", "tokens")

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")


def parse_reset(value: str | None) -> float | None:
    """Seconds in an ``x-ratelimit-reset-*`` value (``"1s"``, ``"6m0s"``, ``"20ms"``, ``"0.5"``)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    total, pos = 0.0, 0
    for m in _DURATION.finditer(value):
        if m.start() != pos:
            return None
        total += float(m.group(1)) * {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}[m.group(2)]
        pos = m.end()
    return total if pos == len(value) and pos else None


# -- token estimate ------------------------------------------------------------------------------


def _local_tiktoken(name: str) -> Callable[[str], int] | None:
    """tiktoken's encoder ``name`` if tiktoken is installed and the encoding file is in its cache."""
    try:
        import tiktoken
    except ImportError:
        return None
    # tiktoken's own cache layout: $TIKTOKEN_CACHE_DIR (or $DATA_GYM_CACHE_DIR, or <tmp>/data-gym-cache)
    # holds each encoding file under the sha1 of its blob URL; only a cached file is used.
    url = f"https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
    cache = (
        os.environ.get("TIKTOKEN_CACHE_DIR")
        or os.environ.get("DATA_GYM_CACHE_DIR")
        or os.path.join(tempfile.gettempdir(), "data-gym-cache")
    )
    if not os.path.isfile(os.path.join(cache, hashlib.sha1(url.encode()).hexdigest())):
        return None
    try:
        enc = tiktoken.get_encoding(name)
    except Exception:
        return None
    return lambda text: len(enc.encode(text, disallowed_special=()))


_counter: Callable[[str], int] | None = None
_counter_ready = False


def _count_text(text: str) -> int:
    global _counter, _counter_ready
    if not _counter_ready:
        _counter = _local_tiktoken("o200k_base") or _local_tiktoken("cl100k_base")
        _counter_ready = True
    if _counter is not None:
        return _counter(text)
    return (len(text) + 3) // 4


def _text_of(value: Any, out: list[str]) -> None:
    """Collect the strings of a prompt / input / content value (parts, lists, nested messages)."""
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, list):
        for item in value:
            _text_of(item, out)
    elif isinstance(value, Mapping):
        for key in ("text", "content", "input_text", "arguments", "output", "name", "instructions"):
            if key in value:
                _text_of(value[key], out)
        calls = value.get("tool_calls")
        if isinstance(calls, list):
            for call in calls:
                fn = call.get("function") if isinstance(call, Mapping) else None
                if isinstance(fn, Mapping):
                    _text_of(fn.get("arguments"), out)


def estimate_tokens(body: object) -> int:
    """Tokens a request body counts against the token limit: its text plus its completion budget."""
    if not isinstance(body, Mapping):
        return 0
    texts: list[str] = []
    overhead = 0
    messages = body.get("messages")
    if isinstance(messages, list):
        overhead += 3 + 4 * len(messages)
        _text_of(messages, texts)
    inp = body.get("input")
    if isinstance(inp, list) and inp and all(isinstance(x, int) for x in inp):
        overhead += len(inp)  # embeddings input given as token ids
    elif isinstance(inp, list) and inp and all(isinstance(x, list) for x in inp):
        overhead += sum(len(x) for x in inp)
    else:
        _text_of(inp, texts)
    _text_of(body.get("prompt"), texts)
    _text_of(body.get("instructions"), texts)
    text_tokens = sum(_count_text(t) for t in texts)
    budget = 0
    for key in ("max_completion_tokens", "max_output_tokens", "max_tokens"):
        v = body.get(key)
        if isinstance(v, int) and v > 0:
            budget = v
            break
    n = body.get("n")
    choices = n if isinstance(n, int) and n > 0 else 1
    return text_tokens + overhead + budget * choices


def _estimate_content(content: object) -> int:
    if not isinstance(content, bytes | bytearray) or not content:
        return 0
    try:
        return estimate_tokens(orjson.loads(content))
    except orjson.JSONDecodeError:
        return (len(content) + 3) // 4


# -- the shared state ----------------------------------------------------------------------------

# One hash per limiter: tat_requests, tat_tokens (theoretical arrival times, server clock),
# lim_requests, lim_tokens (limits learned from response headers).
# reserve: ARGV cost_r, cost_t, conf_lim_r, conf_lim_t, period, headroom, burst -> microseconds to wait
_RESERVE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local period, headroom, burst = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local st = redis.call('HMGET', KEYS[1], 'tat_requests', 'tat_tokens', 'lim_requests', 'lim_tokens', 'slow', 'slow_at')
local slow = tonumber(st[5]) or 1
if slow < 1 then slow = math.min(1, slow + RECOVER * (now - tonumber(st[6])) / period) end
local costs = {tonumber(ARGV[1]), tonumber(ARGV[2])}
local conf = {tonumber(ARGV[3]), tonumber(ARGV[4])}
local start = now
local step = {0, 0}
local tat = {}
for i = 1, 2 do
  tat[i] = tonumber(st[i]) or now
  local lim = conf[i]
  local learned = tonumber(st[i + 2])
  if learned and learned > 0 and (lim <= 0 or learned < lim) then lim = learned end
  if lim > 0 then
    step[i] = costs[i] * period / (lim * slow * (1 - headroom))
    if tat[i] - burst > start then start = tat[i] - burst end
  end
end
local horizon = 0
for i = 1, 2 do
  if step[i] > 0 then
    local base = tat[i]
    if start > base then base = start end
    tat[i] = base + step[i]
    redis.call('HSET', KEYS[1], i == 1 and 'tat_requests' or 'tat_tokens', string.format('%.6f', tat[i]))
    if tat[i] - now > horizon then horizon = tat[i] - now end
  end
end
redis.call('PEXPIRE', KEYS[1], math.ceil((horizon + 2 * period) * 1000))
return math.floor((start - now) * 1000000)
"""

# observe: ARGV learned_lim_r, learned_lim_t (0 = unknown), push_r, push_t (seconds from now, -1 = none),
# rate_limited (1 after a 429), period
_OBSERVE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
if tonumber(ARGV[5]) == 1 then
  local period = tonumber(ARGV[6])
  local st = redis.call('HMGET', KEYS[1], 'slow', 'slow_at')
  local slow, at = tonumber(st[1]) or 1, tonumber(st[2]) or 0
  if now - at >= SLOW_GAP * period then
    if slow < 1 then slow = math.min(1, slow + RECOVER * (now - at) / period) end
    redis.call('HSET', KEYS[1], 'slow', string.format('%.6f', math.max(SLOW_FLOOR, slow * SLOW_DOWN)),
      'slow_at', string.format('%.6f', now))
  end
end
local names = {'requests', 'tokens'}
for i = 1, 2 do
  local lim = tonumber(ARGV[i])
  if lim > 0 then redis.call('HSET', KEYS[1], 'lim_' .. names[i], lim) end
  local push = tonumber(ARGV[i + 2])
  if push >= 0 then
    local cur = tonumber(redis.call('HGET', KEYS[1], 'tat_' .. names[i])) or now
    if now + push > cur then
      redis.call('HSET', KEYS[1], 'tat_' .. names[i], string.format('%.6f', now + push))
    end
  end
end
return 1
"""


# After a 429 the limits are scaled down by SLOW_DOWN (at most once per SLOW_GAP of a period, never below
# SLOW_FLOOR) and recover by RECOVER of the limit per period: 429s that still happen slow everyone down.
_AIMD = {"SLOW_DOWN": 0.95, "SLOW_GAP": 0.1, "SLOW_FLOOR": 0.5, "RECOVER": 0.1}
for _name, _value in _AIMD.items():
    _RESERVE_LUA = _RESERVE_LUA.replace(_name, repr(_value))
    _OBSERVE_LUA = _OBSERVE_LUA.replace(_name, repr(_value))


def _recovered(slow: float, at: float, now: float, period: float) -> float:
    return slow if slow >= 1 else min(1.0, slow + _AIMD["RECOVER"] * (now - at) / period)


class _LocalState:
    """The same algorithm as the Lua scripts, for one process (threads and event loops)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.tat = [0.0, 0.0]
        self.learned = [0.0, 0.0]
        self.slow, self.slow_at = 1.0, 0.0

    def reserve(
        self, costs: tuple[int, int], conf: tuple[float, float], period: float, headroom: float, burst: float
    ) -> float:
        with self._lock:
            now = time.monotonic()
            start = now
            steps = [0.0, 0.0]
            slow = _recovered(self.slow, self.slow_at, now, period)
            for i in (0, 1):
                lim = conf[i]
                learned = self.learned[i]
                if learned > 0 and (lim <= 0 or learned < lim):
                    lim = learned
                if lim > 0:
                    steps[i] = costs[i] * period / (lim * slow * (1 - headroom))
                    start = max(start, self.tat[i] - burst)
            for i in (0, 1):
                if steps[i] > 0:
                    self.tat[i] = max(self.tat[i], start) + steps[i]
            return start - now

    def observe(
        self, learned: tuple[float, float], push: tuple[float, float], rate_limited: bool, period: float
    ) -> None:
        with self._lock:
            now = time.monotonic()
            if rate_limited and now - self.slow_at >= _AIMD["SLOW_GAP"] * period:
                slow = _recovered(self.slow, self.slow_at, now, period)
                self.slow, self.slow_at = max(_AIMD["SLOW_FLOOR"], slow * _AIMD["SLOW_DOWN"]), now
            for i in (0, 1):
                if learned[i] > 0:
                    self.learned[i] = learned[i]
                if push[i] >= 0:
                    self.tat[i] = max(self.tat[i], now + push[i])


class _RedisState:
    def __init__(self, url: str | None, client: Any, key: str) -> None:
        if client is None:
            try:
                import redis
            except ImportError:
                raise ConfigError(
                    "RateLimiter(redis_url=...) needs the redis client: pip install 'openai-kit[redis]'"
                ) from None
            client = redis.Redis.from_url(url or "", socket_timeout=5, socket_connect_timeout=5)
        self._client = client
        self._key = key
        self._reserve = client.register_script(_RESERVE_LUA)
        self._observe = client.register_script(_OBSERVE_LUA)

    def reserve(
        self, costs: tuple[int, int], conf: tuple[float, float], period: float, headroom: float, burst: float
    ) -> float:
        try:
            micros = self._reserve(keys=[self._key], args=[*costs, *conf, period, headroom, burst])
        except Exception as exc:  # redis.RedisError and socket errors; the message names host:port only
            raise RateLimiterError(
                f"rate limiter: Redis did not answer ({type(exc).__name__}: {exc})"
            ) from None
        return int(micros) / 1_000_000

    def observe(
        self, learned: tuple[float, float], push: tuple[float, float], rate_limited: bool, period: float
    ) -> None:
        try:
            self._observe(keys=[self._key], args=[*learned, *push, int(rate_limited), period])
        except Exception as exc:  # feedback is best effort: the response itself is fine
            logger.warning("rate limiter: Redis did not take the feedback (%s)", type(exc).__name__)


def _num(headers: Mapping[str, str], name: str) -> float | None:
    v = headers.get(name)
    if v is None:
        return None
    try:
        return float(v)
    except ValueError:
        return None


class RateLimiter:
    """Paces requests under a requests-per-period and a tokens-per-period limit.

    ``requests_per_minute`` / ``tokens_per_minute``: the limits (``None``: learned from the first
    response's ``x-ratelimit-limit-*`` headers). ``period``: the window those limits are for, in
    seconds (the API's is a minute). ``headroom``: the fraction of each limit left unused, a margin
    for other clients and clock jitter. ``burst``: seconds of budget that may go at once (0: evenly
    spaced, which the API's per-second enforcement of per-minute limits rewards). ``redis_url`` (or
    a ``redis.Redis`` as ``redis``): share the budget with every process using the same ``name``.
    One limiter may serve any number of sync and async clients.
    """

    def __init__(
        self,
        requests_per_minute: float | None = None,
        tokens_per_minute: float | None = None,
        *,
        period: float = 60.0,
        headroom: float = 0.03,
        burst: float = 0.0,
        redis_url: str | None = None,
        redis: Any = None,
        name: str = "default",
        max_pause: float | None = None,
        estimator: Callable[[object], int] | None = None,
    ) -> None:
        for label, v in (
            ("requests_per_minute", requests_per_minute),
            ("tokens_per_minute", tokens_per_minute),
        ):
            if v is not None and (not isinstance(v, int | float) or v <= 0):
                raise ConfigError(f"RateLimiter: {label} must be a positive number, got {v!r}")
        if not period > 0:
            raise ConfigError(f"RateLimiter: period must be positive, got {period!r}")
        if not 0 <= headroom < 1:
            raise ConfigError(f"RateLimiter: headroom must be in [0, 1), got {headroom!r}")
        if burst < 0:
            raise ConfigError(f"RateLimiter: burst must be >= 0, got {burst!r}")
        self.requests_per_minute = requests_per_minute
        self.tokens_per_minute = tokens_per_minute
        self.period = float(period)
        self.headroom = float(headroom)
        self.burst = float(burst)
        self.name = name
        self.max_pause = min(self.period, 10.0) if max_pause is None else float(max_pause)
        self._estimate = estimator or estimate_tokens
        self._shared = redis_url is not None or redis is not None
        self._state: _LocalState | _RedisState = (
            _RedisState(redis_url, redis, f"openai-kit:ratelimit:{name}") if self._shared else _LocalState()
        )
        #: counters for this process: permits given, seconds waited, 429s seen, slots missed
        self.stats = {"permits": 0, "waited": 0.0, "rate_limited": 0, "late": 0}

    def __repr__(self) -> str:
        where = "redis" if self._shared else "local"
        return (
            f"<RateLimiter {self.name!r} {where} requests={self.requests_per_minute} "
            f"tokens={self.tokens_per_minute} per {self.period:g}s>"
        )

    # -- permits -------------------------------------------------------------------------------
    def _reserve(self, tokens: int) -> float:
        conf = (float(self.requests_per_minute or 0), float(self.tokens_per_minute or 0))
        delay = self._state.reserve((1, max(0, int(tokens))), conf, self.period, self.headroom, self.burst)
        self.stats["permits"] += 1
        if delay > 0:
            self.stats["waited"] += delay
        return max(0.0, delay)

    def acquire(self, tokens: int = 0) -> float:
        """Block this thread until one request of ``tokens`` tokens may be sent; the seconds waited."""
        t0 = time.monotonic()
        for again in (True, False):
            delay = self._reserve(tokens)
            # counted from the answer, not the call: a slow round trip makes us late, never early
            start = time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if not (again and self._missed(start, delay)):
                break
        return time.monotonic() - t0

    async def acquire_async(self, tokens: int = 0) -> float:
        """Like ``acquire`` for an event loop (the Redis round trip runs in a worker thread)."""
        t0 = time.monotonic()
        for again in (True, False):
            delay = await asyncio.to_thread(self._reserve, tokens) if self._shared else self._reserve(tokens)
            start = time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if not (again and self._missed(start, delay)):
                break
        return time.monotonic() - t0

    def _missed(self, start: float, delay: float) -> bool:
        """Woke up so late for a future slot that sending now would bunch with the slots after it:
        take a new slot once (an overloaded machine otherwise turns late wake-ups into 429s)."""
        late = time.monotonic() - (start + delay)
        if delay > 0 and late > max(0.005, self.headroom * self.period / 2):
            self.stats["late"] += 1
            return True
        return False

    # -- feedback ------------------------------------------------------------------------------
    def observe(self, status_code: int, headers: Mapping[str, str]) -> None:
        """Learn from a response's ``x-ratelimit-*`` headers and from a 429."""
        learned = [0.0, 0.0]
        push = [-1.0, -1.0]
        exhausted = [False, False]
        for i, dim in enumerate(_DIMS):
            lim = _num(headers, f"x-ratelimit-limit-{dim}")
            if lim is not None and lim > 0:
                learned[i] = lim
            rem = _num(headers, f"x-ratelimit-remaining-{dim}")
            if rem is not None and rem <= 0:
                exhausted[i] = True
                # the server's bucket is empty: no burst left, the next unit one interval away
                known = lim or (self.requests_per_minute, self.tokens_per_minute)[i]
                if known:
                    push[i] = self.burst + self.period / known
        if status_code == 429:
            self.stats["rate_limited"] += 1
            wait = _num(headers, "retry-after-ms")
            wait = wait / 1000 if wait is not None else _num(headers, "retry-after")
            for i, dim in enumerate(_DIMS):
                if not exhausted[i] and any(exhausted):
                    continue  # the headers say which dimension ran out: only that one waits
                pause = wait
                if pause is None:
                    # the API's reset is the time until the bucket is full again; it refills
                    # continuously, so one unit is back after reset / limit
                    reset = parse_reset(headers.get(f"x-ratelimit-reset-{dim}"))
                    limit = learned[i] or (self.requests_per_minute, self.tokens_per_minute)[i]
                    pause = 1.0 if reset is None else reset / limit if limit else reset
                push[i] = max(push[i], min(pause, self.max_pause))
        if status_code == 429 or any(x > 0 for x in learned) or any(p >= 0 for p in push):
            self._state.observe((learned[0], learned[1]), (push[0], push[1]), status_code == 429, self.period)

    # -- client hooks --------------------------------------------------------------------------
    def _sync_request_hook(self, request: Any) -> None:
        self.acquire(self._estimate_request(request))

    async def _async_request_hook(self, request: Any) -> None:
        await self.acquire_async(self._estimate_request(request))

    def _response_hook(self, response: Any) -> None:
        self.observe(response.status_code, response.headers)

    def _estimate_request(self, request: Any) -> int:
        if self._estimate is estimate_tokens:
            return _estimate_content(request.content)
        content = request.content
        try:
            body = orjson.loads(content) if isinstance(content, bytes) and content else None
        except orjson.JSONDecodeError:
            body = None
        return self._estimate(body)

    @classmethod
    def coerce(cls, spec: object) -> RateLimiter:
        """A limiter from ``rate_limit=``: a RateLimiter, or a mapping of its keyword arguments."""
        if isinstance(spec, RateLimiter):
            return spec
        if isinstance(spec, Mapping):
            try:
                return cls(**spec)
            except TypeError as exc:
                raise ConfigError(f"rate_limit: {exc}") from None
        raise ConfigError(
            f"rate_limit must be a RateLimiter or a dict of its arguments, got {type(spec).__name__}"
        )
