"""A streaming, replayable ``multipart/form-data`` encoder.

Files are read in chunks while the request is sent, so memory does not grow with file size. The total
length is computed up front from file sizes, so the body carries a ``Content-Length`` and can be sent
again on retry (each iteration reopens or rewinds its sources). A non-seekable file object can be sent
once only (chunked), and such a request is not retried.
"""

from __future__ import annotations

import mimetypes
import os
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, cast

import orjson

from ._types import FileTypes

__all__ = ["MultipartBody", "encode_multipart", "file_from_path"]

_CHUNK = 1024 * 1024


class _FilePart:
    __slots__ = ("fileobj", "path", "size", "start")

    def __init__(self, path: str | None, fileobj: IO[bytes] | None) -> None:
        self.path = path
        self.fileobj = fileobj
        self.start = 0
        self.size: int | None
        if path is not None:
            self.size = os.stat(path).st_size
        else:
            assert fileobj is not None
            try:
                self.start = fileobj.tell()
                end = fileobj.seek(0, os.SEEK_END)
                fileobj.seek(self.start)
                self.size = end - self.start
            except (OSError, AttributeError, ValueError):
                self.size = None

    def chunks(self) -> Iterator[bytes]:
        if self.path is not None:
            with open(self.path, "rb") as disk:
                while chunk := disk.read(_CHUNK):
                    yield chunk
            return
        f = self.fileobj
        assert f is not None
        if self.size is not None:
            f.seek(self.start)
        while chunk := f.read(_CHUNK):
            yield chunk


class MultipartBody:
    """Iterate it (sync or async) to get the encoded body."""

    def __init__(self, parts: list[tuple[bytes, bytes | _FilePart]], boundary: str) -> None:
        self.boundary = boundary
        self._parts = parts
        self._closing = f"--{boundary}--\r\n".encode()
        total: int | None = len(self._closing)
        for head, payload in parts:
            size = len(payload) if isinstance(payload, bytes) else payload.size
            if size is None or total is None:
                total = None
            else:
                total += len(head) + size + 2
        #: the body length, or None when a non-seekable file makes it unknown
        self.length = total

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    @property
    def replayable(self) -> bool:
        return self.length is not None

    def __iter__(self) -> Iterator[bytes]:
        for head, payload in self._parts:
            if isinstance(payload, bytes):
                yield head + payload + b"\r\n"
            else:
                yield head
                yield from payload.chunks()
                yield b"\r\n"
        yield self._closing

    async def __aiter__(self) -> AsyncIterator[bytes]:
        # File reads go to a worker thread so a slow disk never blocks the event loop.
        import asyncio

        it = iter(self)
        sentinel = b""
        while True:
            chunk = await asyncio.to_thread(next, it, sentinel)
            if chunk is sentinel:
                return
            yield chunk


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def _field_values(name: str, value: object) -> Iterator[tuple[str, str]]:
    if value is None:
        return
    if isinstance(value, bool):
        yield name, "true" if value else "false"
    elif isinstance(value, (str, int, float)):
        yield name, str(value)
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from _field_values(f"{name}[{k}]", v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            if isinstance(v, Mapping):
                yield f"{name}[]", orjson.dumps(v).decode()
            else:
                yield from _field_values(f"{name}[]", v)
    else:
        yield name, orjson.dumps(value).decode()


def _file_part(value: Any, field: str) -> tuple[str, str, bytes | _FilePart]:
    filename: str | None = None
    content_type: str | None = None
    if isinstance(value, tuple):
        if len(value) == 2:
            filename, value = value
        elif len(value) == 3:
            filename, value, content_type = value
        else:
            raise TypeError(f"file field {field!r}: expected (filename, content[, content_type])")
    payload: bytes | _FilePart
    if isinstance(value, (bytes, bytearray, memoryview)):
        payload = bytes(value)
        filename = filename or field
    elif isinstance(value, (str, os.PathLike)):
        path = os.fspath(value)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"file field {field!r}: no such file: {path}")
        payload = _FilePart(path, None)
        filename = filename or os.path.basename(path)
    elif hasattr(value, "read"):
        payload = _FilePart(None, cast(IO[bytes], value))
        name = getattr(value, "name", None)
        filename = filename or (os.path.basename(name) if isinstance(name, str) else field)
    else:
        raise TypeError(
            f"file field {field!r}: expected a path, bytes or a binary file object, not {type(value).__name__}"
        )
    if content_type is None:
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return filename, content_type, payload


def encode_multipart(
    fields: Mapping[str, object],
    files: Mapping[str, FileTypes | Sequence[FileTypes]],
    boundary: str | None = None,
) -> MultipartBody:
    boundary = boundary or uuid.uuid4().hex
    parts: list[tuple[bytes, bytes | _FilePart]] = []
    sep = f"--{boundary}\r\n"
    for key, value in fields.items():
        for name, text in _field_values(key, value):
            head = f'{sep}Content-Disposition: form-data; name="{_quote(name)}"\r\n\r\n'
            parts.append((head.encode(), text.encode()))
    for key, value in files.items():
        items = value if isinstance(value, list) else [value]
        name = f"{key}[]" if isinstance(value, list) and not key.endswith("[]") else key
        for item in items:
            filename, content_type, payload = _file_part(item, key)
            head = (
                f'{sep}Content-Disposition: form-data; name="{_quote(name)}"; '
                f'filename="{_quote(filename)}"\r\nContent-Type: {content_type}\r\n\r\n'
            )
            parts.append((head.encode(), payload))
    return MultipartBody(parts, boundary)


def file_from_path(path: str | os.PathLike[str]) -> Path:
    """A file argument for any upload (the official SDK's helper); openai-kit streams it from disk."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"file_from_path: no such file: {p}")
    return p
