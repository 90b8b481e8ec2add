"""The official SDK's ``*_and_poll`` / ``poll`` / ``upload`` helpers for runs, threads, vector store files
and file batches.

Each helper is the generated operation followed by :func:`openai_kit.polling.wait_for` (or
``await_for``) on the matching ``retrieve``: the object is fetched every ``poll_interval_ms`` (1000 by
default) until its status is terminal for its kind (a run also stops at ``requires_action``). Extra
keyword arguments go to the underlying ``create`` as they would in the official SDK.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from ..polling import await_for, wait_for

if TYPE_CHECKING:
    from .._client import AsyncOpenAI, OpenAI
    from .._types import FileTypes
    from ..types.beta.threads import Run
    from ..types.vector_stores import VectorStoreFile, VectorStoreFileBatch

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


def _wait(get: Callable[[], Any], poll_interval_ms: int | None) -> Any:
    """Poll at a fixed interval, the official SDK's rhythm."""
    seconds = _seconds(poll_interval_ms)
    return wait_for(get, interval=seconds, backoff=1.0, max_interval=seconds)


async def _await(get: Callable[[], Awaitable[Any]], poll_interval_ms: int | None) -> Any:
    seconds = _seconds(poll_interval_ms)
    return await await_for(get, interval=seconds, backoff=1.0, max_interval=seconds)


def _check_concurrency(max_concurrency: int) -> None:
    if max_concurrency < 1:
        raise ValueError(f"max_concurrency must be at least 1, not {max_concurrency!r}")


# -- runs ------------------------------------------------------------------------------------------
class RunsPollMixin:
    """``client.beta.threads.runs``: ``poll``, ``create_and_poll``, ``submit_tool_outputs_and_poll``."""

    def poll(self, run_id: str, thread_id: str, *, poll_interval_ms: int | None = None) -> Run:
        """Wait until the run needs tool outputs or has ended."""
        me: Any = self
        get = lambda: me.retrieve(run_id, thread_id=thread_id)  # noqa: E731
        return _wait(get, poll_interval_ms)  # type: ignore[no-any-return]

    def create_and_poll(self, *, thread_id: str, poll_interval_ms: int | None = None, **params: Any) -> Run:
        me: Any = self
        run = me.create(thread_id, **params)
        return self.poll(run.id, thread_id, poll_interval_ms=poll_interval_ms)

    def submit_tool_outputs_and_poll(
        self,
        *,
        tool_outputs: Iterable[Any],
        run_id: str,
        thread_id: str,
        poll_interval_ms: int | None = None,
        **options: Any,
    ) -> Run:
        me: Any = self
        me.submit_tool_outputs(run_id, thread_id=thread_id, tool_outputs=list(tool_outputs), **options)
        return self.poll(run_id, thread_id, poll_interval_ms=poll_interval_ms)


class AsyncRunsPollMixin:
    """``client.beta.threads.runs`` (async): ``poll``, ``create_and_poll``, ``submit_tool_outputs_and_poll``."""

    async def poll(self, run_id: str, thread_id: str, *, poll_interval_ms: int | None = None) -> Run:
        me: Any = self
        get = lambda: me.retrieve(run_id, thread_id=thread_id)  # noqa: E731
        return await _await(get, poll_interval_ms)  # type: ignore[no-any-return]

    async def create_and_poll(
        self, *, thread_id: str, poll_interval_ms: int | None = None, **params: Any
    ) -> Run:
        me: Any = self
        run = await me.create(thread_id, **params)
        return await self.poll(run.id, thread_id, poll_interval_ms=poll_interval_ms)

    async def submit_tool_outputs_and_poll(
        self,
        *,
        tool_outputs: Iterable[Any],
        run_id: str,
        thread_id: str,
        poll_interval_ms: int | None = None,
        **options: Any,
    ) -> Run:
        me: Any = self
        await me.submit_tool_outputs(run_id, thread_id=thread_id, tool_outputs=list(tool_outputs), **options)
        return await self.poll(run_id, thread_id, poll_interval_ms=poll_interval_ms)


# -- threads ---------------------------------------------------------------------------------------
class ThreadsPollMixin:
    """``client.beta.threads.create_and_run_poll``."""

    def create_and_run_poll(self, *, poll_interval_ms: int | None = None, **params: Any) -> Run:
        me: Any = self
        run = me.create_and_run(**params)
        return me.runs.poll(run.id, run.thread_id, poll_interval_ms=poll_interval_ms)  # type: ignore[no-any-return]


class AsyncThreadsPollMixin:
    """``client.beta.threads.create_and_run_poll`` (async)."""

    async def create_and_run_poll(self, *, poll_interval_ms: int | None = None, **params: Any) -> Run:
        me: Any = self
        run = await me.create_and_run(**params)
        return await me.runs.poll(run.id, run.thread_id, poll_interval_ms=poll_interval_ms)  # type: ignore[no-any-return]


# -- vector store files ----------------------------------------------------------------------------
class VectorStoreFilesPollMixin:
    """``client.vector_stores.files``: ``poll``, ``create_and_poll``, ``upload``, ``upload_and_poll``."""

    _client: OpenAI

    def poll(
        self, file_id: str, *, vector_store_id: str, poll_interval_ms: int | None = None
    ) -> VectorStoreFile:
        """Wait until the file is processed (``completed``), or has ``failed`` / been ``cancelled``."""
        me: Any = self
        get = lambda: me.retrieve(file_id, vector_store_id=vector_store_id)  # noqa: E731
        return _wait(get, poll_interval_ms)  # type: ignore[no-any-return]

    def create_and_poll(
        self, file_id: str, *, vector_store_id: str, poll_interval_ms: int | None = None, **params: Any
    ) -> VectorStoreFile:
        me: Any = self
        me.create(vector_store_id, file_id=file_id, **params)
        return self.poll(file_id, vector_store_id=vector_store_id, poll_interval_ms=poll_interval_ms)

    def upload(self, *, vector_store_id: str, file: FileTypes, **params: Any) -> VectorStoreFile:
        """Upload ``file`` (purpose ``assistants``) and attach it to the vector store, without waiting."""
        me: Any = self
        uploaded = self._client.files.create(file=file, purpose="assistants")
        return me.create(vector_store_id, file_id=uploaded.id, **params)  # type: ignore[no-any-return]

    def upload_and_poll(
        self, *, vector_store_id: str, file: FileTypes, poll_interval_ms: int | None = None, **params: Any
    ) -> VectorStoreFile:
        uploaded = self._client.files.create(file=file, purpose="assistants")
        return self.create_and_poll(
            uploaded.id, vector_store_id=vector_store_id, poll_interval_ms=poll_interval_ms, **params
        )


class AsyncVectorStoreFilesPollMixin:
    """``client.vector_stores.files`` (async): ``poll``, ``create_and_poll``, ``upload``, ``upload_and_poll``."""

    _client: AsyncOpenAI

    async def poll(
        self, file_id: str, *, vector_store_id: str, poll_interval_ms: int | None = None
    ) -> VectorStoreFile:
        me: Any = self
        get = lambda: me.retrieve(file_id, vector_store_id=vector_store_id)  # noqa: E731
        return await _await(get, poll_interval_ms)  # type: ignore[no-any-return]

    async def create_and_poll(
        self, file_id: str, *, vector_store_id: str, poll_interval_ms: int | None = None, **params: Any
    ) -> VectorStoreFile:
        me: Any = self
        await me.create(vector_store_id, file_id=file_id, **params)
        return await self.poll(file_id, vector_store_id=vector_store_id, poll_interval_ms=poll_interval_ms)

    async def upload(self, *, vector_store_id: str, file: FileTypes, **params: Any) -> VectorStoreFile:
        me: Any = self
        uploaded = await self._client.files.create(file=file, purpose="assistants")
        return await me.create(vector_store_id, file_id=uploaded.id, **params)  # type: ignore[no-any-return]

    async def upload_and_poll(
        self, *, vector_store_id: str, file: FileTypes, poll_interval_ms: int | None = None, **params: Any
    ) -> VectorStoreFile:
        uploaded = await self._client.files.create(file=file, purpose="assistants")
        return await self.create_and_poll(
            uploaded.id, vector_store_id=vector_store_id, poll_interval_ms=poll_interval_ms, **params
        )


# -- vector store file batches ---------------------------------------------------------------------
class FileBatchesPollMixin:
    """``client.vector_stores.file_batches``: ``poll``, ``create_and_poll``, ``upload_and_poll``."""

    _client: OpenAI

    def poll(
        self, batch_id: str, *, vector_store_id: str, poll_interval_ms: int | None = None
    ) -> VectorStoreFileBatch:
        me: Any = self
        get = lambda: me.retrieve(batch_id, vector_store_id=vector_store_id)  # noqa: E731
        return _wait(get, poll_interval_ms)  # type: ignore[no-any-return]

    def create_and_poll(
        self, vector_store_id: str, *, poll_interval_ms: int | None = None, **params: Any
    ) -> VectorStoreFileBatch:
        me: Any = self
        batch = me.create(vector_store_id, **params)
        return self.poll(batch.id, vector_store_id=vector_store_id, poll_interval_ms=poll_interval_ms)

    def upload_and_poll(
        self,
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

    _client: AsyncOpenAI

    async def poll(
        self, batch_id: str, *, vector_store_id: str, poll_interval_ms: int | None = None
    ) -> VectorStoreFileBatch:
        me: Any = self
        get = lambda: me.retrieve(batch_id, vector_store_id=vector_store_id)  # noqa: E731
        return await _await(get, poll_interval_ms)  # type: ignore[no-any-return]

    async def create_and_poll(
        self, vector_store_id: str, *, poll_interval_ms: int | None = None, **params: Any
    ) -> VectorStoreFileBatch:
        me: Any = self
        batch = await me.create(vector_store_id, **params)
        return await self.poll(batch.id, vector_store_id=vector_store_id, poll_interval_ms=poll_interval_ms)

    async def upload_and_poll(
        self,
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
        import asyncio  # here: a sync-only process does not pay for importing it

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
