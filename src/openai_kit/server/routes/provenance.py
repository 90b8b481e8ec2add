"""``/content_provenance_checks``: look for provenance signals in an uploaded image or audio file.

- Images (PNG, JPEG, WebP, GIF): ``c2pa`` reports whether the file carries a C2PA manifest store (a
  JUMBF box labelled ``c2pa``, in a PNG ``caBX`` chunk, JPEG APP11 segments or a WebP/RIFF chunk); its
  ``validation_state`` is ``valid`` when the store holds a claim and a claim signature, ``invalid`` when it
  is incomplete, ``not_present`` when there is none. Signatures are not checked against a trust list
  (offline), so ``trusted`` is never reported. ``synthid`` is ``not_detected``: there is no watermark
  detector for images here.
- Audio: ``synthid`` is ``detected`` for audio made by this server's speech endpoint, whose samples carry
  an embedded, CRC-checked payload (``server/audio.py``) -- the local stand-in for a watermark.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import audio
from ..bodies import read_multipart
from ..errors import invalid, missing
from ..ids import new_id, now
from ..models import SPEECH_MODEL
from ..state import ok, state_of

IMAGE_KINDS = ("png", "jpeg", "webp", "gif")
_JUMBF_C2PA = re.compile(rb"jumd.{0,24}?c2pa\x00", re.S)


def file_kind(head: bytes) -> str | None:
    """``png``/``jpeg``/``webp``/``gif`` or ``audio`` from the first bytes, ``None`` for anything else."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if (
        (head[:4] == b"RIFF" and head[8:12] == b"WAVE")
        or head[:4] in (b"fLaC", b"OggS")
        or head[:3] == b"ID3"
        or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)  # an MPEG audio frame
        or head[4:8] == b"ftyp"
    ):
        return "audio"
    return None


def c2pa_state(data: bytes) -> str:
    """``valid`` / ``invalid`` / ``not_present`` for the file's C2PA manifest store (structure only)."""
    found = _JUMBF_C2PA.search(data)
    if found is None:
        return "not_present"
    store = data[found.start() :]
    has_claim = re.search(rb"c2pa\.claim(?:\.v2)?\x00", store) is not None
    has_signature = b"c2pa.signature\x00" in store
    return "valid" if has_claim and has_signature else "invalid"


def check(path: Path) -> list[dict[str, object]]:
    data = path.read_bytes()
    kind = file_kind(data[:16])
    if kind is None:
        raise invalid(
            "file",
            "Unsupported file: expected an image (PNG, JPEG, WebP or GIF) or an audio file.",
            code="unsupported_file",
        )
    if kind in IMAGE_KINDS:
        state = c2pa_state(data)
        c2pa: dict[str, object] = {
            "type": "c2pa",
            "outcome": "not_detected" if state == "not_present" else "detected",
            "validation_state": state,
            "issuer": None,
            "model": None,
            "generated_at": None,
        }
        synthid: dict[str, object] = {
            "type": "synthid",
            "outcome": "not_detected",
            "model": None,
            "generated_at": None,
        }
        return [c2pa, synthid]
    _, _, text = audio.decode(data)
    detected = text is not None
    return [
        {
            "type": "synthid",
            "outcome": "detected" if detected else "not_detected",
            "model": SPEECH_MODEL if detected else None,
            "generated_at": None,
        }
    ]


async def create(request: Request) -> Response:
    state = state_of(request)
    dest = state.store.blob_path(new_id("provenance-"))
    try:
        form = await read_multipart(request, state.settings.max_upload_bytes, dest)
        if "file" not in form.files:
            raise missing("file")
        results = await asyncio.to_thread(check, form.files["file"].path)
    finally:
        dest.unlink(missing_ok=True)
    return ok({"object": "content_provenance_check", "created_at": now(), "results": results})


ROUTES = [Route("/content_provenance_checks", create, methods=["POST"])]
