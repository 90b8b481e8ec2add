"""The helper methods of ``client.beta.threads`` and ``client.beta.threads.runs``: polling
(:mod:`.polling`) and event-handler streams (:mod:`.assistant_stream`)."""

from __future__ import annotations

from .assistant_stream import (
    AsyncRunsStreamMixin,
    AsyncThreadsStreamMixin,
    RunsStreamMixin,
    ThreadsStreamMixin,
)
from .run_polling import AsyncRunsPollMixin, AsyncThreadsPollMixin, RunsPollMixin, ThreadsPollMixin

__all__ = ["AsyncRunsHelpers", "AsyncThreadsHelpers", "RunsHelpers", "ThreadsHelpers"]


class RunsHelpers(RunsPollMixin, RunsStreamMixin):
    """``runs.poll`` / ``create_and_poll`` / ``submit_tool_outputs_and_poll`` / ``stream`` /
    ``submit_tool_outputs_stream``."""


class AsyncRunsHelpers(AsyncRunsPollMixin, AsyncRunsStreamMixin):
    """The same, async."""


class ThreadsHelpers(ThreadsPollMixin, ThreadsStreamMixin):
    """``threads.create_and_run_poll`` / ``create_and_run_stream``."""


class AsyncThreadsHelpers(AsyncThreadsPollMixin, AsyncThreadsStreamMixin):
    """The same, async."""
