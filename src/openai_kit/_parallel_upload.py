"""``client.uploads.upload_file_parallel(file, purpose=...)``: a large file through the Uploads API in
parts sent concurrently.

The file is read one part at a time, and a part is read only when one of ``max_concurrency`` slots is
free, so at most ``part_size x max_concurrency`` bytes of it are in memory. Each part is one request
with the client's retry policy (``part_retries`` attempts after the first: backoff, ``Retry-After``,
connection errors). When a part still fails, no further part is started, the parts in flight finish,
the upload is cancelled and :class:`UploadFailedError` is raised (the cause chained). ``on_progress``
receives ``(bytes_sent, total_bytes)`` after each part. The official SDK's sequential helper is
``upload_file_chunked``; this is a separate, parallel one.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import mimetypes
import os
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

from ._errors import OpenAIError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Literal, Protocol

    from typing_extensions import Unpack

    from ._types import FileTypes, NotGiven, RequestOptions
    from .resources.uploads import AsyncUploads, Uploads
    from .types.uploads import Upload, UploadPart

    # The host of the upload mixins (here and in _sdk_helpers/extras.py): the generated calls they make,
    # checked against the generated classes by _hosts() at the end.
    _Purpose = Literal["assistants", "batch", "fine-tune", "vision"]

    class _PartsHost(Protocol):
        def create(
            self, upload_id: str, *, data: FileTypes, **options: Unpack[RequestOptions]
        ) -> UploadPart: ...

    class _AsyncPartsHost(Protocol):
        async def create(
            self, upload_id: str, *, data: FileTypes, **options: Unpack[RequestOptions]
        ) -> UploadPart: ...

    class _UploadsHost(Protocol):
        def create(self, *, filename: str, purpose: _Purpose, bytes: int, mime_type: str) -> Upload: ...
        def cancel(self, upload_id: str) -> Upload: ...
        def complete(
            self, upload_id: str, *, part_ids: Sequence[str], md5: str | NotGiven = ...
        ) -> Upload: ...
        @property
        def parts(self) -> _PartsHost: ...

    class _AsyncUploadsHost(Protocol):
        async def create(self, *, filename: str, purpose: _Purpose, bytes: int, mime_type: str) -> Upload: ...
        async def cancel(self, upload_id: str) -> Upload: ...
        async def complete(
            self, upload_id: str, *, part_ids: Sequence[str], md5: str | NotGiven = ...
        ) -> Upload: ...
        @property
        def parts(self) -> _AsyncPartsHost: ...


__all__ = ["AsyncUploadsParallelMixin", "UploadFailedError", "UploadsParallelMixin"]

#: the API takes parts of at most 64 MB
MAX_PART = 64 * 1024 * 1024
DEFAULT_PART = 8 * 1024 * 1024

Progress = Callable[[int, int], "object | Awaitable[object]"]


class UploadFailedError(OpenAIError):
    """A part could not be uploaded; the upload (``upload_id``) was cancelled."""

    def __init__(self, message: str, upload_id: str) -> None:
        super().__init__(message)
        self.upload_id = upload_id


class _Plan:
    """What to send: sizes, names and checks, decided before any request."""

    def __init__(
        self,
        file: str | os.PathLike[str] | IO[bytes],
        filename: str | None,
        mime_type: str | None,
        part_size: int,
        max_concurrency: int,
    ) -> None:
        if not 1 <= part_size <= MAX_PART:
            raise ValueError(f"part_size must be between 1 byte and 64 MB, not {part_size!r}")
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, not {max_concurrency!r}")
        if isinstance(file, (str, os.PathLike)):
            path = Path(file)
            self.stream: IO[bytes] = path.open("rb")
            self.owned = True
            name = filename or path.name
        else:
            self.stream, self.owned = file, False
            name = filename or Path(str(getattr(file, "name", "") or "upload.bin")).name
        try:
            start = self.stream.tell()
            self.total = self.stream.seek(0, os.SEEK_END) - start
            self.stream.seek(start)
        except (OSError, ValueError):
            self.close()
            raise ValueError("the file must be seekable (its size is sent first)") from None
        self.filename = name
        self.mime_type = mime_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        self.part_size = part_size
        self.parts = max(1, -(-self.total // part_size))
        self.md5 = hashlib.md5(usedforsecurity=False)

    def read(self) -> bytes:
        chunk = self.stream.read(self.part_size)
        self.md5.update(chunk)
        return chunk

    def close(self) -> None:
        if self.owned:
            self.stream.close()


def _message(index: int, parts: int, exc: BaseException) -> str:
    return f"part {index + 1} of {parts} failed ({type(exc).__name__}: {exc}); the upload was cancelled"


class UploadsParallelMixin:
    """``client.uploads.upload_file_parallel``."""

    def upload_file_parallel(
        self: _UploadsHost,
        file: str | os.PathLike[str] | IO[bytes],
        *,
        purpose: Any,
        mime_type: str | None = None,
        filename: str | None = None,
        part_size: int = DEFAULT_PART,
        max_concurrency: int = 4,
        part_retries: int = 3,
        on_progress: Callable[[int, int], object] | None = None,
    ) -> Upload:
        """Upload ``file`` (a path or a seekable binary file) in ``part_size`` parts, ``max_concurrency`` at
        a time; returns the completed ``Upload`` (its ``file`` is the new File)."""
        plan = _Plan(file, filename, mime_type, part_size, max_concurrency)
        try:
            upload = self.create(
                bytes=plan.total, filename=plan.filename, mime_type=plan.mime_type, purpose=purpose
            )
            ids: list[str | None] = [None] * plan.parts
            slots = threading.Semaphore(max_concurrency)
            lock = threading.Lock()
            sent = [0]
            failed: list[tuple[int, BaseException]] = []

            def send(index: int, chunk: bytes) -> None:
                try:
                    part = self.parts.create(upload.id, data=chunk, max_retries=part_retries)
                    ids[index] = part.id
                    with lock:
                        sent[0] += len(chunk)
                        done = sent[0]
                    if on_progress is not None:
                        on_progress(done, plan.total)
                except Exception as exc:
                    failed.append((index, exc))
                finally:
                    slots.release()

            with ThreadPoolExecutor(max_workers=max_concurrency) as pool:  # leaving it waits for every part
                for index in range(plan.parts):
                    slots.acquire()  # a part is read only when a slot is free: memory stays bounded
                    if failed:
                        slots.release()
                        break
                    pool.submit(send, index, plan.read())
            if failed:
                index, exc = min(failed, key=lambda f: f[0])
                self.cancel(upload.id)
                raise UploadFailedError(_message(index, plan.parts, exc), upload.id) from exc
            # no part failed, so every slot holds its part's id
            return self.complete(upload.id, part_ids=cast("list[str]", ids), md5=plan.md5.hexdigest())
        finally:
            plan.close()


class AsyncUploadsParallelMixin:
    """``client.uploads.upload_file_parallel`` (async; ``on_progress`` may be async)."""

    async def upload_file_parallel(
        self: _AsyncUploadsHost,
        file: str | os.PathLike[str] | IO[bytes],
        *,
        purpose: Any,
        mime_type: str | None = None,
        filename: str | None = None,
        part_size: int = DEFAULT_PART,
        max_concurrency: int = 4,
        part_retries: int = 3,
        on_progress: Progress | None = None,
    ) -> Upload:
        plan = _Plan(file, filename, mime_type, part_size, max_concurrency)
        try:
            upload = await self.create(
                bytes=plan.total, filename=plan.filename, mime_type=plan.mime_type, purpose=purpose
            )
            ids: list[str | None] = [None] * plan.parts
            slots = asyncio.Semaphore(max_concurrency)
            sent = [0]
            failed: list[tuple[int, BaseException]] = []

            async def send(index: int, chunk: bytes) -> None:
                try:
                    part = await self.parts.create(upload.id, data=chunk, max_retries=part_retries)
                    ids[index] = part.id
                    sent[0] += len(chunk)
                    if on_progress is not None:
                        observed = on_progress(sent[0], plan.total)
                        if inspect.isawaitable(observed):
                            await observed
                except Exception as exc:
                    failed.append((index, exc))
                finally:
                    slots.release()

            tasks: list[asyncio.Task[None]] = []
            try:
                for index in range(plan.parts):
                    await slots.acquire()
                    if failed:
                        slots.release()
                        break
                    chunk = await asyncio.to_thread(plan.read)
                    tasks.append(asyncio.create_task(send(index, chunk)))
                await asyncio.gather(*tasks)
            except BaseException:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                raise
            if failed:
                index, exc = min(failed, key=lambda f: f[0])
                await self.cancel(upload.id)
                raise UploadFailedError(_message(index, plan.parts, exc), upload.id) from exc
            # no part failed, so every slot holds its part's id
            return await self.complete(upload.id, part_ids=cast("list[str]", ids), md5=plan.md5.hexdigest())
        finally:
            plan.close()


if TYPE_CHECKING:

    def _hosts(uploads: Uploads, auploads: AsyncUploads) -> tuple[_UploadsHost, _AsyncUploadsHost]:
        """Never called: mypy checks here that each generated class is the host its mixins expect."""
        return uploads, auploads
