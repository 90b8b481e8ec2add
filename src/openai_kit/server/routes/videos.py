"""``/videos``: video jobs that go queued -> in_progress -> completed and produce a real MP4.

A video is drawn, not generated: the picture ``imaging.render`` makes from the prompt's seed (or the
input reference image) pans across the frame, 8 frames a second for the requested seconds, at the requested
size, encoded as H.264 in MP4 by PyAV (FFmpeg's libraries, a wheel on PyPI, in the ``server`` extra). Without
PyAV the job fails with ``encoder_missing``. The thumbnail (first frame) and spritesheet (a 4x4 grid of
frames) are WebP images by Pillow. Remixes, edits and extensions are new jobs drawn from the source's seed
and the new prompt; an extension is as long as its source plus the requested seconds. Jobs resume after a
restart; steps are ``work_delay`` apart.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import io
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from .. import filestore, imaging
from ..bodies import read_multipart
from ..crud import Stored
from ..errors import RequestError, invalid, missing
from ..ids import new_id, now
from ..pagination import paginate
from ..params import opt_dict, opt_enum, opt_str, req_str
from ..state import ServerState, json_body, ok, state_of

KIND = "video"
CHARACTER_KIND = "video_character"
SIZES = ("720x1280", "1280x720", "1024x1792", "1792x1024")
SECONDS = ("4", "8", "12")
MODELS = ("sora-2", "sora-2-pro", "sora-2-2025-10-06", "sora-2-pro-2025-10-06", "sora-2-2025-12-08")
VARIANTS = {
    "video": ("mp4", "video/mp4"),
    "thumbnail": ("webp", "image/webp"),
    "spritesheet": ("webp", "image/webp"),
}
FPS = 8
#: how long a video's content is kept (``expires_at``)
KEEP_SECONDS = 24 * 3600
FINAL = ("completed", "failed")


def _blob(state: ServerState, video_id: str, variant: str) -> Any:
    return state.store.blob_path(f"{video_id}.{variant}.{VARIANTS[variant][0]}")


def _remove_blobs(state: ServerState, params: Any) -> None:
    for variant in VARIANTS:
        _blob(state, params["video_id"], variant).unlink(missing_ok=True)
    state.store.blob_path(f"{params['video_id']}.reference").unlink(missing_ok=True)


def _view(state: ServerState, doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if not k.startswith("_")}


VIDEOS = Stored(KIND, "video", "video_id", deleted="video.deleted", view=_view, on_delete=_remove_blobs)
CHARACTERS = Stored(CHARACTER_KIND, "character", "character_id", view=_view)


# -- the body: JSON, or multipart with ``name[key]`` fields and file parts -----------------------


async def _body(request: Request, state: ServerState) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The request's fields (``video[id]`` becomes ``{"video": {"id": ...}}``) and its files' bytes."""
    if not request.headers.get("content-type", "").startswith("multipart/"):
        return await json_body(request), {}
    dest = state.store.blob_path(new_id("upload-"))
    form = await read_multipart(request, state.settings.max_upload_bytes, dest, max_files=1)
    try:
        files = {name: f.path.read_bytes() for name, f in form.file_parts}
    finally:
        for _, f in form.file_parts:
            f.path.unlink(missing_ok=True)
    body: dict[str, Any] = {}
    for name, value in form.field_parts:
        if name.endswith("]") and "[" in name:
            outer, inner = name[:-1].split("[", 1)
            nested = body.setdefault(outer, {})
            if isinstance(nested, dict):
                nested[inner] = value
        else:
            body[name] = value
    return body, files


# -- drawing and encoding ------------------------------------------------------------------------


class EncoderMissing(Exception):
    pass


class _Clip:
    """The frames of a video: the picture (the reference image when it decodes) panning to the left."""

    def __init__(self, seed: bytes, reference: bytes | None, width: int, height: int, count: int) -> None:
        base = None
        if reference is not None:
            decoded = imaging.decode(reference)
            if decoded is not None:
                base = imaging.resize(decoded, width, height)[..., :3]
        self.base = base if base is not None else imaging.render(seed, width, height)
        self.count = count
        self.step = max(width // max(count, 1), 1)

    def frame(self, i: int) -> Any:
        import numpy as np

        return np.ascontiguousarray(np.roll(self.base, -i * self.step, axis=1))


def _encode(clip: _Clip) -> bytes:
    try:
        import av
    except ImportError:
        raise EncoderMissing from None
    height, width = clip.base.shape[:2]
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as container:
        stream: Any = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "28"}
        for i in range(clip.count):
            for packet in stream.encode(av.VideoFrame.from_ndarray(clip.frame(i), format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buf.getvalue()


def _spritesheet(clip: _Clip) -> Any:
    """A 4x4 grid of frames spread over the video, each a quarter of the frame's size."""
    import numpy as np

    height, width = clip.base.shape[:2]
    small = [
        imaging.resize(clip.frame(i * clip.count // 16), max(width // 4, 1), max(height // 4, 1))
        for i in range(16)
    ]
    rows = [np.concatenate(small[r * 4 : r * 4 + 4], axis=1) for r in range(4)]
    return np.concatenate(rows, axis=0)


def _webp(pixels: Any) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="WEBP", quality=80, method=0)
    return buf.getvalue()


def _render(state: ServerState, doc: dict[str, Any]) -> None:
    """Write the video's three variants (runs in a worker thread)."""
    width, height = (int(v) for v in doc["size"].split("x"))
    reference_path = state.store.blob_path(f"{doc['id']}.reference")
    reference = reference_path.read_bytes() if reference_path.exists() else None
    clip = _Clip(doc["_seed"].encode(), reference, width, height, FPS * int(doc["seconds"]))
    _blob(state, doc["id"], "video").write_bytes(_encode(clip))
    _blob(state, doc["id"], "thumbnail").write_bytes(_webp(clip.frame(0)))
    _blob(state, doc["id"], "spritesheet").write_bytes(_webp(_spritesheet(clip)))


def _progress(progress: int) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        doc.update(status="in_progress", progress=progress)

    return change


async def _run(state: ServerState, video_id: str) -> None:
    for progress in (0, 35, 70):
        await state.pause()
        if state.store.update(KIND, video_id, _progress(progress)) is None:  # deleted meanwhile
            return
    doc = state.store.get(KIND, video_id)
    if doc is None:
        return
    try:
        await asyncio.to_thread(_render, state, doc)
        done: dict[str, Any] = {"status": "completed", "progress": 100, "completed_at": now()}
        done["expires_at"] = done["completed_at"] + KEEP_SECONDS
    except EncoderMissing:
        done = {
            "status": "failed",
            "error": {"code": "encoder_missing", "message": "Encoding MP4 needs PyAV: pip install av."},
        }
    except Exception as exc:  # a failed job, not a lost one
        done = {"status": "failed", "error": {"code": "video_generation_failed", "message": str(exc)[:500]}}
    if state.store.update(KIND, video_id, lambda d: d.update(done)) is None:
        _remove_blobs(state, {"video_id": video_id})


def resume(state: ServerState) -> None:
    """Start over the videos a previous process left unfinished."""
    for doc in state.store.list(KIND):
        if doc["status"] not in FINAL:
            state.store.update(KIND, doc["id"], lambda d: d.update(status="queued", progress=0))
            state.spawn(_run(state, doc["id"]))


def _start(
    state: ServerState,
    *,
    prompt: str,
    model: str,
    size: str,
    seconds: str,
    seed: str,
    reference: bytes | None = None,
    remixed_from: str | None = None,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": new_id("video_"),
        "object": "video",
        "model": model,
        "status": "queued",
        "progress": 0,
        "created_at": now(),
        "completed_at": None,
        "expires_at": None,
        "prompt": prompt,
        "size": size,
        "seconds": seconds,
        "remixed_from_video_id": remixed_from,
        "error": None,
        "_seed": seed,
    }
    if reference is not None:
        state.store.blob_path(f"{doc['id']}.reference").write_bytes(reference)
    state.store.insert(KIND, doc)
    state.spawn(_run(state, doc["id"]))
    return _view(state, doc)


# -- handlers ------------------------------------------------------------------------------------


def _reference(state: ServerState, body: dict[str, Any], files: dict[str, bytes]) -> bytes | None:
    """The ``input_reference`` image: an uploaded file, ``{"file_id"}`` or ``{"image_url"}`` (a data URL)."""
    if "input_reference" in files:
        data = files["input_reference"]
    else:
        ref = opt_dict(body, "input_reference")
        if ref is None:
            return None
        file_id = opt_str(ref, "file_id", path="input_reference.file_id")
        url = opt_str(ref, "image_url", path="input_reference.image_url")
        if file_id:
            filestore.FILES.find(state, file_id, "input_reference.file_id")
            data = filestore.blob(state, file_id).read_bytes()
        elif url:
            if not url.startswith("data:") or "," not in url:
                raise invalid(
                    "input_reference.image_url",
                    "Invalid 'input_reference.image_url': the local server takes only data URLs (it is offline).",
                    code="invalid_url",
                )
            try:
                data = base64.b64decode(url.split(",", 1)[1], validate=True)
            except (binascii.Error, ValueError):
                raise invalid(
                    "input_reference.image_url", "Invalid 'input_reference.image_url': bad base64 data."
                ) from None
        else:
            raise missing("input_reference.file_id")
    if imaging.decode(data) is None:
        raise invalid(
            "input_reference",
            "Invalid 'input_reference': the image could not be decoded.",
            code="invalid_image",
        )
    return data


async def create(request: Request) -> Response:
    state = state_of(request)
    body, files = await _body(request, state)
    prompt = req_str(body, "prompt")
    model = opt_enum(body, "model", MODELS, "sora-2") or "sora-2"
    seconds = opt_enum(body, "seconds", SECONDS, "4") or "4"
    size = opt_enum(body, "size", SIZES, "720x1280") or "720x1280"
    reference = _reference(state, body, files)
    seed = prompt + (hashlib.sha256(reference).hexdigest() if reference else "")
    return ok(
        _start(state, prompt=prompt, model=model, size=size, seconds=seconds, seed=seed, reference=reference)
    )


def _completed(state: ServerState, video_id: str, param: str) -> dict[str, Any]:
    source = VIDEOS.find(state, video_id, param)
    if source["status"] != "completed":
        raise invalid(
            param,
            f"The video '{video_id}' is not completed (status '{source['status']}').",
            code="video_not_ready",
        )
    return source


async def remix(request: Request) -> Response:
    state = state_of(request)
    body, _ = await _body(request, state)
    prompt = req_str(body, "prompt")
    source = VIDEOS.require(state, request.path_params)
    _completed(state, source["id"], "video_id")
    return ok(
        _start(
            state,
            prompt=prompt,
            model=source["model"],
            size=source["size"],
            seconds=source["seconds"],
            seed=source["_seed"] + "\n" + prompt,
            remixed_from=source["id"],
        )
    )


def _source(state: ServerState, body: dict[str, Any], files: dict[str, bytes]) -> tuple[str, str, str, str]:
    """The ``video`` of an edit or extension: (seed, model, size, seconds) of a stored video or an upload."""
    if "video" in files:
        data = files["video"]
        if data[4:8] != b"ftyp":
            raise invalid("video", "Invalid 'video': expected an MP4 file.", code="invalid_video")
        return hashlib.sha256(data).hexdigest(), "sora-2", "720x1280", "4"
    ref = body.get("video")
    if not isinstance(ref, dict):
        raise (
            missing("video")
            if ref is None
            else invalid("video", "Invalid 'video': expected {\"id\": ...} or a file.")
        )
    video_id = req_str(ref, "id", path="video.id")
    source = _completed(state, video_id, "video.id")
    return source["_seed"], source["model"], source["size"], source["seconds"]


async def edit(request: Request) -> Response:
    state = state_of(request)
    body, files = await _body(request, state)
    prompt = req_str(body, "prompt")
    seed, model, size, seconds = _source(state, body, files)
    return ok(
        _start(state, prompt=prompt, model=model, size=size, seconds=seconds, seed=seed + "\nedit: " + prompt)
    )


async def extend(request: Request) -> Response:
    state = state_of(request)
    body, files = await _body(request, state)
    prompt = req_str(body, "prompt")
    if body.get("seconds") is None:
        raise missing("seconds")
    more = opt_enum(body, "seconds", SECONDS) or "4"
    seed, model, size, seconds = _source(state, body, files)
    total = str(int(seconds) + int(more))
    return ok(_start(state, prompt=prompt, model=model, size=size, seconds=total, seed=seed))


async def list_videos(request: Request) -> Response:
    state = state_of(request)
    docs = [_view(state, d) for d in state.store.list(KIND)]
    return ok(paginate(docs, request.query_params, default_order="desc"))


async def content(request: Request) -> Response:
    state = state_of(request)
    variant = opt_enum(dict(request.query_params), "variant", tuple(VARIANTS), "video") or "video"
    doc = VIDEOS.require(state, request.path_params)
    if doc["status"] != "completed":
        raise invalid(
            "video_id",
            f"The video '{doc['id']}' is not completed (status '{doc['status']}').",
            code="video_not_ready",
        )
    path = _blob(state, doc["id"], variant)
    if not path.exists():
        raise RequestError(
            404, f"The {variant} of video '{doc['id']}' is gone.", param="variant", code="not_found"
        )
    return FileResponse(path, media_type=VARIANTS[variant][1])


async def create_character(request: Request) -> Response:
    state = state_of(request)
    body, files = await _body(request, state)
    name = req_str(body, "name")
    if "video" not in files:
        raise missing("video")
    if files["video"][4:8] != b"ftyp":
        raise invalid("video", "Invalid 'video': expected an MP4 file.", code="invalid_video")
    doc = {
        "id": new_id("char_"),
        "name": name,
        "created_at": now(),
        "_sha256": hashlib.sha256(files["video"]).hexdigest(),
    }
    state.store.insert(CHARACTER_KIND, doc)
    return ok(_view(state, doc))


ROUTES = [
    Route("/videos", create, methods=["POST"]),
    Route("/videos", list_videos, methods=["GET"]),
    Route("/videos/characters", create_character, methods=["POST"]),
    Route("/videos/characters/{character_id}", CHARACTERS.retrieve, methods=["GET"]),
    Route("/videos/edits", edit, methods=["POST"]),
    Route("/videos/extensions", extend, methods=["POST"]),
    Route("/videos/{video_id}", VIDEOS.retrieve, methods=["GET"]),
    Route("/videos/{video_id}", VIDEOS.delete, methods=["DELETE"]),
    Route("/videos/{video_id}/content", content, methods=["GET"]),
    Route("/videos/{video_id}/remix", remix, methods=["POST"]),
]
