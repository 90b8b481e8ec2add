from __future__ import annotations

import asyncio
import time

import pytest

from openai_kit.polling import PollTimeoutError, await_for, is_terminal, wait_for


def statuses(*seq: str, kind: str = "batch") -> list[dict[str, str]]:
    return [{"object": kind, "status": s} for s in seq]


def test_waits_until_terminal_for_the_kind() -> None:
    items = iter(statuses("validating", "in_progress", "finalizing", "completed"))
    started = time.monotonic()
    assert wait_for(lambda: next(items), interval=0.01)["status"] == "completed"
    assert time.monotonic() - started < 1
    run = iter(statuses("queued", "in_progress", "requires_action", kind="thread.run"))
    assert wait_for(lambda: next(run), interval=0.01)["status"] == "requires_action"
    assert is_terminal({"object": "fine_tuning.job", "status": "succeeded"})
    assert not is_terminal({"object": "fine_tuning.job", "status": "completed"})


def test_timeout_carries_the_last_object() -> None:
    with pytest.raises(PollTimeoutError, match="in_progress") as info:
        wait_for(lambda: {"object": "batch", "status": "in_progress"}, interval=0.05, timeout=0.2)
    assert info.value.last == {"object": "batch", "status": "in_progress"}
    with pytest.raises(ValueError):
        wait_for(lambda: {}, interval=0)


def test_async() -> None:
    items = iter(statuses("in_progress", "cancelled", kind="vector_store.file_batch"))

    async def get() -> dict[str, str]:
        return next(items)

    assert asyncio.run(await_for(get, interval=0.01))["status"] == "cancelled"
