"""Waiters for long-running objects the official SDK gives none for: ``client.batches.poll`` / ``wait``
and ``client.fine_tuning.jobs.wait`` (new events handed to a callback as they appear).

All are :func:`openai_kit.polling.wait_for` (or ``await_for``) on the raw ``retrieve``, so the server's
``openai-poll-after-ms`` header sets the next delay when it is sent. ``poll`` returns the object in
whatever terminal status it reached; ``wait`` raises :class:`~openai_kit.polling.PollFailedError` /
:class:`~openai_kit.polling.PollCancelledError` (the object attached as ``.obj``) unless it succeeded.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, TypedDict

from .polling import await_for, wait_for

if TYPE_CHECKING:
    from typing import Protocol

    from typing_extensions import Self

    from .pagination import AsyncCursorPage, SyncCursorPage
    from .resources.batches import AsyncBatches, Batches
    from .resources.fine_tuning.jobs import AsyncJobs, Jobs
    from .types.batches import Batch
    from .types.fine_tuning import FineTuningJob, FineTuningJobEvent

    # The hosts of the mixins: the generated calls each makes (``with_raw_response`` is typed as the
    # resource itself, as in _resource.py); _hosts() at the end checks them against the generated classes.
    class _BatchesHost(Protocol):
        @property
        def with_raw_response(self) -> Self: ...
        def retrieve(self, batch_id: str) -> Batch: ...

    class _AsyncBatchesHost(Protocol):
        @property
        def with_raw_response(self) -> Self: ...
        async def retrieve(self, batch_id: str) -> Batch: ...

    class _JobsHost(Protocol):
        @property
        def with_raw_response(self) -> Self: ...
        def retrieve(self, fine_tuning_job_id: str) -> FineTuningJob: ...
        def list_events(
            self, fine_tuning_job_id: str, *, limit: int
        ) -> SyncCursorPage[FineTuningJobEvent]: ...

    class _AsyncJobsHost(Protocol):
        @property
        def with_raw_response(self) -> Self: ...
        async def retrieve(self, fine_tuning_job_id: str) -> FineTuningJob: ...
        def list_events(
            self, fine_tuning_job_id: str, *, limit: int
        ) -> AsyncCursorPage[FineTuningJobEvent]: ...


__all__ = [
    "AsyncBatchesWaitMixin",
    "AsyncFineTuningJobsWaitMixin",
    "BatchesWaitMixin",
    "FineTuningJobsWaitMixin",
]


class _Pace(TypedDict):
    interval: float
    backoff: float
    max_interval: float


def _pace(poll_interval_ms: int | None, interval: float, max_interval: float) -> _Pace:
    """``poll_interval_ms`` (the official helpers' fixed rhythm) or ``interval`` growing to ``max_interval``."""
    if poll_interval_ms is not None:
        if poll_interval_ms <= 0:
            raise ValueError(f"poll_interval_ms must be positive, not {poll_interval_ms!r}")
        s = poll_interval_ms / 1000
        return {"interval": s, "backoff": 1.0, "max_interval": s}
    return {"interval": interval, "backoff": 1.5, "max_interval": max(interval, max_interval)}


class BatchesWaitMixin:
    """``client.batches.poll`` / ``wait``."""

    def poll(
        self: _BatchesHost,
        batch_id: str,
        *,
        poll_interval_ms: int | None = None,
        timeout: float | None = None,
    ) -> Batch:
        """Fetch the batch every ``poll_interval_ms`` (1000) until it is completed, failed, expired or
        cancelled; return it whatever the outcome."""
        get = lambda: self.with_raw_response.retrieve(batch_id)  # noqa: E731
        return wait_for(get, timeout=timeout, **_pace(poll_interval_ms or 1000, 1, 1))

    def wait(
        self: _BatchesHost,
        batch_id: str,
        *,
        timeout: float | None = None,
        interval: float = 1.0,
        max_interval: float = 30.0,
        poll_interval_ms: int | None = None,
    ) -> Batch:
        """Wait for the batch to complete (the delay grows from ``interval`` to ``max_interval``); raise
        ``PollFailedError`` / ``PollCancelledError`` / ``PollTimeoutError`` otherwise."""
        get = lambda: self.with_raw_response.retrieve(batch_id)  # noqa: E731
        pace = _pace(poll_interval_ms, interval, max_interval)
        return wait_for(get, timeout=timeout, raise_on_failure=True, **pace)


class AsyncBatchesWaitMixin:
    """``client.batches.poll`` / ``wait`` (async)."""

    async def poll(
        self: _AsyncBatchesHost,
        batch_id: str,
        *,
        poll_interval_ms: int | None = None,
        timeout: float | None = None,
    ) -> Batch:
        get = lambda: self.with_raw_response.retrieve(batch_id)  # noqa: E731
        return await await_for(get, timeout=timeout, **_pace(poll_interval_ms or 1000, 1, 1))

    async def wait(
        self: _AsyncBatchesHost,
        batch_id: str,
        *,
        timeout: float | None = None,
        interval: float = 1.0,
        max_interval: float = 30.0,
        poll_interval_ms: int | None = None,
    ) -> Batch:
        get = lambda: self.with_raw_response.retrieve(batch_id)  # noqa: E731
        pace = _pace(poll_interval_ms, interval, max_interval)
        return await await_for(get, timeout=timeout, raise_on_failure=True, **pace)


def _new_events(page: Iterable[FineTuningJobEvent], seen: set[str]) -> list[FineTuningJobEvent]:
    """Events not seen yet, oldest first (the API lists newest first)."""
    fresh = []
    for event in page:
        if event.id in seen:
            break
        fresh.append(event)
    seen.update(e.id for e in fresh)
    return fresh[::-1]


class FineTuningJobsWaitMixin:
    """``client.fine_tuning.jobs.wait``."""

    def wait(
        self: _JobsHost,
        fine_tuning_job_id: str,
        *,
        on_event: Callable[[FineTuningJobEvent], object] | None = None,
        timeout: float | None = None,
        interval: float = 5.0,
        max_interval: float = 60.0,
        poll_interval_ms: int | None = None,
        raise_on_failure: bool = True,
    ) -> FineTuningJob:
        """Wait until the job has succeeded (``PollFailedError`` / ``PollCancelledError`` otherwise, unless
        ``raise_on_failure=False``). With ``on_event``, each poll also reads the job's new events and
        hands them over oldest first, each once."""
        seen: set[str] = set()

        def get() -> FineTuningJob:  # a raw response at run time: wait_for reads its poll-after header
            raw = self.with_raw_response.retrieve(fine_tuning_job_id)
            if on_event is not None:
                for event in _new_events(self.list_events(fine_tuning_job_id, limit=100), seen):
                    on_event(event)
            return raw

        pace = _pace(poll_interval_ms, interval, max_interval)
        return wait_for(get, timeout=timeout, raise_on_failure=raise_on_failure, **pace)


class AsyncFineTuningJobsWaitMixin:
    """``client.fine_tuning.jobs.wait`` (async; ``on_event`` may be async)."""

    async def wait(
        self: _AsyncJobsHost,
        fine_tuning_job_id: str,
        *,
        on_event: Callable[[FineTuningJobEvent], object | Awaitable[object]] | None = None,
        timeout: float | None = None,
        interval: float = 5.0,
        max_interval: float = 60.0,
        poll_interval_ms: int | None = None,
        raise_on_failure: bool = True,
    ) -> FineTuningJob:
        seen: set[str] = set()

        async def get() -> FineTuningJob:  # a raw response at run time (see the sync twin)
            raw = await self.with_raw_response.retrieve(fine_tuning_job_id)
            if on_event is not None:
                fresh = []
                async for event in self.list_events(fine_tuning_job_id, limit=100):
                    if event.id in seen:
                        break
                    fresh.append(event)
                for event in _new_events(fresh, seen):
                    result = on_event(event)
                    if inspect.isawaitable(result):
                        await result
            return raw

        pace = _pace(poll_interval_ms, interval, max_interval)
        return await await_for(get, timeout=timeout, raise_on_failure=raise_on_failure, **pace)


if TYPE_CHECKING:

    def _hosts(
        batches: Batches, abatches: AsyncBatches, jobs: Jobs, ajobs: AsyncJobs
    ) -> tuple[_BatchesHost, _AsyncBatchesHost, _JobsHost, _AsyncJobsHost]:
        """Never called: mypy checks here that each generated class is the host its mixin expects."""
        return batches, abatches, jobs, ajobs
