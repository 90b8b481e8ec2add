"""Wait for long-running objects: runs, batches, vector-store file batches, fine-tuning jobs, ...

``wait_for(lambda: client.batches.retrieve(batch_id))`` calls the function until the object's ``status``
is terminal for its kind (``object`` field), sleeping ``interval`` seconds, growing by ``backoff`` up to
``max_interval``. ``timeout`` bounds the wait (:class:`PollTimeoutError` carries the last object).
``await_for`` is the same for async functions. The loop is written once and driven twice.

``get`` may return a raw response (``client.batches.with_raw_response.retrieve(...)``): it is parsed, and the
server's ``openai-poll-after-ms`` header, when present, sets the next delay. With ``raise_on_failure=True``
a terminal failure raises :class:`PollFailedError` / :class:`PollCancelledError` with the object attached.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Collection, Generator
from typing import Any, TypeVar

from ._errors import OpenAIError
from ._response import APIResponse, AsyncAPIResponse, LegacyAPIResponse

__all__ = [
    "FAILED_STATUSES",
    "TERMINAL_STATUSES",
    "PollCancelledError",
    "PollError",
    "PollFailedError",
    "PollTimeoutError",
    "await_for",
    "is_terminal",
    "wait_for",
]

_T = TypeVar("_T")

#: terminal statuses per ``object`` kind
TERMINAL_STATUSES: dict[str, frozenset[str]] = {
    "thread.run": frozenset({"completed", "failed", "cancelled", "expired", "requires_action", "incomplete"}),
    "batch": frozenset({"completed", "failed", "cancelled", "expired"}),
    "vector_store.file_batch": frozenset({"completed", "failed", "cancelled"}),
    "vector_store.file": frozenset({"completed", "failed", "cancelled"}),
    "fine_tuning.job": frozenset({"succeeded", "failed", "cancelled"}),
    "file": frozenset({"processed", "error", "deleted"}),
    "response": frozenset({"completed", "failed", "cancelled", "incomplete"}),
    "video": frozenset({"completed", "failed"}),
    "eval.run": frozenset({"completed", "failed", "canceled"}),
}
_ANY_TERMINAL = frozenset().union(*TERMINAL_STATUSES.values()) - {"requires_action"}
#: terminal statuses that are failures (``raise_on_failure``); cancellations are told apart
FAILED_STATUSES = frozenset({"failed", "expired", "error", "incomplete"})
CANCELLED_STATUSES = frozenset({"cancelled", "canceled"})
POLL_AFTER_HEADER = "openai-poll-after-ms"


class PollError(OpenAIError):
    """A wait ended without success; ``obj`` is the last object fetched."""

    def __init__(self, message: str, obj: Any) -> None:
        super().__init__(message)
        self.obj = obj


class PollTimeoutError(PollError):
    def __init__(self, last: Any, waited: float) -> None:
        self.last = last
        status = _field(last, "status")
        super().__init__(f"still {status!r} after waiting {waited:.1f}s", last)


class PollFailedError(PollError):
    """The object reached a failed terminal status (``failed``, ``expired``, ``error``...)."""


class PollCancelledError(PollError):
    """The object was cancelled."""


def _describe_failure(obj: Any) -> str:
    """The object's own error message, wherever its kind keeps it."""
    for key in ("error", "last_error", "incomplete_details"):
        err = _field(obj, key)
        message = _field(err, "message") if err is not None else None
        if message:
            return f": {message}"
    errors = _field(obj, "errors")  # batches: {"data": [{"message": ...}]}
    data = _field(errors, "data") if errors is not None else None
    if data:
        return f": {_field(data[0], 'message')}"
    return ""


def check_outcome(obj: Any) -> Any:
    """Raise :class:`PollFailedError` / :class:`PollCancelledError` for a failed / cancelled object."""
    status = _field(obj, "status")
    what = f"{_field(obj, 'object') or 'object'} {_field(obj, 'id') or ''}".strip()
    if status in CANCELLED_STATUSES:
        raise PollCancelledError(f"{what} was cancelled", obj)
    if status in FAILED_STATUSES:
        raise PollFailedError(f"{what} ended {status!r}{_describe_failure(obj)}", obj)
    return obj


def _poll_after(headers: Any) -> float | None:
    raw = headers.get(POLL_AFTER_HEADER) if headers is not None else None
    try:
        ms = int(raw) if raw is not None else None
    except ValueError:
        return None
    return ms / 1000 if ms is not None and ms >= 0 else None


def _field(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def is_terminal(obj: Any, terminal: Collection[str] | None = None) -> bool:
    status = _field(obj, "status")
    if terminal is None:
        terminal = TERMINAL_STATUSES.get(str(_field(obj, "object")), _ANY_TERMINAL)
    return status in terminal


def _poll(
    interval: float,
    backoff: float,
    max_interval: float,
    timeout: float | None,
    terminal: Collection[str] | None,
    raise_on_failure: bool = False,
) -> Generator[Any, Any, Any]:
    if interval <= 0 or backoff < 1 or max_interval < interval:
        raise ValueError("need interval > 0, backoff >= 1 and max_interval >= interval")
    started = time.monotonic()
    delay = interval
    while True:
        obj, hint = yield ("get",)
        if is_terminal(obj, terminal):
            return check_outcome(obj) if raise_on_failure else obj
        waited = time.monotonic() - started
        pause = delay if hint is None else hint
        if timeout is not None and waited + pause > timeout:
            raise PollTimeoutError(obj, waited)
        yield ("sleep", pause)
        delay = min(delay * backoff, max_interval)


def wait_for(
    get: Callable[[], _T],
    *,
    interval: float = 1.0,
    backoff: float = 1.5,
    max_interval: float = 10.0,
    timeout: float | None = None,
    terminal: Collection[str] | None = None,
    raise_on_failure: bool = False,
) -> _T:
    loop = _poll(interval, backoff, max_interval, timeout, terminal, raise_on_failure)
    value: Any = None
    while True:
        try:
            action = loop.send(value)
        except StopIteration as stop:
            result: _T = stop.value
            return result
        if action[0] == "get":
            got: Any = get()
            raw = isinstance(got, (APIResponse, LegacyAPIResponse))
            value = (got.parse(), _poll_after(got.headers)) if raw else (got, None)
        else:
            time.sleep(action[1])
            value = None


async def await_for(
    get: Callable[[], Awaitable[_T]],
    *,
    interval: float = 1.0,
    backoff: float = 1.5,
    max_interval: float = 10.0,
    timeout: float | None = None,
    terminal: Collection[str] | None = None,
    raise_on_failure: bool = False,
) -> _T:
    import asyncio

    loop = _poll(interval, backoff, max_interval, timeout, terminal, raise_on_failure)
    value: Any = None
    while True:
        try:
            action = loop.send(value)
        except StopIteration as stop:
            result: _T = stop.value
            return result
        if action[0] == "get":
            got: Any = await get()
            if isinstance(got, LegacyAPIResponse):  # with_raw_response: parse() is a plain call
                value = (got.parse(), _poll_after(got.headers))
            elif isinstance(got, AsyncAPIResponse):
                value = (await got.parse(), _poll_after(got.headers))
            else:
                value = (got, None)
        else:
            await asyncio.sleep(action[1])
            value = None
