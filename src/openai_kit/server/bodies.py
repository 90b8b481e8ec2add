"""Reading request bodies without ever holding more than the configured limit in memory.

JSON bodies are read chunk by chunk and refused (413) as soon as they pass ``max_body_bytes``.
Multipart uploads are parsed as they arrive and file parts are written straight to disk.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

try:
    from python_multipart.multipart import MultipartParser, parse_options_header
except ImportError:  # pragma: no cover - python-multipart < 0.0.13 names its module ``multipart``
    from multipart.multipart import MultipartParser, parse_options_header  # type: ignore[no-redef,import-untyped,import-not-found,unused-ignore]
from starlette.requests import Request

from . import limits
from .errors import RequestError

_INLINE_PARSE_BYTES = 1024 * 1024


def too_large(limit: int) -> RequestError:
    return RequestError(413, f"Request body too large: the limit is {limit} bytes.", code="request_too_large")


async def limited_stream(request: Request, limit: int) -> AsyncIterator[bytes]:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large(limit)
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise too_large(limit)
        yield chunk


async def read_json(request: Request, limit: int, *, allow_empty: bool = False) -> dict[str, Any]:
    parts = [chunk async for chunk in limited_stream(request, limit)]
    raw = b"".join(parts)
    if not raw.strip() and allow_empty:
        return {}
    if not raw.strip():
        raise RequestError(
            400, "We could not parse the JSON body of your request: the body is empty.", code=None
        )
    if len(raw) > _INLINE_PARSE_BYTES:  # a big body is parsed and checked off the event loop
        return await asyncio.to_thread(parse_json, raw)
    return parse_json(raw)


def parse_json(raw: bytes) -> dict[str, Any]:
    """A JSON object no deeper than ``limits.MAX_BODY_DEPTH``, or a 400."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if "depth limit" in str(exc):
            raise _too_deep(None) from None
        raise RequestError(
            400, "We could not parse the JSON body of your request. The body must be valid JSON."
        ) from None
    if not isinstance(body, dict):
        raise RequestError(400, "The JSON body of your request must be an object.")
    if not limits.within_depth(body, limits.MAX_BODY_DEPTH, raw):
        raise _too_deep(limits.too_deep_at(body, limits.MAX_BODY_DEPTH) or None)
    result: dict[str, Any] = body
    return result


def _too_deep(param: str | None) -> RequestError:
    where = f"'{param}' " if param else "The request body "
    return RequestError(
        400,
        f"Invalid request: {where}nests deeper than {limits.MAX_BODY_DEPTH} levels.",
        param=param,
        code="nesting_too_deep",
    )


@dataclass
class UploadedFile:
    filename: str
    content_type: str
    path: Path
    size: int = 0


@dataclass
class MultipartForm:
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, UploadedFile] = field(default_factory=dict)
    #: every file part in arrival order with its field name (a field such as ``image[]`` may repeat)
    file_parts: list[tuple[str, UploadedFile]] = field(default_factory=list)
    #: every plain field in arrival order (``timestamp_granularities[]`` may repeat; ``fields`` keeps the last)
    field_parts: list[tuple[str, str]] = field(default_factory=list)


async def read_multipart(
    request: Request, limit: int, file_dest: Path, *, max_files: int = 1
) -> MultipartForm:
    """Parse a multipart body; the first file part is streamed into ``file_dest``, any further ones
    (up to ``max_files``) next to it as ``<file_dest>.1``, ``.2``, ..."""
    ctype, opts = parse_options_header(request.headers.get("content-type", ""))
    if ctype != b"multipart/form-data" or b"boundary" not in opts:
        raise RequestError(
            400, "Expected a multipart/form-data body with a boundary.", code="invalid_content_type"
        )
    if not 1 <= len(opts[b"boundary"]) <= 70:  # RFC 2046; python-multipart raises past 256
        raise RequestError(
            400,
            f"Invalid multipart boundary: expected 1 to 70 characters, got {len(opts[b'boundary'])}.",
            code="invalid_content_type",
        )
    form = MultipartForm()
    state: dict[str, Any] = {"name": "", "filename": None, "ctype": "", "buf": bytearray(), "fh": None}
    header_field = bytearray()
    header_value = bytearray()
    headers: dict[bytes, bytes] = {}

    def on_part_begin() -> None:
        headers.clear()
        state.update(name="", filename=None, ctype="", buf=bytearray(), fh=None)

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_field.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        headers[bytes(header_field).lower()] = bytes(header_value)
        header_field.clear()
        header_value.clear()

    def on_headers_finished() -> None:
        _, disp = parse_options_header(headers.get(b"content-disposition", b""))
        state["name"] = disp.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" in disp:
            if len(form.file_parts) >= max_files:
                raise RequestError(
                    400,
                    "Only one file may be uploaded per request."
                    if max_files == 1
                    else f"At most {max_files} files may be uploaded per request.",
                    param=state["name"],
                )
            state["filename"] = disp[b"filename"].decode("utf-8", "replace")
            state["ctype"] = headers.get(b"content-type", b"application/octet-stream").decode("latin-1")
            n = len(form.file_parts)
            dest = file_dest if n == 0 else file_dest.with_name(f"{file_dest.name}.{n}")
            state["fh"] = open(dest, "wb")  # noqa: SIM115 - closed in on_part_end / finally
            uploaded = UploadedFile(state["filename"], state["ctype"], dest)
            form.files.setdefault(state["name"], uploaded)
            form.file_parts.append((state["name"], uploaded))

    def on_part_data(data: bytes, start: int, end: int) -> None:
        fh: IO[bytes] | None = state["fh"]
        if fh is not None:
            fh.write(data[start:end])
            form.file_parts[-1][1].size += end - start
        else:
            buf: bytearray = state["buf"]
            buf.extend(data[start:end])
            if len(buf) > 1024 * 1024:
                raise RequestError(400, f"Form field '{state['name']}' is too long.", param=state["name"])

    def on_part_end() -> None:
        fh: IO[bytes] | None = state["fh"]
        if fh is not None:
            fh.close()
            state["fh"] = None
        else:
            form.fields[state["name"]] = bytes(state["buf"]).decode("utf-8", "replace")
            form.field_parts.append((state["name"], form.fields[state["name"]]))

    parser = MultipartParser(
        opts[b"boundary"],
        {
            "on_part_begin": on_part_begin,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
        },
    )
    try:
        async for chunk in limited_stream(request, limit):
            parser.write(chunk)
        parser.finalize()
    except RequestError:
        _remove(file_dest, form)
        raise
    except Exception as exc:
        _remove(file_dest, form)
        raise RequestError(400, f"Malformed multipart body: {exc}.") from None
    finally:
        fh = state["fh"]
        if fh is not None:
            with contextlib.suppress(OSError):
                fh.close()
    return form


def _remove(file_dest: Path, form: MultipartForm) -> None:
    file_dest.unlink(missing_ok=True)
    for _, uploaded in form.file_parts:
        uploaded.path.unlink(missing_ok=True)
