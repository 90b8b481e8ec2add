"""``/uploads``: create, add parts (streamed to disk), complete into a file, cancel."""

from __future__ import annotations

import shutil
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import filestore
from ..bodies import read_multipart
from ..errors import RequestError, invalid, missing, not_found
from ..ids import new_id, now
from ..params import opt_list, opt_str, req_str
from ..state import ServerState, json_body, ok, state_of

KIND = "upload"
PART_KIND = "upload_part"
MAX_UPLOAD_BYTES = 8 * 1024 * 1024 * 1024


async def create(request: Request) -> Response:
    state = state_of(request)
    body = await json_body(request)
    filename = req_str(body, "filename")
    purpose = req_str(body, "purpose")
    if purpose not in filestore.UPLOAD_PURPOSES:
        raise invalid("purpose", f"Invalid value: '{purpose}'.", code="invalid_value")
    size = body.get("bytes")
    if size is None:
        raise missing("bytes")
    if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= MAX_UPLOAD_BYTES:
        raise invalid("bytes", "Invalid 'bytes': expected a non-negative integer of at most 8 GB.")
    req_str(body, "mime_type")
    created = now()
    obj = {
        "id": new_id("upload_"),
        "object": "upload",
        "bytes": size,
        "created_at": created,
        "filename": filename,
        "purpose": purpose,
        "status": "pending",
        "expires_at": created + 3600,
        "file": None,
    }
    return ok(state.store.insert(KIND, obj))


def _require_pending(state: ServerState, upload_id: str) -> dict[str, Any]:
    obj = state.store.get(KIND, upload_id)
    if obj is None:
        raise not_found("upload", upload_id, "upload_id")
    if obj["status"] != "pending":
        raise RequestError(400, f"Upload {upload_id} is already {obj['status']}.", param="upload_id")
    return obj


async def add_part(request: Request) -> Response:
    state = state_of(request)
    upload_id = request.path_params["upload_id"]
    _require_pending(state, upload_id)
    part_id = new_id("part_")
    dest = state.store.blob_path(part_id)
    limit = min(state.settings.max_upload_bytes, 64 * 1024 * 1024 + 64 * 1024)
    form = await read_multipart(request, limit, dest)
    if "data" not in form.files:
        dest.unlink(missing_ok=True)
        raise missing("data")
    part = {
        "id": part_id,
        "object": "upload.part",
        "created_at": now(),
        "upload_id": upload_id,
        "_bytes": form.files["data"].size,
    }
    state.store.insert(PART_KIND, part, parent=upload_id)
    return ok({k: v for k, v in part.items() if not k.startswith("_")})


async def complete(request: Request) -> Response:
    state = state_of(request)
    upload_id = request.path_params["upload_id"]
    body = await json_body(request)
    part_ids = opt_list(body, "part_ids")
    if part_ids is None:
        raise missing("part_ids")
    opt_str(body, "md5")
    upload = _require_pending(state, upload_id)
    parts = {p["id"]: p for p in state.store.list(PART_KIND, parent=upload_id)}
    for i, pid in enumerate(part_ids):
        if not isinstance(pid, str):
            raise invalid(
                f"part_ids[{i}]", f"Invalid type for 'part_ids[{i}]': expected a string.", code="invalid_type"
            )
        if pid not in parts:
            raise invalid(
                f"part_ids[{i}]", f"Invalid 'part_ids[{i}]': no part '{pid}' in upload {upload_id}."
            )
    total = sum(parts[pid]["_bytes"] for pid in part_ids)
    if total != upload["bytes"]:
        raise invalid(
            "part_ids",
            f"The parts add up to {total} bytes, but the upload was created with {upload['bytes']} bytes.",
        )
    file_id = filestore.new_file_id()
    with filestore.blob(state, file_id).open("wb") as out:
        for pid in part_ids:
            with state.store.blob_path(pid).open("rb") as src:
                shutil.copyfileobj(src, out, 1024 * 1024)
    file_obj = filestore.register(state, file_id, upload["filename"], upload["purpose"], total)
    for pid in parts:
        state.store.blob_path(pid).unlink(missing_ok=True)
    state.store.delete_children(PART_KIND, upload_id)

    def mark(doc: dict[str, Any]) -> None:
        doc.update(status="completed", file=file_obj)

    return ok(state.store.update(KIND, upload_id, mark))


async def cancel(request: Request) -> Response:
    state = state_of(request)
    upload_id = request.path_params["upload_id"]
    _require_pending(state, upload_id)
    for part in state.store.list(PART_KIND, parent=upload_id):
        state.store.blob_path(part["id"]).unlink(missing_ok=True)
    state.store.delete_children(PART_KIND, upload_id)
    return ok(state.store.update(KIND, upload_id, lambda d: d.__setitem__("status", "cancelled")))


ROUTES = [
    Route("/uploads", create, methods=["POST"]),
    Route("/uploads/{upload_id}/parts", add_part, methods=["POST"]),
    Route("/uploads/{upload_id}/complete", complete, methods=["POST"]),
    Route("/uploads/{upload_id}/cancel", cancel, methods=["POST"]),
]
