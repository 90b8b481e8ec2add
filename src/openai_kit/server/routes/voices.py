"""``/audio/voice_consents`` and ``/audio/voices``: consent recordings (stored with their audio) and custom
voices made from an audio sample and a consent. Both uploads must be audio the server can recognise."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..bodies import MultipartForm, read_multipart
from ..crud import Stored
from ..errors import invalid, missing, not_found
from ..ids import new_id, now
from ..pagination import paginate
from ..params import req_str
from ..state import ServerState, json_body, ok, state_of
from .provenance import file_kind

Doc = dict[str, Any]

CONSENT_KIND = "voice_consent"
VOICE_KIND = "voice"
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
_PUBLIC = ("object", "id", "name", "language", "created_at")


def _consent_view(state: ServerState, doc: Doc) -> Doc:
    return {k: doc[k] for k in _PUBLIC if k in doc}


def _blob(state: ServerState, obj_id: str) -> Any:
    return state.store.blob_path(f"voice-{obj_id}")


CONSENTS = Stored(
    CONSENT_KIND,
    "voice consent",
    "consent_id",
    deleted="audio.voice_consent",
    view=_consent_view,
    on_delete=lambda state, p: _blob(state, p["consent_id"]).unlink(missing_ok=True),
)


def _name(form: MultipartForm) -> str:
    name = form.fields.get("name")
    if name is None:
        raise missing("name")
    name = name.strip()
    if not name or len(name) > 256:
        raise invalid("name", "Invalid 'name': expected 1 to 256 characters.", code="invalid_value")
    return name


async def _audio_form(request: Request, obj_id: str, field: str) -> MultipartForm:
    """The multipart form with its ``field`` audio file saved as the object's blob (a 400 otherwise)."""
    state = state_of(request)
    dest = _blob(state, obj_id)
    form = await read_multipart(request, state.settings.max_upload_bytes, dest)
    try:
        uploaded = form.files.get(field)
        if uploaded is None:
            raise missing(field)
        with uploaded.path.open("rb") as fh:
            head = fh.read(16)
        if file_kind(head) != "audio":
            raise invalid(
                field,
                f"Invalid '{field}': expected an audio file (WAV, MP3, FLAC, Ogg or M4A).",
                code="invalid_file",
            )
        if uploaded.path != dest:
            uploaded.path.replace(dest)
    except Exception:
        dest.unlink(missing_ok=True)
        for _, part in form.file_parts:
            part.path.unlink(missing_ok=True)
        raise
    return form


async def create_consent(request: Request) -> Response:
    state = state_of(request)
    consent_id = new_id("cons_")
    form = await _audio_form(request, consent_id, "recording")
    try:
        name = _name(form)
        language = form.fields.get("language")
        if not language:
            raise missing("language")
        if not _LANGUAGE.match(language):
            raise invalid(
                "language",
                f"Invalid 'language': '{language[:40]}' is not a language tag such as 'en' or 'en-US'.",
            )
    except Exception:
        _blob(state, consent_id).unlink(missing_ok=True)
        raise
    doc = {
        "object": "audio.voice_consent",
        "id": consent_id,
        "name": name,
        "language": language,
        "created_at": now(),
    }
    state.store.insert(CONSENT_KIND, doc)
    return ok(doc)


async def list_consents(request: Request) -> Response:
    state = state_of(request)
    items = [_consent_view(state, d) for d in state.store.list(CONSENT_KIND)]
    return ok(paginate(items, request.query_params, default_order="desc"))


async def update_consent(request: Request) -> Response:
    state = state_of(request)
    body = await json_body(request)
    name = req_str(body, "name")
    CONSENTS.require(state, request.path_params)
    doc = state.store.update(
        CONSENT_KIND, request.path_params["consent_id"], lambda d: d.__setitem__("name", name)
    )
    if doc is None:
        raise not_found("voice consent", request.path_params["consent_id"], "consent_id")
    return ok(_consent_view(state, doc))


async def create_voice(request: Request) -> Response:
    state = state_of(request)
    voice_id = new_id("voice_")
    form = await _audio_form(request, voice_id, "audio_sample")
    try:
        name = _name(form)
        consent = form.fields.get("consent")
        if not consent:
            raise missing("consent")
        if state.store.get(CONSENT_KIND, consent) is None:
            raise not_found("voice consent", consent, "consent")
    except Exception:
        _blob(state, voice_id).unlink(missing_ok=True)
        raise
    doc = {"object": "audio.voice", "id": voice_id, "name": name, "created_at": now()}
    state.store.insert(VOICE_KIND, {**doc, "consent": consent})
    return ok(doc)


def require_voice(state: ServerState, voice_id: str) -> Doc:
    """A custom voice (``{"voice": {"id": ...}}`` of the speech endpoint), or a 404 naming ``voice.id``."""
    doc = state.store.get(VOICE_KIND, voice_id)
    if doc is None:
        raise not_found("voice", voice_id, "voice.id")
    return doc


ROUTES = [
    Route("/audio/voice_consents", create_consent, methods=["POST"]),
    Route("/audio/voice_consents", list_consents, methods=["GET"]),
    Route("/audio/voice_consents/{consent_id}", CONSENTS.retrieve, methods=["GET"]),
    Route("/audio/voice_consents/{consent_id}", update_consent, methods=["POST"]),
    Route("/audio/voice_consents/{consent_id}", CONSENTS.delete, methods=["DELETE"]),
    Route("/audio/voices", create_voice, methods=["POST"]),
]
