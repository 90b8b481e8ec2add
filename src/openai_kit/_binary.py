"""Binary response bodies (speech, file content, video content...), streamed.

``write_to_file(path)`` writes to a temporary file beside ``path`` and renames it into place only when
the whole body has arrived, so a failed download never leaves a half-written file behind. ``path`` may be
a directory: the file is named from ``Content-Disposition``, else from the id in the URL
(``/files/{id}/content``), with an extension from the content type. ``save(path)`` does the same and
returns the path written.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import re
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

from ._transports._base import Response

__all__ = ["AsyncBinaryResponse", "BinaryResponse"]


def _temp_beside(path: str) -> tuple[int, str]:
    directory = os.path.dirname(os.path.abspath(path))
    return tempfile.mkstemp(prefix=".openai-kit-", suffix=".part", dir=directory)


_UNSAFE = re.compile(r"[^\w.\- ]+")


def safe_filename(name: str) -> str:
    """``name`` reduced to a plain file name: no directories, no leading dots, no odd characters."""
    name = _UNSAFE.sub("_", name.replace("\\", "/").rsplit("/", 1)[-1]).strip(" .")
    return name[:200]


def _disposition_name(value: str | None) -> str | None:
    if not value:
        return None
    from email.message import Message

    msg = Message()
    msg["content-disposition"] = value
    name = msg.get_filename()
    return safe_filename(name) if name else None


def _name_from(response: Response) -> str:
    """A file name for a body saved into a directory."""
    name = _disposition_name(response.headers.get("content-disposition"))
    if name:
        return name
    import mimetypes
    from urllib.parse import unquote, urlsplit

    segments = [unquote(p) for p in urlsplit(str(response.request.url)).path.split("/") if p]
    if segments and segments[-1] == "content" and len(segments) > 1:
        segments.pop()  # /files/{id}/content -> the id
    stem = safe_filename(segments[-1]) if segments else ""
    ctype = (response.headers.get("content-type") or "").split(";")[0].strip()
    ext = mimetypes.guess_extension(ctype) if ctype else None
    if ctype in ("application/jsonl", "application/x-ndjson"):
        ext = ".jsonl"
    return (stem or "download") + (ext if ext and not stem.endswith(ext) else "")


def resolve_target(path: str | os.PathLike[str], response: Response) -> str:
    """``path``, or a file in it named after the response when it is a directory (an existing one, or a
    path ending in a separator, which is created)."""
    target = os.fspath(path)
    if target.endswith(("/", os.sep)) and not os.path.isdir(target):
        os.makedirs(target, exist_ok=True)
    if os.path.isdir(target):
        return os.path.join(target, _name_from(response))
    return target


@contextlib.contextmanager
def atomic_file(target: str) -> Iterator[BinaryIO]:
    """A temporary file beside ``target`` that is renamed into place when the block ends without an
    error, and removed otherwise: never a half-written ``target``."""
    fd, tmp = _temp_beside(target)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise


def write_atomically(target: str, chunks: Iterator[bytes]) -> int:
    """Write ``chunks`` to ``target`` through :func:`atomic_file`; returns the bytes written."""
    written = 0
    with atomic_file(target) as f:
        for chunk in chunks:
            f.write(chunk)
            written += len(chunk)
    return written


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


class LineSplitter:
    """Whole lines (without their ending) from text chunks split anywhere: ``feed`` each chunk, then
    ``end``. Only ``\n``, ``\r`` and ``\r\n`` end a line (not the other separators of
    ``str.splitlines``, which JSON text may hold), and a ``\r\n`` split across two chunks is one ending.
    Sync and async readers of binary and raw responses share it."""

    __slots__ = ("pending",)

    def __init__(self) -> None:
        self.pending = ""

    def feed(self, chunk: str) -> list[str]:
        pending = self.pending + chunk
        end = len(pending) - 1 if pending.endswith("\r") else len(pending)  # "\r" may start a "\r\n"
        start = 0
        lines = []
        for m in _NEWLINE.finditer(pending, 0, end):
            lines.append(pending[start : m.start()])
            start = m.end()
        self.pending = pending[start:]
        return lines

    def end(self) -> list[str]:
        pending, self.pending = self.pending, ""
        return [pending.removesuffix("\r")] if pending else []


def _lines(chunks: Iterator[str]) -> Iterator[str]:
    splitter = LineSplitter()
    for chunk in chunks:
        yield from splitter.feed(chunk)
    yield from splitter.end()


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
        """Stream the body to ``path`` (a file, or a directory to save into); returns the bytes written."""
        return write_atomically(resolve_target(path, self.response), self.iter_bytes())

    def save(self, path: str | os.PathLike[str] = ".") -> Path:
        """Like :meth:`write_to_file`, returning the path written (useful when ``path`` is a directory)."""
        target = resolve_target(path, self.response)
        write_atomically(target, self.iter_bytes())
        return Path(target)

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

    async def save(self, path: str | os.PathLike[str] = ".") -> Path:
        target = resolve_target(path, self.response)
        await self._write(target)
        return Path(target)

    async def write_to_file(self, path: str | os.PathLike[str]) -> int:
        return await self._write(resolve_target(path, self.response))

    async def _write(self, target: str) -> int:
        written = 0
        with atomic_file(target) as f:
            async for chunk in self.iter_bytes():
                f.write(chunk)
                written += len(chunk)
        return written

    async def close(self) -> None:
        await self.response.aclose()

    async def __aenter__(self) -> AsyncBinaryResponse:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
