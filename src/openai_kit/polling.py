"""Wait for long-running objects: runs, batches, vector-store file batches, fine-tuning jobs, ...

``wait_for(lambda: client.batches.retrieve(batch_id))`` calls the function until the object's ``status``
is terminal for its kind (``object`` field), sleeping ``interval`` seconds, growing by ``backoff`` up to
``max_interval``. ``timeout`` bounds the wait (:class:`PollTimeoutError` carries the last object).
``await_for`` is the same for async functions. The loop is written once and driven twice.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Collection, Generator
from typing import Any, TypeVar

from ._errors import OpenAIError

__all__ = ["TERMINAL_STATUSES", "PollTimeoutError", "await_for", "is_terminal", "wait_for"]

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


class PollTimeoutError(OpenAIError):
    def __init__(self, last: Any, waited: float) -> None:
        self.last = last
        status = _field(last, "status")
        super().__init__(f"still {status!r} after waiting {waited:.1f}s")


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
) -> Generator[Any, Any, Any]:
    if interval <= 0 or backoff < 1 or max_interval < interval:
        raise ValueError("need interval > 0, backoff >= 1 and max_interval >= interval")
    started = time.monotonic()
    delay = interval
    while True:
        obj = yield ("get",)
        if is_terminal(obj, terminal):
            return obj
        waited = time.monotonic() - started
        if timeout is not None and waited + delay > timeout:
            raise PollTimeoutError(obj, waited)
        yield ("sleep", delay)
        delay = min(delay * backoff, max_interval)


def wait_for(
    get: Callable[[], _T],
    *,
    interval: float = 1.0,
    backoff: float = 1.5,
    max_interval: float = 10.0,
    timeout: float | None = None,
    terminal: Collection[str] | None = None,
) -> _T:
    loop = _poll(interval, backoff, max_interval, timeout, terminal)
    value: Any = None
    while True:
        try:
            action = loop.send(value)
        except StopIteration as stop:
            result: _T = stop.value
            return result
        if action[0] == "get":
            value = get()
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
) -> _T:
    import asyncio

    loop = _poll(interval, backoff, max_interval, timeout, terminal)
    value: Any = None
    while True:
        try:
            action = loop.send(value)
        except StopIteration as stop:
            result: _T = stop.value
            return result
        if action[0] == "get":
            value = await get()
        else:
            await asyncio.sleep(action[1])
            value = None
