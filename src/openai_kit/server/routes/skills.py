"""``/skills``: skills and their numbered versions, each version a bundle of files with a ``SKILL.md``
whose front matter gives ``name`` and ``description``. A version is uploaded as files (``files`` /
``files[]`` parts, paths kept) or as one zip; it is stored as a normalised zip, which ``.../content``
returns. The skill shows its default version's name and description."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from ..bodies import MultipartForm, UploadedFile, read_multipart
from ..crud import Stored
from ..errors import RequestError, invalid, missing
from ..ids import new_id, now
from ..pagination import paginate
from ..state import ServerState, json_body, ok, state_of

Doc = dict[str, Any]

KIND = "skill"
VERSION_KIND = "skill_version"
MAX_FILES = 500
MAX_TOTAL_BYTES = 64 * 1024 * 1024
_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)


def _view(state: ServerState, doc: Doc) -> Doc:
    return {k: v for k, v in doc.items() if k != "counter"}


SKILLS = Stored(KIND, "skill", "skill_id", deleted="skill.deleted", view=_view)


def _bundle_path(state: ServerState, version_id: str) -> Path:
    return state.store.blob_path(f"skill-{version_id}.zip")


# -- reading an upload ---------------------------------------------------------------------------


def _entry_name(raw: str) -> str:
    name = raw.replace("\\", "/").lstrip("/")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        raise invalid("files", f"Invalid file path '{raw[:200]}' in the skill's files.", code="invalid_file")
    return "/".join(parts)


def _entries(parts: list[UploadedFile]) -> dict[str, bytes]:
    """Path -> bytes of the uploaded files (or of the one uploaded zip)."""
    if len(parts) == 1 and parts[0].path.read_bytes()[:4] == b"PK\x03\x04":
        try:
            archive = zipfile.ZipFile(parts[0].path)
        except zipfile.BadZipFile:
            raise invalid("files", "The uploaded zip file cannot be read.", code="invalid_file") from None
        with archive:
            infos = [i for i in archive.infolist() if not i.is_dir()]
            if len(infos) > MAX_FILES:
                raise invalid("files", f"A skill may hold at most {MAX_FILES} files.", code="invalid_file")
            if sum(i.file_size for i in infos) > MAX_TOTAL_BYTES:
                raise invalid("files", "The skill's files are too large once unzipped.", code="invalid_file")
            out: dict[str, bytes] = {}
            for info in infos:
                try:
                    out[_entry_name(info.filename)] = archive.read(info)
                except (zipfile.BadZipFile, ValueError, NotImplementedError) as exc:
                    raise invalid(
                        "files", f"The uploaded zip file cannot be read: {exc}.", code="invalid_file"
                    ) from None
            return out
    entries: dict[str, bytes] = {}
    for part in parts:
        entries[_entry_name(part.filename or "")] = part.path.read_bytes()
    return entries


def _front_matter(text: str) -> dict[str, str]:
    match = _FRONT_MATTER.match(text)
    if match is None:
        return {}
    fields: dict[str, str] = {}
    for line in match.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() and not line.startswith((" ", "\t")):
            fields[key.strip()] = value.strip().strip("\"'")
    return fields


def _manifest(entries: dict[str, bytes]) -> tuple[str, str]:
    """(name, description) from the bundle's ``SKILL.md``: at the top, or in its one top-level folder."""
    if not entries:
        raise missing("files")
    tops = {name.split("/", 1)[0] for name in entries}
    candidates = ["SKILL.md"] + ([f"{next(iter(tops))}/SKILL.md"] if len(tops) == 1 else [])
    lowered = {name.lower(): name for name in entries}
    found = next((lowered[c.lower()] for c in candidates if c.lower() in lowered), None)
    if found is None:
        raise invalid(
            "files",
            "The skill needs a SKILL.md file at its top level (or in its single top-level folder).",
            code="invalid_file",
        )
    fields = _front_matter(entries[found].decode("utf-8", "replace"))
    name, description = fields.get("name", ""), fields.get("description", "")
    if not name or not description:
        raise invalid(
            "files",
            f"{found} needs a front matter block (between '---' lines) with 'name' and 'description'.",
            code="invalid_file",
        )
    if len(name) > 64 or len(description) > 1024:
        raise invalid("files", f"{found}: 'name' is limited to 64 characters and 'description' to 1024.")
    return name, description


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, entries[name])
    return buffer.getvalue()


async def _upload(request: Request) -> tuple[dict[str, bytes], MultipartForm]:
    state = state_of(request)
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        await json_body(request, allow_empty=True)
        raise invalid(
            "files",
            "A skill's files must be uploaded as multipart/form-data 'files' parts.",
            code="invalid_file",
        )
    tmp = state.store.blob_path(new_id("upload-"))
    form = await read_multipart(request, state.settings.max_upload_bytes, tmp, max_files=MAX_FILES)
    try:
        parts = [f for name, f in form.file_parts if name in ("files", "files[]")]
        if not parts:
            raise missing("files")
        if sum(f.size for f in parts) > MAX_TOTAL_BYTES:
            raise invalid("files", "The skill's files are too large.", code="invalid_file")
        return _entries(parts), form
    finally:
        for _, uploaded in form.file_parts:
            uploaded.path.unlink(missing_ok=True)


def _store_version(state: ServerState, skill_id: str, number: int, entries: dict[str, bytes]) -> Doc:
    name, description = _manifest(entries)
    version: Doc = {
        "object": "skill.version",
        "id": new_id("skillver_"),
        "skill_id": skill_id,
        "version": str(number),
        "created_at": now(),
        "name": name,
        "description": description,
    }
    _bundle_path(state, version["id"]).write_bytes(_zip(entries))
    return state.store.insert(VERSION_KIND, version, parent=skill_id)


def _versions(state: ServerState, skill_id: str) -> list[Doc]:
    return state.store.list(VERSION_KIND, parent=skill_id)


def _version(state: ServerState, skill: Doc, wanted: str, param: str = "version") -> Doc:
    if wanted == "latest":
        wanted = skill["latest_version"]
    found = next((v for v in _versions(state, skill["id"]) if v["version"] == wanted), None)
    if found is None:
        raise RequestError(
            404, f"Skill {skill['id']} has no version '{wanted}'.", param=param, code="not_found"
        )
    return found


# -- routes --------------------------------------------------------------------------------------


async def create(request: Request) -> Response:
    state = state_of(request)
    entries, _ = await _upload(request)
    skill_id = new_id("skill_")
    _manifest(entries)  # checked before anything is stored
    version = _store_version(state, skill_id, 1, entries)
    skill: Doc = {
        "id": skill_id,
        "object": "skill",
        "name": version["name"],
        "description": version["description"],
        "created_at": version["created_at"],
        "default_version": "1",
        "latest_version": "1",
        "counter": 1,
    }
    state.store.insert(KIND, skill)
    return ok(_view(state, skill))


async def list_skills(request: Request) -> Response:
    state = state_of(request)
    items = [_view(state, d) for d in state.store.list(KIND)]
    return ok(paginate(items, request.query_params, default_order="desc"))


def _show_default(state: ServerState, skill: Doc) -> None:
    version = _version(state, skill, skill["default_version"])
    skill["name"], skill["description"] = version["name"], version["description"]


async def set_default(request: Request) -> Response:
    state = state_of(request)
    body = await json_body(request)
    wanted = body.get("default_version")
    if wanted is None:
        raise missing("default_version")
    if isinstance(wanted, int) and not isinstance(wanted, bool):
        wanted = str(wanted)
    if not isinstance(wanted, str) or not wanted:
        raise invalid(
            "default_version", "Invalid 'default_version': expected a version number.", code="invalid_type"
        )
    skill = SKILLS.require(state, request.path_params)
    version = _version(state, skill, wanted, "default_version")
    skill["default_version"] = version["version"]
    _show_default(state, skill)
    state.store.put(KIND, skill)
    return ok(_view(state, skill))


async def delete_skill(request: Request) -> Response:
    state = state_of(request)
    skill = SKILLS.require(state, request.path_params)
    for version in _versions(state, skill["id"]):
        _bundle_path(state, version["id"]).unlink(missing_ok=True)
    state.store.delete_children(VERSION_KIND, skill["id"])
    state.store.delete(KIND, skill["id"])
    return ok({"object": "skill.deleted", "deleted": True, "id": skill["id"]})


async def skill_content(request: Request) -> Response:
    state = state_of(request)
    skill = SKILLS.require(state, request.path_params)
    version = _version(state, skill, skill["default_version"])
    return _bundle(state, skill, version)


def _bundle(state: ServerState, skill: Doc, version: Doc) -> Response:
    filename = f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', skill['name']) or 'skill'}-v{version['version']}.zip"
    return FileResponse(_bundle_path(state, version["id"]), media_type="application/zip", filename=filename)


async def create_version(request: Request) -> Response:
    state = state_of(request)
    SKILLS.require(state, request.path_params)
    entries, form = await _upload(request)
    default = form.fields.get("default", "false").strip().lower()
    if default not in ("true", "false", "1", "0", ""):
        raise invalid(
            "default",
            f"Invalid 'default': expected true or false, got '{default[:20]}'.",
            code="invalid_type",
        )
    _manifest(entries)
    skill = SKILLS.require(state, request.path_params)  # again: it may have been deleted while uploading
    number = int(skill.get("counter", 0)) + 1
    version = _store_version(state, skill["id"], number, entries)
    skill["counter"] = number
    skill["latest_version"] = version["version"]
    if default in ("true", "1"):
        skill["default_version"] = version["version"]
        _show_default(state, skill)
    state.store.put(KIND, skill)
    return ok(version)


async def list_versions(request: Request) -> Response:
    state = state_of(request)
    skill = SKILLS.require(state, request.path_params)
    return ok(paginate(_versions(state, skill["id"]), request.query_params, default_order="desc"))


async def retrieve_version(request: Request) -> Response:
    state = state_of(request)
    skill = SKILLS.require(state, request.path_params)
    return ok(_version(state, skill, request.path_params["version"]))


async def delete_version(request: Request) -> Response:
    state = state_of(request)
    skill = SKILLS.require(state, request.path_params)
    version = _version(state, skill, request.path_params["version"])
    if version["version"] == skill["default_version"]:
        raise invalid(
            "version",
            f"Version {version['version']} is the skill's default version: choose another default first, "
            "or delete the skill.",
            code="default_version",
        )
    state.store.delete(VERSION_KIND, version["id"])
    _bundle_path(state, version["id"]).unlink(missing_ok=True)
    remaining = _versions(state, skill["id"])
    skill["latest_version"] = max(remaining, key=lambda v: int(v["version"]))["version"]
    state.store.put(KIND, skill)
    return ok(
        {
            "object": "skill.version.deleted",
            "deleted": True,
            "id": version["id"],
            "version": version["version"],
        }
    )


async def version_content(request: Request) -> Response:
    state = state_of(request)
    skill = SKILLS.require(state, request.path_params)
    return _bundle(state, skill, _version(state, skill, request.path_params["version"]))


ROUTES = [
    Route("/skills", create, methods=["POST"]),
    Route("/skills", list_skills, methods=["GET"]),
    Route("/skills/{skill_id}", SKILLS.retrieve, methods=["GET"]),
    Route("/skills/{skill_id}", set_default, methods=["POST"]),
    Route("/skills/{skill_id}", delete_skill, methods=["DELETE"]),
    Route("/skills/{skill_id}/content", skill_content, methods=["GET"]),
    Route("/skills/{skill_id}/versions", create_version, methods=["POST"]),
    Route("/skills/{skill_id}/versions", list_versions, methods=["GET"]),
    Route("/skills/{skill_id}/versions/{version}", retrieve_version, methods=["GET"]),
    Route("/skills/{skill_id}/versions/{version}", delete_version, methods=["DELETE"]),
    Route("/skills/{skill_id}/versions/{version}/content", version_content, methods=["GET"]),
]
