"""The request pipeline, written once for the sync and the async client.

:func:`attempts` is a generator that holds every decision — authentication, hooks, retries, backoff,
deadlines, error mapping — and *yields* the IO it needs as small action objects. :func:`drive_sync`
and :func:`drive_async` perform those actions with a sync or async transport and send the results back.
So the behaviour exists in one place, and the two drivers only differ in ``await``.
"""

from __future__ import annotations

import inspect
import os
import random
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from ._errors import APIConnectionError, APITimeoutError, ConfigError, error_body, status_error
from ._logging import logger, redact_headers
from ._multipart import MultipartBody
from ._retries import RetryPolicy, may_resend
from ._timeouts import Timeout
from ._transports._base import AsyncTransport, Request, Response, SyncTransport

__all__ = ["Pipeline", "Prepared", "attempts", "drive_async", "drive_sync"]


class Send(NamedTuple):
    request: Request
    stream: bool
    timeout: Timeout


class Read(NamedTuple):
    response: Response


class Sleep(NamedTuple):
    seconds: float


class Call(NamedTuple):
    fn: Callable[..., Any]
    args: tuple[Any, ...]


@dataclass(slots=True)
class Prepared:
    """A call ready to be sent: everything but authentication, which is resolved per attempt."""

    method: str
    origin: str
    target: str
    headers: dict[str, str]
    content: bytes | MultipartBody | None
    stream: bool
    timeout: Timeout
    max_retries: int
    #: safe to send twice: a safe method, or a request with the caller's own idempotency key
    repeatable: bool = False
    retries_taken: int = 0  # set by attempts(): how many retries the call took (raw responses report it)


@dataclass(frozen=True, slots=True)
class Pipeline:
    """What the pipeline needs from the client's configuration."""

    api_key: str | None
    api_key_provider: Callable[[], Any] | None
    auth_headers: Callable[[str], Mapping[str, str]]
    retry: RetryPolicy
    request_hooks: Sequence[Callable[[Request], Any]] = ()
    response_hooks: Sequence[Callable[[Response], Any]] = ()


def _effective_timeout(timeout: Timeout, stream: bool, deadline: float | None) -> Timeout:
    read = timeout.stream_idle if stream else timeout.read
    connect = timeout.connect
    if deadline is not None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise APITimeoutError("Request exceeded its overall deadline.")
        read = remaining if read is None else min(read, remaining)
        connect = remaining if connect is None else min(connect, remaining)
    if read == timeout.read and connect == timeout.connect:
        return timeout
    return Timeout(
        connect=connect,
        read=read,
        write=timeout.write,
        pool=timeout.pool,
        total=timeout.total,
        stream_idle=timeout.stream_idle,
    )


def attempts(prep: Prepared, pipe: Pipeline) -> Generator[Any, Any, Response]:
    """Send ``prep`` until it succeeds, fails for good, or runs out of retries or time."""
    deadline = None if prep.timeout.total is None else time.monotonic() + prep.timeout.total
    replayable = not isinstance(prep.content, MultipartBody) or prep.content.replayable
    retries = 0
    while True:
        key = pipe.api_key
        if key is None and pipe.api_key_provider is not None:
            key = yield Call(pipe.api_key_provider, ())
            if not isinstance(key, str) or not key:
                raise ConfigError("the api_key provider must return a non-empty string")
        headers = dict(prep.headers)
        if key is not None:
            headers.update(pipe.auth_headers(key))
        request = Request(prep.method, prep.origin, prep.target, headers, prep.content)
        for hook in pipe.request_hooks:
            yield Call(hook, (request,))
        timeout = _effective_timeout(prep.timeout, prep.stream, deadline)
        if logger.isEnabledFor(10):
            logger.debug(
                "Request: %s %s headers=%s", request.method, request.url, redact_headers(request.headers)
            )
        can_retry = retries < prep.max_retries and replayable
        try:
            response: Response = yield Send(request, prep.stream, timeout)
        except APIConnectionError as exc:
            if exc.method is None:
                exc.method, exc.url = request.method, request.url
            delay = pipe.retry.delay(retries)
            if (
                not can_retry
                or not may_resend(prep.repeatable, exc.request_sent)
                or (deadline is not None and time.monotonic() + delay >= deadline)
            ):
                raise
            logger.info(
                "Retrying %s %s in %.2fs after %s", request.method, request.url, delay, type(exc).__name__
            )
            yield Sleep(delay)
            retries += 1
            continue
        for rhook in pipe.response_hooks:
            yield Call(rhook, (response,))
        logger.info('HTTP Request: %s %s "%d"', request.method, request.url, response.status_code)
        if response.status_code < 400:
            prep.retries_taken = retries
            return response
        content = yield Read(response)
        body = error_body(content)
        err = body.get("error") if isinstance(body, dict) else None
        code = err.get("code") if isinstance(err, dict) else None
        if can_retry and pipe.retry.should_retry_status(
            response.status_code, response.headers, code if isinstance(code, str) else None
        ):
            delay = pipe.retry.delay(retries, response.headers)
            if deadline is None or time.monotonic() + delay < deadline:
                logger.info(
                    "Retrying %s %s in %.2fs after status %d",
                    request.method,
                    request.url,
                    delay,
                    response.status_code,
                )
                yield Sleep(delay)
                retries += 1
                continue
        raise status_error(response, body)


#: idempotency keys need to be unique, not secret: 128 bits from a generator seeded by os.urandom (and
#: seeded again in a forked child, which would otherwise repeat its parent's keys), without a system call
#: per request as os.urandom makes
_KEYS = random.Random()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_KEYS.seed)


def new_idempotency_key() -> str:
    return f"openai-kit-{_KEYS.getrandbits(128):032x}"


async def _asyncio_sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


def drive_sync(gen: Generator[Any, Any, Response], transport: SyncTransport) -> Response:
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            action = gen.send(value) if error is None else gen.throw(error)
        except StopIteration as stop:
            result: Response = stop.value
            return result
        value = error = None
        try:
            kind = type(action)
            if kind is Send:
                value = transport.send(action.request, stream=action.stream, timeout=action.timeout)
            elif kind is Read:
                value = action.response.read()
            elif kind is Call:
                value = action.fn(*action.args)
                if inspect.isawaitable(value):
                    if inspect.iscoroutine(value):
                        value.close()
                    raise ConfigError(f"{action.fn!r} is async; use it with AsyncOpenAI, not OpenAI")
            else:
                time.sleep(action.seconds)
        except Exception as exc:
            error = exc


async def drive_async(gen: Generator[Any, Any, Response], transport: AsyncTransport) -> Response:
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            action = gen.send(value) if error is None else gen.throw(error)
        except StopIteration as stop:
            result: Response = stop.value
            return result
        value = error = None
        try:
            kind = type(action)
            if kind is Send:
                value = await transport.send(action.request, stream=action.stream, timeout=action.timeout)
            elif kind is Read:
                value = await action.response.aread()
            elif kind is Call:
                value = action.fn(*action.args)
                if inspect.isawaitable(value):
                    value = await value
            else:
                await _asyncio_sleep(action.seconds)
        except Exception as exc:
            error = exc
