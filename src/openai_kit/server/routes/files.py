"""``/files``: upload (streamed to disk), list with pagination, retrieve, delete and content."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from .. import filestore
from ..bodies import read_multipart
from ..errors import invalid, missing
from ..ids import now
from ..pagination import paginate
from ..state import ok, state_of


async def upload(request: Request) -> Response:
    state = state_of(request)
    file_id = filestore.new_file_id()
    dest = filestore.blob(state, file_id)
    form = await read_multipart(request, state.settings.max_upload_bytes, dest)
    try:
        uploaded = form.files.get("file")
        if uploaded is None:
            raise missing("file")
        purpose = form.fields.get("purpose")
        if not purpose:
            raise missing("purpose")
        if purpose not in filestore.UPLOAD_PURPOSES:
            raise invalid(
                "purpose",
                f"Invalid value: '{purpose}'. Supported values are: "
                + ", ".join(f"'{p}'" for p in filestore.UPLOAD_PURPOSES)
                + ".",
                code="invalid_value",
            )
        expires_at = None
        seconds = form.fields.get("expires_after[seconds]")
        if seconds is not None:
            if not seconds.isdigit() or not 3600 <= int(seconds) <= 2592000:
                raise invalid(
                    "expires_after.seconds",
                    "Invalid 'expires_after.seconds': expected an integer between 3600 and 2592000.",
                )
            expires_at = now() + int(seconds)
    except Exception:
        dest.unlink(missing_ok=True)
        raise
    obj = filestore.register(
        state, file_id, uploaded.filename or "upload", purpose, uploaded.size, expires_at
    )
    return ok(obj)


async def list_files(request: Request) -> Response:
    state = state_of(request)
    items = state.store.list(filestore.KIND)
    purpose = request.query_params.get("purpose")
    if purpose:
        items = [f for f in items if f["purpose"] == purpose]
    return ok(
        paginate(items, request.query_params, default_order="desc", max_limit=10000, default_limit=10000)
    )


async def content(request: Request) -> Response:
    state = state_of(request)
    file_id = request.path_params["file_id"]
    obj = filestore.FILES.require(state, request.path_params)
    return FileResponse(
        filestore.blob(state, file_id), media_type="application/octet-stream", filename=obj["filename"]
    )


ROUTES = [
    Route("/files", upload, methods=["POST"]),
    Route("/files", list_files, methods=["GET"]),
    Route("/files/{file_id}", filestore.FILES.retrieve, methods=["GET"]),
    Route("/files/{file_id}", filestore.FILES.delete, methods=["DELETE"]),
    Route("/files/{file_id}/content", content, methods=["GET"]),
]
