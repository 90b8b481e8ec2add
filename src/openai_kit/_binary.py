"""Binary response bodies (speech, file content, video content...), streamed.

``write_to_file(path)`` writes to a temporary file beside ``path`` and renames it into place only when
the whole body has arrived, so a failed download never leaves a half-written file behind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from types import TracebackType

from ._transports._base import Response

__all__ = ["AsyncBinaryResponse", "BinaryResponse"]


def _temp_beside(path: str) -> tuple[int, str]:
    directory = os.path.dirname(os.path.abspath(path))
    return tempfile.mkstemp(prefix=".openai-kit-", suffix=".part", dir=directory)


class _BinaryBase:
    def __init__(self, response: Response) -> None:
        self.response = response

    @property
    def headers(self) -> object:
        return self.response.headers

    @property
    def status_code(self) -> int:
        return self.response.status_code

    @property
    def content_type(self) -> str | None:
        return self.response.headers.get("content-type")


class BinaryResponse(_BinaryBase):
    def read(self) -> bytes:
        return self.response.read()

    @property
    def content(self) -> bytes:
        return self.read()

    def iter_bytes(self) -> Iterator[bytes]:
        try:
            yield from self.response.iter_bytes()
        finally:
            self.response.close()

    def write_to_file(self, path: str | os.PathLike[str]) -> int:
        """Stream the body to ``path``; returns the number of bytes written."""
        target = os.fspath(path)
        fd, tmp = _temp_beside(target)
        written = 0
        try:
            with os.fdopen(fd, "wb") as f:
                for chunk in self.iter_bytes():
                    f.write(chunk)
                    written += len(chunk)
            os.replace(tmp, target)
        except BaseException:
            os.unlink(tmp)
            raise
        return written

    def close(self) -> None:
        self.response.close()

    def __enter__(self) -> BinaryResponse:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncBinaryResponse(_BinaryBase):
    async def read(self) -> bytes:
        return await self.response.aread()

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self.response.aiter_bytes():
                yield chunk
        finally:
            await self.response.aclose()

    async def write_to_file(self, path: str | os.PathLike[str]) -> int:
        target = os.fspath(path)
        fd, tmp = _temp_beside(target)
        written = 0
        try:
            with os.fdopen(fd, "wb") as f:
                async for chunk in self.iter_bytes():
                    f.write(chunk)
                    written += len(chunk)
            os.replace(tmp, target)
        except BaseException:
            os.unlink(tmp)
            raise
        return written

    async def close(self) -> None:
        await self.response.aclose()

    async def __aenter__(self) -> AsyncBinaryResponse:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
