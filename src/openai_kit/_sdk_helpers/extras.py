"""More of the official SDK's helper methods, mixed into generated resources (``codegen.render_resources.
MIXINS``):

- ``files.wait_for_processing`` (poll until processed) and the deprecated ``files.retrieve_content``;
- ``uploads.upload_file_chunked``: create an Upload, send the file in parts (one after the other), complete;
- ``videos.poll`` / ``videos.create_and_poll``;
- the deprecated ``fine_tuning.checkpoints.permissions.retrieve`` (the first page of ``list``, as a model);
- ``beta.chat.completions``: the official SDK's former home of ``parse`` / ``stream``.

Each is written against the generated operations, once per flavour only where IO differs.
"""

from __future__ import annotations

import builtins
import os
import time
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .._parallel_upload import AsyncUploadsParallelMixin, UploadsParallelMixin
from .._types import NOT_GIVEN, NotGiven
from .._utils import path_param
from .run_polling import _await, _seconds, _wait

if TYPE_CHECKING:
    from typing import Protocol

    from .._client import AsyncOpenAI, OpenAI
    from .._parallel_upload import _AsyncUploadsHost, _UploadsHost
    from ..resources.files import AsyncFiles, Files
    from ..resources.videos import AsyncVideos, Videos
    from ..types.files import FileObject
    from ..types.uploads import Upload
    from ..types.videos import Video

    # The hosts of the mixins: the generated calls each makes (the uploads host is in
    # _parallel_upload.py); _hosts() at the end checks them against the generated classes.
    class _FilesHost(Protocol):
        _client: OpenAI

        def retrieve(self, file_id: str) -> FileObject: ...

    class _AsyncFilesHost(Protocol):
        _client: AsyncOpenAI

        async def retrieve(self, file_id: str) -> FileObject: ...

    class _VideosHost(Protocol):
        def retrieve(self, video_id: str) -> Video: ...
        def create(self, *, prompt: str) -> Video: ...
        def poll(self, video_id: str, *, poll_interval_ms: int | NotGiven = ...) -> Video: ...

    class _AsyncVideosHost(Protocol):
        async def retrieve(self, video_id: str) -> Video: ...
        async def create(self, *, prompt: str) -> Video: ...
        async def poll(self, video_id: str, *, poll_interval_ms: int | NotGiven = ...) -> Video: ...


__all__ = [
    "AsyncBetaChatMixin",
    "AsyncFilesHelpers",
    "AsyncPermissionsHelpers",
    "AsyncUploadsHelpers",
    "AsyncVideosHelpers",
    "BetaChatMixin",
    "FilesHelpers",
    "PermissionsHelpers",
    "UploadsHelpers",
    "VideosHelpers",
]

#: the official SDK's part size for chunked uploads
DEFAULT_PART_SIZE = 64 * 1024 * 1024


# -- files ----------------------------------------------------------------------------------------------
def _processing_done(file: Any) -> bool:
    return getattr(file, "status", None) in ("processed", "error", "deleted")


def _processing_timeout(file_id: str, waited: float) -> RuntimeError:
    return RuntimeError(f"file {file_id} was still being processed after {waited:.0f} s")


def _retrieve_content_deprecated() -> None:
    warnings.warn(
        "files.retrieve_content() is deprecated; use files.content()", DeprecationWarning, stacklevel=3
    )


class FilesHelpers:
    def wait_for_processing(
        self: _FilesHost, id: str, *, poll_interval: float = 5.0, max_wait_seconds: float = 1800
    ) -> FileObject:
        """Retrieve the file every ``poll_interval`` seconds until it is processed (or failed)."""
        start = time.monotonic()
        file = self.retrieve(id)
        while not _processing_done(file):
            if time.monotonic() - start > max_wait_seconds:
                raise _processing_timeout(id, time.monotonic() - start)
            time.sleep(poll_interval)
            file = self.retrieve(id)
        return file

    def retrieve_content(self: _FilesHost, file_id: str, **options: Any) -> str:
        """The file's content as text (deprecated in the official SDK: use ``content()``)."""
        _retrieve_content_deprecated()
        result: str = self._client.request(
            "GET", f"/files/{path_param('file_id', file_id)}/content", cast_to=str, options=options
        )
        return result


class AsyncFilesHelpers:
    async def wait_for_processing(
        self: _AsyncFilesHost, id: str, *, poll_interval: float = 5.0, max_wait_seconds: float = 1800
    ) -> FileObject:
        import asyncio

        start = time.monotonic()
        file = await self.retrieve(id)
        while not _processing_done(file):
            if time.monotonic() - start > max_wait_seconds:
                raise _processing_timeout(id, time.monotonic() - start)
            await asyncio.sleep(poll_interval)
            file = await self.retrieve(id)
        return file

    async def retrieve_content(self: _AsyncFilesHost, file_id: str, **options: Any) -> str:
        _retrieve_content_deprecated()
        result: str = await self._client.request(
            "GET", f"/files/{path_param('file_id', file_id)}/content", cast_to=str, options=options
        )
        return result


# -- uploads --------------------------------------------------------------------------------------------
def _upload_plan(
    file: os.PathLike[str] | bytes, filename: str | None, size: int | None, part_size: int | None
) -> tuple[str, int, int]:
    if isinstance(file, builtins.bytes):
        if filename is None:
            raise TypeError("upload_file_chunked(): filename= is required when file is bytes")
        total = len(file) if size is None else size
    else:
        filename = os.path.basename(os.fspath(file)) if filename is None else filename
        total = os.path.getsize(file) if size is None else size
    chunk = DEFAULT_PART_SIZE if part_size is None else part_size
    if chunk < 1:
        raise ValueError(f"part_size must be positive, not {part_size!r}")
    return filename, total, chunk


def _parts(file: os.PathLike[str] | bytes, chunk: int) -> Iterator[bytes]:
    if isinstance(file, builtins.bytes):
        for start in range(0, len(file), chunk):
            yield file[start : start + chunk]
        return
    with open(file, "rb") as f:
        while part := f.read(chunk):
            yield part


class UploadsHelpers(UploadsParallelMixin):
    def upload_file_chunked(
        self: _UploadsHost,
        *,
        file: os.PathLike[str] | bytes,
        mime_type: str,
        purpose: Any,
        filename: str | None = None,
        bytes: int | None = None,
        part_size: int | None = None,
        md5: str | NotGiven = NOT_GIVEN,
    ) -> Upload:
        """Upload a file of any size: an Upload, its parts one after the other, then ``complete``."""
        name, total, chunk = _upload_plan(file, filename, bytes, part_size)
        upload = self.create(bytes=total, filename=name, mime_type=mime_type, purpose=purpose)
        part_ids = [self.parts.create(upload.id, data=part).id for part in _parts(file, chunk)]
        return self.complete(upload.id, part_ids=part_ids, md5=md5)


class AsyncUploadsHelpers(AsyncUploadsParallelMixin):
    async def upload_file_chunked(
        self: _AsyncUploadsHost,
        *,
        file: os.PathLike[str] | bytes,
        mime_type: str,
        purpose: Any,
        filename: str | None = None,
        bytes: int | None = None,
        part_size: int | None = None,
        md5: str | NotGiven = NOT_GIVEN,
    ) -> Upload:
        name, total, chunk = _upload_plan(file, filename, bytes, part_size)
        upload = await self.create(bytes=total, filename=name, mime_type=mime_type, purpose=purpose)
        part_ids = [(await self.parts.create(upload.id, data=part)).id for part in _parts(file, chunk)]
        return await self.complete(upload.id, part_ids=part_ids, md5=md5)


# -- videos ---------------------------------------------------------------------------------------------
def _interval(poll_interval_ms: int | NotGiven | None) -> int | None:
    return None if isinstance(poll_interval_ms, NotGiven) else poll_interval_ms


class VideosHelpers:
    def poll(self: _VideosHost, video_id: str, *, poll_interval_ms: int | NotGiven = NOT_GIVEN) -> Video:
        """Retrieve the video until it is completed or failed."""
        _seconds(_interval(poll_interval_ms))
        return _wait(lambda: self.retrieve(video_id), _interval(poll_interval_ms))

    def create_and_poll(
        self: _VideosHost, *, poll_interval_ms: int | NotGiven = NOT_GIVEN, **params: Any
    ) -> Video:
        """``create`` (same parameters), then ``poll`` until the video is done."""
        video = self.create(**params)
        return self.poll(video.id, poll_interval_ms=poll_interval_ms)


class AsyncVideosHelpers:
    async def poll(
        self: _AsyncVideosHost, video_id: str, *, poll_interval_ms: int | NotGiven = NOT_GIVEN
    ) -> Video:
        _seconds(_interval(poll_interval_ms))
        return await _await(lambda: self.retrieve(video_id), _interval(poll_interval_ms))

    async def create_and_poll(
        self: _AsyncVideosHost, *, poll_interval_ms: int | NotGiven = NOT_GIVEN, **params: Any
    ) -> Video:
        video = await self.create(**params)
        return await self.poll(video.id, poll_interval_ms=poll_interval_ms)


# -- fine-tuning checkpoint permissions -----------------------------------------------------------------
def _permissions_query(after: Any, limit: Any, order: Any, project_id: Any) -> dict[str, object]:
    return {"after": after, "limit": limit, "order": order, "project_id": project_id}


def _retrieve_deprecated() -> None:
    warnings.warn(
        "permissions.retrieve() is deprecated; use the paginated permissions.list()",
        DeprecationWarning,
        stacklevel=3,
    )


class PermissionsHelpers:
    _client: OpenAI

    def retrieve(
        self,
        fine_tuned_model_checkpoint: str,
        *,
        after: str | NotGiven = NOT_GIVEN,
        limit: int | NotGiven = NOT_GIVEN,
        order: str | NotGiven = NOT_GIVEN,
        project_id: str | NotGiven = NOT_GIVEN,
        **options: Any,
    ) -> Any:
        """One page of the checkpoint's permissions as a model (deprecated: use ``list``)."""
        from ..types.fine_tuning import ListFineTuningCheckpointPermissionResponse

        _retrieve_deprecated()
        path = f"/fine_tuning/checkpoints/{path_param('fine_tuned_model_checkpoint', fine_tuned_model_checkpoint)}"
        return self._client.request(
            "GET",
            path + "/permissions",
            query=_permissions_query(after, limit, order, project_id),
            cast_to=ListFineTuningCheckpointPermissionResponse,
            options=options,
        )


class AsyncPermissionsHelpers:
    _client: AsyncOpenAI

    async def retrieve(
        self,
        fine_tuned_model_checkpoint: str,
        *,
        after: str | NotGiven = NOT_GIVEN,
        limit: int | NotGiven = NOT_GIVEN,
        order: str | NotGiven = NOT_GIVEN,
        project_id: str | NotGiven = NOT_GIVEN,
        **options: Any,
    ) -> Any:
        from ..types.fine_tuning import ListFineTuningCheckpointPermissionResponse

        _retrieve_deprecated()
        path = f"/fine_tuning/checkpoints/{path_param('fine_tuned_model_checkpoint', fine_tuned_model_checkpoint)}"
        return await self._client.request(
            "GET",
            path + "/permissions",
            query=_permissions_query(after, limit, order, project_id),
            cast_to=ListFineTuningCheckpointPermissionResponse,
            options=options,
        )


# -- beta.chat --------------------------------------------------------------------------------------------
class _BetaChat:
    """``client.beta.chat``: ``completions`` is ``client.chat.completions`` (``parse``, ``stream``...)."""

    def __init__(self, client: Any) -> None:
        self._client = client

    @property
    def completions(self) -> Any:
        return self._client.chat.completions


class BetaChatMixin:
    _client: OpenAI

    @property
    def chat(self) -> Any:
        """The official SDK's former home of ``chat.completions.parse`` / ``stream`` (same objects)."""
        return _BetaChat(self._client)


class AsyncBetaChatMixin:
    _client: AsyncOpenAI

    @property
    def chat(self) -> Any:
        return _BetaChat(self._client)


if TYPE_CHECKING:

    def _hosts(
        files: Files, afiles: AsyncFiles, videos: Videos, avideos: AsyncVideos
    ) -> tuple[_FilesHost, _AsyncFilesHost, _VideosHost, _AsyncVideosHost]:
        """Never called: mypy checks here that each generated class is the host its mixin expects."""
        return files, afiles, videos, avideos
