"""Binary response bodies (speech, file content, video content...), streamed.

``write_to_file(path)`` writes to a temporary file beside ``path`` and renames it into place only when
the whole body has arrived, so a failed download never leaves a half-written file behind.
"""

from __future__ import annotations

import codecs
import os
import re
import tempfile
from collections.abc import AsyncIterator, Iterator
from types import TracebackType
from typing import Any

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

    @property
    def charset_encoding(self) -> str | None:
        """The ``charset`` of the content type, if any."""
        for part in (self.content_type or "").split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                return value.strip('"')
        return None

    @property
    def encoding(self) -> str:
        return self.charset_encoding or "utf-8"


_NEWLINE = re.compile(r"\r\n|\r|\n")


def _lines(chunks: Iterator[str]) -> Iterator[str]:
    """Whole lines (without their ending) from text chunks split anywhere. Only ``\\n``, ``\\r`` and
    ``\\r\\n`` end a line (not the other separators of ``str.splitlines``, which JSON text may hold), and a
    ``\\r\\n`` split across two chunks is one ending."""
    pending = ""
    for chunk in chunks:
        pending += chunk
        end = len(pending) - 1 if pending.endswith("\r") else len(pending)  # "\r" may start a "\r\n"
        start = 0
        for m in _NEWLINE.finditer(pending, 0, end):
            yield pending[start : m.start()]
            start = m.end()
        pending = pending[start:]
    if pending:
        yield pending.removesuffix("\r")


class BinaryResponse(_BinaryBase):
    def read(self) -> bytes:
        return self.response.read()

    @property
    def content(self) -> bytes:
        return self.read()

    @property
    def text(self) -> str:
        return self.read().decode(self.encoding, "replace")

    def json(self) -> Any:
        import orjson

        return orjson.loads(self.read())

    def iter_bytes(self, chunk_size: int | None = None) -> Iterator[bytes]:
        """The body as it arrives (``chunk_size`` is accepted for compatibility; chunks are as received)."""
        del chunk_size
        try:
            yield from self.response.iter_bytes()
        finally:
            self.response.close()

    def iter_text(self, chunk_size: int | None = None) -> Iterator[str]:
        decoder = codecs.getincrementaldecoder(self.encoding)("replace")
        for chunk in self.iter_bytes(chunk_size):
            text = decoder.decode(chunk)
            if text:
                yield text
        text = decoder.decode(b"", final=True)
        if text:
            yield text

    def iter_lines(self) -> Iterator[str]:
        return _lines(self.iter_text())

    def stream_to_file(self, file: str | os.PathLike[str], *, chunk_size: int | None = None) -> int:
        """The official SDK's name for :meth:`write_to_file`."""
        del chunk_size
        return self.write_to_file(file)

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

    # the official SDK's async spellings
    def json(self) -> Any:
        """The body parsed as JSON. Once the body is read (``await read()``) this is a plain call, as on
        the official SDK's binary content; before that it returns an awaitable that reads it first."""
        import orjson

        content = self.response.content
        if content is not None:
            return orjson.loads(content)

        async def read_then_parse() -> Any:
            return orjson.loads(await self.read())

        return read_then_parse()

    async def aread(self) -> bytes:
        return await self.read()

    def aiter_bytes(self, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        del chunk_size
        return self.iter_bytes()

    async def aiter_text(self, chunk_size: int | None = None) -> AsyncIterator[str]:
        decoder = codecs.getincrementaldecoder(self.encoding)("replace")
        async for chunk in self.iter_bytes():
            text = decoder.decode(chunk)
            if text:
                yield text
        text = decoder.decode(b"", final=True)
        if text:
            yield text

    async def astream_to_file(self, file: str | os.PathLike[str], *, chunk_size: int | None = None) -> int:
        del chunk_size
        return await self.write_to_file(file)

    async def aclose(self) -> None:
        await self.close()

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
