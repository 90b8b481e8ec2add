"""``/containers``: containers and the files in them (``/mnt/data/<name>``), uploaded or copied from
``/files``, with their bytes served by ``.../content``. A container is ``running`` until it has been
inactive (no request touching it) for its ``expires_after.minutes``, then ``expired``: its files stay
readable, new files are refused."""

from __future__ import annotations

import posixpath
import shutil
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from .. import filestore
from ..bodies import read_multipart
from ..crud import Stored
from ..errors import RequestError, invalid, missing
from ..ids import new_id, now
from ..pagination import paginate
from ..params import opt_dict, opt_enum, opt_int, opt_list, opt_str, req_str
from ..state import ServerState, json_body, ok, state_of

Doc = dict[str, Any]

KIND = "container"
FILE_KIND = "container_file"
SKILL_KIND = "skill"  # routes/skills.py
MEMORY_LIMITS = ("1g", "4g", "16g", "64g")
DEFAULT_MINUTES = 20
DATA_DIR = "/mnt/data"


def _view(state: ServerState, doc: Doc) -> Doc:
    out = {k: v for k, v in doc.items() if k != "skills"}
    minutes = doc["expires_after"]["minutes"]
    if doc["status"] == "running" and now() - doc["last_active_at"] > minutes * 60:
        out["status"] = "expired"
    return out


def _file_blob(state: ServerState, file_id: str) -> Any:
    return state.store.blob_path(f"container-{file_id}")


CONTAINERS = Stored(KIND, "container", "container_id", deleted="container.deleted", view=_view)
FILES = Stored(
    FILE_KIND,
    "container file",
    "file_id",
    deleted="container.file.deleted",
    parent=CONTAINERS,
    parent_field="container_id",
    on_delete=lambda state, p: _file_blob(state, p["file_id"]).unlink(missing_ok=True),
)


def _skills(state: ServerState, value: Any) -> list[Doc]:
    skills = opt_list({"skills": value}, "skills", max_items=64) or []
    out = []
    for i, skill in enumerate(skills):
        path = f"skills[{i}]"
        if not isinstance(skill, dict):
            raise invalid(path, f"Invalid type for '{path}': expected an object.", code="invalid_type")
        kind = opt_enum(skill, "type", ("skill_reference", "inline"), path=f"{path}.type")
        if kind is None:
            raise missing(f"{path}.type")
        if kind == "skill_reference":
            skill_id = req_str(skill, "skill_id", path=f"{path}.skill_id")
            if state.store.get(SKILL_KIND, skill_id) is None:
                raise invalid(f"{path}.skill_id", f"No skill found with id '{skill_id}'.", code="not_found")
            out.append(
                {
                    "type": kind,
                    "skill_id": skill_id,
                    "version": opt_str(skill, "version", path=f"{path}.version"),
                }
            )
        else:
            name = req_str(skill, "name", path=f"{path}.name")
            req_str(skill, "description", path=f"{path}.description")
            source = opt_dict(skill, "source", path=f"{path}.source")
            if source is None:
                raise missing(f"{path}.source")
            req_str(source, "data", path=f"{path}.source.data")
            out.append({"type": kind, "name": name})
    return out


def _network_policy(value: Any) -> Doc | None:
    policy = opt_dict({"network_policy": value}, "network_policy")
    if policy is None:
        return None
    kind = opt_enum(policy, "type", ("disabled", "allowlist"), path="network_policy.type")
    if kind is None:
        raise missing("network_policy.type")
    if kind == "disabled":
        return {"type": kind}
    domains = opt_list(policy, "allowed_domains", path="network_policy.allowed_domains")
    if not domains:
        raise missing("network_policy.allowed_domains")
    for i, domain in enumerate(domains):
        if not isinstance(domain, str) or not domain:
            raise invalid(
                f"network_policy.allowed_domains[{i}]",
                f"Invalid 'network_policy.allowed_domains[{i}]': expected a domain name.",
                code="invalid_type",
            )
    return {"type": kind, "allowed_domains": list(domains)}


async def create(request: Request) -> Response:
    state = state_of(request)
    body = await json_body(request)
    name = req_str(body, "name")
    expires = opt_dict(body, "expires_after")
    minutes = DEFAULT_MINUTES
    if expires is not None:
        if opt_enum(expires, "anchor", ("last_active_at",), path="expires_after.anchor") is None:
            raise missing("expires_after.anchor")
        given = opt_int(expires, "minutes", lo=1, hi=10080, path="expires_after.minutes")
        if given is None:
            raise missing("expires_after.minutes")
        minutes = given
    file_ids = opt_list(body, "file_ids", max_items=100) or []
    sources = []
    for i, file_id in enumerate(file_ids):
        if not isinstance(file_id, str):
            raise invalid(
                f"file_ids[{i}]", f"Invalid type for 'file_ids[{i}]': expected a string.", code="invalid_type"
            )
        sources.append(filestore.FILES.find(state, file_id, f"file_ids[{i}]"))
    skills = _skills(state, body.get("skills"))
    created = now()
    doc: Doc = {
        "id": new_id("cntr_"),
        "object": "container",
        "name": name,
        "created_at": created,
        "status": "running",
        "last_active_at": created,
        "expires_after": {"anchor": "last_active_at", "minutes": minutes},
        "memory_limit": opt_enum(body, "memory_limit", MEMORY_LIMITS, "1g"),
        "skills": skills,
    }
    policy = _network_policy(body.get("network_policy"))
    if policy is not None:
        doc["network_policy"] = policy
    state.store.insert(KIND, doc)
    for source in sources:
        _add_file(
            state, doc["id"], source["filename"], filestore.blob(state, source["id"]), "user", copy=True
        )
    return ok(_view(state, doc))


async def list_containers(request: Request) -> Response:
    state = state_of(request)
    items = [_view(state, d) for d in state.store.list(KIND)]
    name = request.query_params.get("name")
    if name:
        items = [c for c in items if c["name"] == name]
    return ok(paginate(items, request.query_params, default_order="desc"))


def _touch(state: ServerState, container_id: str) -> Doc:
    """The container, marked active now; a 400 when it has expired."""
    doc = CONTAINERS.find(state, container_id)
    if _view(state, doc)["status"] == "expired":
        raise RequestError(
            400,
            f"Container {container_id} has expired; create a new one.",
            param="container_id",
            code="container_expired",
        )
    updated = state.store.update(KIND, container_id, lambda d: d.__setitem__("last_active_at", now()))
    return updated or doc


def _safe_name(filename: str) -> str:
    name = posixpath.basename(filename.replace("\\", "/")).strip()
    if name in ("", ".", ".."):
        raise invalid("file", "Invalid 'file': the file needs a name.")
    return name


def _add_file(
    state: ServerState, container_id: str, filename: str, source: Any, origin: str, *, copy: bool
) -> Doc:
    path = f"{DATA_DIR}/{_safe_name(filename)}"
    file_id = new_id("cfile_")
    dest = _file_blob(state, file_id)
    if copy:
        shutil.copyfile(source, dest)
    else:
        source.replace(dest)
    for old in state.store.list(FILE_KIND, parent=container_id):  # one file per path: the new one replaces it
        if old["path"] == path:
            state.store.delete(FILE_KIND, old["id"])
            _file_blob(state, old["id"]).unlink(missing_ok=True)
    doc = {
        "id": file_id,
        "object": "container.file",
        "container_id": container_id,
        "created_at": now(),
        "bytes": dest.stat().st_size,
        "path": path,
        "source": origin,
    }
    return state.store.insert(FILE_KIND, doc, parent=container_id)


async def create_file(request: Request) -> Response:
    state = state_of(request)
    container_id = request.path_params["container_id"]
    CONTAINERS.find(state, container_id)
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        tmp = state.store.blob_path(new_id("upload-"))
        form = await read_multipart(request, state.settings.max_upload_bytes, tmp)
        try:
            uploaded = form.files.get("file")
            if uploaded is None:
                file_id = form.fields.get("file_id")
                if not file_id:
                    raise missing("file")
                source = filestore.FILES.find(state, file_id, "file_id")
                _touch(state, container_id)
                doc = _add_file(
                    state, container_id, source["filename"], filestore.blob(state, file_id), "user", copy=True
                )
                return ok(doc)
            name = _safe_name(uploaded.filename or "")
            _touch(state, container_id)
            return ok(_add_file(state, container_id, name, uploaded.path, "user", copy=False))
        finally:
            tmp.unlink(missing_ok=True)
    body = await json_body(request)
    file_id = opt_str(body, "file_id")
    if not file_id:
        raise missing("file_id")
    source = filestore.FILES.find(state, file_id, "file_id")
    _touch(state, container_id)
    return ok(
        _add_file(state, container_id, source["filename"], filestore.blob(state, file_id), "user", copy=True)
    )


async def list_files(request: Request) -> Response:
    state = state_of(request)
    container_id = request.path_params["container_id"]
    CONTAINERS.find(state, container_id)
    items = state.store.list(FILE_KIND, parent=container_id)
    return ok(paginate(items, request.query_params, default_order="desc"))


async def content(request: Request) -> Response:
    state = state_of(request)
    doc = FILES.require(state, request.path_params)
    return FileResponse(
        _file_blob(state, doc["id"]),
        media_type="application/octet-stream",
        filename=posixpath.basename(doc["path"]),
    )


async def delete_container(request: Request) -> Response:
    state = state_of(request)
    container_id = request.path_params["container_id"]
    CONTAINERS.find(state, container_id)
    for doc in state.store.list(FILE_KIND, parent=container_id):
        _file_blob(state, doc["id"]).unlink(missing_ok=True)
    state.store.delete_children(FILE_KIND, container_id)
    state.store.delete(KIND, container_id)
    return ok({"id": container_id, "object": "container.deleted", "deleted": True})


ROUTES = [
    Route("/containers", create, methods=["POST"]),
    Route("/containers", list_containers, methods=["GET"]),
    Route("/containers/{container_id}", CONTAINERS.retrieve, methods=["GET"]),
    Route("/containers/{container_id}", delete_container, methods=["DELETE"]),
    Route("/containers/{container_id}/files", create_file, methods=["POST"]),
    Route("/containers/{container_id}/files", list_files, methods=["GET"]),
    Route("/containers/{container_id}/files/{file_id}", FILES.retrieve, methods=["GET"]),
    Route("/containers/{container_id}/files/{file_id}", FILES.delete, methods=["DELETE"]),
    Route("/containers/{container_id}/files/{file_id}/content", content, methods=["GET"]),
]
