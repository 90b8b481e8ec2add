"""The official SDK's ``*_and_poll`` / ``poll`` / ``upload`` helpers for runs, threads, vector store files
and file batches.

Each helper is the generated operation followed by :func:`openai_kit.polling.wait_for` (or
``await_for``) on the matching ``retrieve``: the object is fetched every ``poll_interval_ms`` (1000 by
default) until its status is terminal for its kind (a run also stops at ``requires_action``). Extra
keyword arguments go to the underlying ``create`` as they would in the official SDK.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from ..polling import await_for, wait_for

if TYPE_CHECKING:
    from typing import Literal, Protocol

    from .._client import AsyncOpenAI, OpenAI
    from .._types import FileTypes, NotGiven
    from ..resources.beta.threads import AsyncRuns, AsyncThreads, Runs, Threads
    from ..resources.vector_stores import AsyncFileBatches, AsyncFiles, FileBatches, Files
    from ..types.beta.threads import Run, SubmitToolOutputsRunRequestToolOutputParam
    from ..types.vector_stores import VectorStoreFile, VectorStoreFileBatch

    # The hosts: what each mixin calls on the generated class it joins (codegen's MIXINS). A helper
    # method's ``self`` is its host, so mypy checks every call below against these signatures, and
    # _hosts() at the end checks that the generated classes provide them.
    _NoStream = Literal[False] | None | NotGiven

    class _RunsHost(Protocol):
        def retrieve(self, run_id: str, *, thread_id: str) -> Run: ...
        def create(self, thread_id: str, *, assistant_id: str, stream: _NoStream = ...) -> Run: ...
        def submit_tool_outputs(
            self,
            run_id: str,
            *,
            thread_id: str,
            tool_outputs: Sequence[SubmitToolOutputsRunRequestToolOutputParam],
            stream: _NoStream = ...,
        ) -> Run: ...
        def poll(self, run_id: str, thread_id: str, *, poll_interval_ms: int | None = None) -> Run: ...

    class _AsyncRunsHost(Protocol):
        async def retrieve(self, run_id: str, *, thread_id: str) -> Run: ...
        async def create(self, thread_id: str, *, assistant_id: str, stream: _NoStream = ...) -> Run: ...
        async def submit_tool_outputs(
            self,
            run_id: str,
            *,
            thread_id: str,
            tool_outputs: Sequence[SubmitToolOutputsRunRequestToolOutputParam],
            stream: _NoStream = ...,
        ) -> Run: ...
        async def poll(self, run_id: str, thread_id: str, *, poll_interval_ms: int | None = None) -> Run: ...

    class _ThreadsHost(Protocol):
        def create_and_run(self, *, assistant_id: str, stream: _NoStream = ...) -> Run: ...
        @property
        def runs(self) -> _RunsHost: ...

    class _AsyncThreadsHost(Protocol):
        async def create_and_run(self, *, assistant_id: str, stream: _NoStream = ...) -> Run: ...
        @property
        def runs(self) -> _AsyncRunsHost: ...

    class _VectorStoreFilesHost(Protocol):
        _client: OpenAI

        def retrieve(self, file_id: str, *, vector_store_id: str) -> VectorStoreFile: ...
        def create(self, vector_store_id: str, *, file_id: str) -> VectorStoreFile: ...
        def poll(
            self, file_id: str, *, vector_store_id: str, poll_interval_ms: int | None = None
        ) -> VectorStoreFile: ...
        def create_and_poll(
            self, file_id: str, *, vector_store_id: str, poll_interval_ms: int | None = None, **params: Any
        ) -> VectorStoreFile: ...

    class _AsyncVectorStoreFilesHost(Protocol):
        _client: AsyncOpenAI

        async def retrieve(self, file_id: str, *, vector_store_id: str) -> VectorStoreFile: ...
        async def create(self, vector_store_id: str, *, file_id: str) -> VectorStoreFile: ...
        async def poll(
            self, file_id: str, *, vector_store_id: str, poll_interval_ms: int | None = None
        ) -> VectorStoreFile: ...
        async def create_and_poll(
            self, file_id: str, *, vector_store_id: str, poll_interval_ms: int | None = None, **params: Any
        ) -> VectorStoreFile: ...

    class _FileBatchesHost(Protocol):
        _client: OpenAI

        def retrieve(self, batch_id: str, *, vector_store_id: str) -> VectorStoreFileBatch: ...
        def create(self, vector_store_id: str) -> VectorStoreFileBatch: ...
        def poll(
            self, batch_id: str, *, vector_store_id: str, poll_interval_ms: int | None = None
        ) -> VectorStoreFileBatch: ...
        def create_and_poll(
            self, vector_store_id: str, *, poll_interval_ms: int | None = None, **params: Any
        ) -> VectorStoreFileBatch: ...

    class _AsyncFileBatchesHost(Protocol):
        _client: AsyncOpenAI

        async def retrieve(self, batch_id: str, *, vector_store_id: str) -> VectorStoreFileBatch: ...
        async def create(self, vector_store_id: str) -> VectorStoreFileBatch: ...
        async def poll(
            self, batch_id: str, *, vector_store_id: str, poll_interval_ms: int | None = None
        ) -> VectorStoreFileBatch: ...
        async def create_and_poll(
            self, vector_store_id: str, *, poll_interval_ms: int | None = None, **params: Any
        ) -> VectorStoreFileBatch: ...


_T = TypeVar("_T")

__all__ = [
    "AsyncFileBatchesPollMixin",
    "AsyncRunsPollMixin",
    "AsyncThreadsPollMixin",
    "AsyncVectorStoreFilesPollMixin",
    "FileBatchesPollMixin",
    "RunsPollMixin",
    "ThreadsPollMixin",
    "VectorStoreFilesPollMixin",
]


def _seconds(poll_interval_ms: int | None) -> float:
    seconds = (1000 if poll_interval_ms is None else poll_interval_ms) / 1000
    if seconds <= 0:
        raise ValueError(f"poll_interval_ms must be positive, not {poll_interval_ms!r}")
    return seconds


def _wait(get: Callable[[], _T], poll_interval_ms: int | None) -> _T:
    """Poll at a fixed interval, the official SDK's rhythm."""
    seconds = _seconds(poll_interval_ms)
    return wait_for(get, interval=seconds, backoff=1.0, max_interval=seconds)


async def _await(get: Callable[[], Awaitable[_T]], poll_interval_ms: int | None) -> _T:
    seconds = _seconds(poll_interval_ms)
    return await await_for(get, interval=seconds, backoff=1.0, max_interval=seconds)


def _check_concurrency(max_concurrency: int) -> None:
    if max_concurrency < 1:
        raise ValueError(f"max_concurrency must be at least 1, not {max_concurrency!r}")


# -- runs ------------------------------------------------------------------------------------------
class RunsPollMixin:
    """``client.beta.threads.runs``: ``poll``, ``create_and_poll``, ``submit_tool_outputs_and_poll``."""

    def poll(self: _RunsHost, run_id: str, thread_id: str, *, poll_interval_ms: int | None = None) -> Run:
        """Wait until the run needs tool outputs or has ended."""
        get = lambda: self.retrieve(run_id, thread_id=thread_id)  # noqa: E731
        return _wait(get, poll_interval_ms)

    def create_and_poll(
        self: _RunsHost, *, thread_id: str, poll_interval_ms: int | None = None, **params: Any
    ) -> Run:
        run = self.create(thread_id, **params)
        return self.poll(run.id, thread_id, poll_interval_ms=poll_interval_ms)

    def submit_tool_outputs_and_poll(
        self: _RunsHost,
        *,
        tool_outputs: Iterable[Any],
        run_id: str,
        thread_id: str,
        poll_interval_ms: int | None = None,
        **options: Any,
    ) -> Run:
        self.submit_tool_outputs(run_id, thread_id=thread_id, tool_outputs=list(tool_outputs), **options)
        return self.poll(run_id, thread_id, poll_interval_ms=poll_interval_ms)


class AsyncRunsPollMixin:
    """``client.beta.threads.runs`` (async): ``poll``, ``create_and_poll``, ``submit_tool_outputs_and_poll``."""

    async def poll(
        self: _AsyncRunsHost, run_id: str, thread_id: str, *, poll_interval_ms: int | None = None
    ) -> Run:
        get = lambda: self.retrieve(run_id, thread_id=thread_id)  # noqa: E731
        return await _await(get, poll_interval_ms)

    async def create_and_poll(
        self: _AsyncRunsHost, *, thread_id: str, poll_interval_ms: int | None = None, **params: Any
    ) -> Run:
        run = await self.create(thread_id, **params)
        return await self.poll(run.id, thread_id, poll_interval_ms=poll_interval_ms)

    async def submit_tool_outputs_and_poll(
        self: _AsyncRunsHost,
        *,
        tool_outputs: Iterable[Any],
        run_id: str,
        thread_id: str,
        poll_interval_ms: int | None = None,
        **options: Any,
    ) -> Run:
        await self.submit_tool_outputs(
            run_id, thread_id=thread_id, tool_outputs=list(tool_outputs), **options
        )
        return await self.poll(run_id, thread_id, poll_interval_ms=poll_interval_ms)


# -- threads ---------------------------------------------------------------------------------------
class ThreadsPollMixin:
    """``client.beta.threads.create_and_run_poll``."""

    def create_and_run_poll(self: _ThreadsHost, *, poll_interval_ms: int | None = None, **params: Any) -> Run:
        run = self.create_and_run(**params)
        return self.runs.poll(run.id, run.thread_id, poll_interval_ms=poll_interval_ms)


class AsyncThreadsPollMixin:
    """``client.beta.threads.create_and_run_poll`` (async)."""

    async def create_and_run_poll(
        self: _AsyncThreadsHost, *, poll_interval_ms: int | None = None, **params: Any
    ) -> Run:
        run = await self.create_and_run(**params)
        return await self.runs.poll(run.id, run.thread_id, poll_interval_ms=poll_interval_ms)


# -- vector store files ----------------------------------------------------------------------------
class VectorStoreFilesPollMixin:
    """``client.vector_stores.files``: ``poll``, ``create_and_poll``, ``upload``, ``upload_and_poll``."""

    def poll(
        self: _VectorStoreFilesHost,
        file_id: str,
        *,
        vector_store_id: str,
        poll_interval_ms: int | None = None,
    ) -> VectorStoreFile:
        """Wait until the file is processed (``completed``), or has ``failed`` / been ``cancelled``."""
        get = lambda: self.retrieve(file_id, vector_store_id=vector_store_id)  # noqa: E731
        return _wait(get, poll_interval_ms)

    def create_and_poll(
        self: _VectorStoreFilesHost,
        file_id: str,
        *,
        vector_store_id: str,
        poll_interval_ms: int | None = None,
        **params: Any,
    ) -> VectorStoreFile:
        self.create(vector_store_id, file_id=file_id, **params)
        return self.poll(file_id, vector_store_id=vector_store_id, poll_interval_ms=poll_interval_ms)

    def upload(
        self: _VectorStoreFilesHost, *, vector_store_id: str, file: FileTypes, **params: Any
    ) -> VectorStoreFile:
        """Upload ``file`` (purpose ``assistants``) and attach it to the vector store, without waiting."""
        uploaded = self._client.files.create(file=file, purpose="assistants")
        return self.create(vector_store_id, file_id=uploaded.id, **params)

    def upload_and_poll(
        self: _VectorStoreFilesHost,
        *,
        vector_store_id: str,
        file: FileTypes,
        poll_interval_ms: int | None = None,
        **params: Any,
    ) -> VectorStoreFile:
        uploaded = self._client.files.create(file=file, purpose="assistants")
        return self.create_and_poll(
            uploaded.id, vector_store_id=vector_store_id, poll_interval_ms=poll_interval_ms, **params
        )


class AsyncVectorStoreFilesPollMixin:
    """``client.vector_stores.files`` (async): ``poll``, ``create_and_poll``, ``upload``, ``upload_and_poll``."""

    async def poll(
        self: _AsyncVectorStoreFilesHost,
        file_id: str,
        *,
        vector_store_id: str,
        poll_interval_ms: int | None = None,
    ) -> VectorStoreFile:
        get = lambda: self.retrieve(file_id, vector_store_id=vector_store_id)  # noqa: E731
        return await _await(get, poll_interval_ms)

    async def create_and_poll(
        self: _AsyncVectorStoreFilesHost,
        file_id: str,
        *,
        vector_store_id: str,
        poll_interval_ms: int | None = None,
        **params: Any,
    ) -> VectorStoreFile:
        await self.create(vector_store_id, file_id=file_id, **params)
        return await self.poll(file_id, vector_store_id=vector_store_id, poll_interval_ms=poll_interval_ms)

    async def upload(
        self: _AsyncVectorStoreFilesHost, *, vector_store_id: str, file: FileTypes, **params: Any
    ) -> VectorStoreFile:
        uploaded = await self._client.files.create(file=file, purpose="assistants")
        return await self.create(vector_store_id, file_id=uploaded.id, **params)

    async def upload_and_poll(
        self: _AsyncVectorStoreFilesHost,
        *,
        vector_store_id: str,
        file: FileTypes,
        poll_interval_ms: int | None = None,
        **params: Any,
    ) -> VectorStoreFile:
        uploaded = await self._client.files.create(file=file, purpose="assistants")
        return await self.create_and_poll(
            uploaded.id, vector_store_id=vector_store_id, poll_interval_ms=poll_interval_ms, **params
        )


# -- vector store file batches ---------------------------------------------------------------------
class FileBatchesPollMixin:
    """``client.vector_stores.file_batches``: ``poll``, ``create_and_poll``, ``upload_and_poll``."""

    def poll(
        self: _FileBatchesHost, batch_id: str, *, vector_store_id: str, poll_interval_ms: int | None = None
    ) -> VectorStoreFileBatch:
        get = lambda: self.retrieve(batch_id, vector_store_id=vector_store_id)  # noqa: E731
        return _wait(get, poll_interval_ms)

    def create_and_poll(
        self: _FileBatchesHost, vector_store_id: str, *, poll_interval_ms: int | None = None, **params: Any
    ) -> VectorStoreFileBatch:
        batch = self.create(vector_store_id, **params)
        return self.poll(batch.id, vector_store_id=vector_store_id, poll_interval_ms=poll_interval_ms)

    def upload_and_poll(
        self: _FileBatchesHost,
        vector_store_id: str,
        *,
        files: Iterable[FileTypes],
        file_ids: Iterable[str] = (),
        max_concurrency: int = 5,
        poll_interval_ms: int | None = None,
        **params: Any,
    ) -> VectorStoreFileBatch:
        """Upload ``files`` (``max_concurrency`` at a time), then batch them with ``file_ids``."""
        _check_concurrency(max_concurrency)
        files_api = self._client.files
        with ThreadPoolExecutor(max_workers=max_concurrency) as pool:
            uploaded = list(pool.map(lambda f: files_api.create(file=f, purpose="assistants").id, files))
        ids = [*file_ids, *uploaded]
        return self.create_and_poll(
            vector_store_id, file_ids=ids, poll_interval_ms=poll_interval_ms, **params
        )


class AsyncFileBatchesPollMixin:
    """``client.vector_stores.file_batches`` (async): ``poll``, ``create_and_poll``, ``upload_and_poll``."""

    async def poll(
        self: _AsyncFileBatchesHost,
        batch_id: str,
        *,
        vector_store_id: str,
        poll_interval_ms: int | None = None,
    ) -> VectorStoreFileBatch:
        get = lambda: self.retrieve(batch_id, vector_store_id=vector_store_id)  # noqa: E731
        return await _await(get, poll_interval_ms)

    async def create_and_poll(
        self: _AsyncFileBatchesHost,
        vector_store_id: str,
        *,
        poll_interval_ms: int | None = None,
        **params: Any,
    ) -> VectorStoreFileBatch:
        batch = await self.create(vector_store_id, **params)
        return await self.poll(batch.id, vector_store_id=vector_store_id, poll_interval_ms=poll_interval_ms)

    async def upload_and_poll(
        self: _AsyncFileBatchesHost,
        vector_store_id: str,
        *,
        files: Iterable[FileTypes],
        file_ids: Iterable[str] = (),
        max_concurrency: int = 5,
        poll_interval_ms: int | None = None,
        **params: Any,
    ) -> VectorStoreFileBatch:
        """Upload ``files`` (``max_concurrency`` at a time), then batch them with ``file_ids``."""
        _check_concurrency(max_concurrency)
        gate = asyncio.Semaphore(max_concurrency)
        files_api = self._client.files

        async def upload(f: FileTypes) -> str:
            async with gate:
                return (await files_api.create(file=f, purpose="assistants")).id

        uploaded = await asyncio.gather(*(upload(f) for f in files))
        ids = [*file_ids, *uploaded]
        return await self.create_and_poll(
            vector_store_id, file_ids=ids, poll_interval_ms=poll_interval_ms, **params
        )


if TYPE_CHECKING:

    def _hosts(
        runs: Runs,
        aruns: AsyncRuns,
        threads: Threads,
        athreads: AsyncThreads,
        files: Files,
        afiles: AsyncFiles,
        batches: FileBatches,
        abatches: AsyncFileBatches,
    ) -> tuple[
        _RunsHost,
        _AsyncRunsHost,
        _ThreadsHost,
        _AsyncThreadsHost,
        _VectorStoreFilesHost,
        _AsyncVectorStoreFilesHost,
        _FileBatchesHost,
        _AsyncFileBatchesHost,
    ]:
        """Never called: mypy checks here that each generated class is the host its mixins expect."""
        return runs, aruns, threads, athreads, files, afiles, batches, abatches
