"""``/images``: generations, edits (image + mask, multipart) and variations that return real pictures
(see ``imaging``), as ``b64_json`` or as a ``url`` this server serves itself (``/images/files/{name}``);
``stream: true`` sends partial images then the completed one, as the API does for the GPT image models."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from .. import imaging, usage_ledger
from ..bodies import MultipartForm, read_multipart
from ..errors import RequestError, invalid, missing
from ..ids import new_id, now
from ..params import opt_bool, opt_enum, opt_int, opt_str, req_str
from ..sse import event, stream_response
from ..state import ServerState, json_body, ok, state_of
from ..tokens import count_tokens

#: sizes each model family accepts (a model name outside these families accepts any of them)
SIZES = {
    "dall-e-2": ("256x256", "512x512", "1024x1024"),
    "dall-e-3": ("1024x1024", "1792x1024", "1024x1792"),
    "gpt-image": ("auto", "1024x1024", "1536x1024", "1024x1536"),
}
ALL_SIZES = ("auto", "256x256", "512x512", "1024x1024", "1536x1024", "1024x1536", "1792x1024", "1024x1792")
#: sizes the spec lets a GPT image response or stream event report
REPORTED_SIZES = ("1024x1024", "1024x1536", "1536x1024")
_FILE_NAME = re.compile(r"^img-[0-9a-f]{32}\.(png|jpeg|webp)$")
MAX_IMAGES = 16
MAX_INPUT_PIXELS = 4096 * 4096


def _family(model: str) -> str:
    if model.startswith("dall-e-2"):
        return "dall-e-2"
    if model.startswith("dall-e-3"):
        return "dall-e-3"
    if model.startswith(("gpt-image", "chatgpt-image")):
        return "gpt-image"
    return "other"


@dataclass
class ImageCall:
    kind: str  # generation | edit | variation
    model: str
    prompt: str
    n: int
    size: str
    width: int
    height: int
    response_format: str
    output_format: str
    compression: int
    quality: str
    background: str
    stream: bool
    partial_images: int
    seed: bytes
    gpt: bool


def _size(value: str | None, model: str, default: str) -> tuple[str, int, int]:
    size = value or default
    allowed = SIZES.get(_family(model), ALL_SIZES)
    if size not in allowed:
        raise invalid(
            "size",
            f"Invalid value for 'size': '{size}'. Supported values for {model} are: "
            + ", ".join(f"'{s}'" for s in allowed)
            + ".",
            code="invalid_value",
        )
    concrete = "1024x1024" if size == "auto" else size
    w, _, h = concrete.partition("x")
    return size, int(w), int(h)


def _parse(kind: str, body: dict[str, Any], default_model: str, seed_extra: bytes = b"") -> ImageCall:
    prompt = "" if kind == "variation" else req_str(body, "prompt")
    if len(prompt) > 32000:
        raise invalid("prompt", "Invalid 'prompt': string too long. The maximum length is 32000 characters.")
    model = opt_str(body, "model") or default_model
    family = _family(model)
    n = opt_int(body, "n", 1, lo=1, hi=10) or 1
    if family == "dall-e-3" and n != 1:
        raise invalid("n", "Invalid 'n': dall-e-3 only supports n=1.", code="invalid_value")
    size, width, height = _size(
        opt_str(body, "size"), model, "auto" if family in ("gpt-image", "other") else "1024x1024"
    )
    gpt = family == "gpt-image"
    response_format = opt_enum(body, "response_format", ("url", "b64_json"))
    if response_format is None:
        response_format = "b64_json" if gpt or kind == "edit" else "url"
    output_format = opt_enum(body, "output_format", imaging.FORMATS, "png") or "png"
    compression = opt_int(body, "output_compression", 100, lo=0, hi=100)
    quality = opt_enum(body, "quality", ("standard", "hd", "low", "medium", "high", "auto"), "auto") or "auto"
    background = opt_enum(body, "background", ("transparent", "opaque", "auto"), "auto") or "auto"
    if background == "transparent" and output_format == "jpeg":
        raise invalid(
            "background", "Transparent background is not supported for the jpeg output format.", code=None
        )
    opt_enum(body, "style", ("vivid", "natural"))
    opt_enum(body, "moderation", ("low", "auto"))
    stream = opt_bool(body, "stream")
    partial = opt_int(body, "partial_images", 0, lo=0, hi=3) or 0
    seed = b"\0".join([kind.encode(), prompt.encode(), f"{width}x{height}".encode(), seed_extra])
    return ImageCall(
        kind=kind,
        model=model,
        prompt=prompt,
        n=n,
        size=size,
        width=width,
        height=height,
        response_format=response_format,
        output_format=output_format,
        compression=compression if compression is not None else 100,
        quality=quality,
        background=background,
        stream=stream,
        partial_images=partial,
        seed=seed,
        gpt=gpt,
    )


def _reported_quality(call: ImageCall) -> str:
    return {"standard": "medium", "hd": "high", "auto": "medium"}.get(call.quality, call.quality)


def _reported_size(call: ImageCall) -> str:
    concrete = f"{call.width}x{call.height}"
    return concrete if concrete in REPORTED_SIZES else "auto"


def _usage(call: ImageCall, input_images: int) -> dict[str, Any]:
    text = count_tokens(call.prompt)
    image_in = 194 * input_images
    out = max(16, call.width * call.height // 1024) * call.n
    return {
        "total_tokens": text + image_in + out,
        "input_tokens": text + image_in,
        "output_tokens": out,
        "input_tokens_details": {"text_tokens": text, "image_tokens": image_in},
    }


def _encode(call: ImageCall, pixels: imaging.Pixels) -> bytes:
    try:
        return imaging.encode(pixels, call.output_format, call.compression)
    except imaging.EncoderMissing:
        raise invalid(
            "output_format",
            f"The output format '{call.output_format}' needs Pillow on this server "
            "(pip install 'openai-kit[server]'); 'png' always works.",
            code="unsupported_value",
        ) from None


def _count(state: ServerState, call: ImageCall) -> None:
    """Add the request's images to the usage ledger (``/organization/usage/images``)."""
    usage_ledger.record(
        state,
        "images",
        call.model,
        {"images": call.n, "num_model_requests": 1},
        source=f"image.{call.kind}",
        size=f"{call.width}x{call.height}",
    )


def _pictures(call: ImageCall, draw: Any) -> list[bytes]:
    """The ``n`` images: image ``i`` is drawn from the seed and ``i`` (the first from the seed alone)."""
    return [_encode(call, draw(call.seed if i == 0 else call.seed + b"#%d" % i)) for i in range(call.n)]


def _image_url(request: Request, state: ServerState, data: bytes, fmt: str) -> str:
    name = f"img-{secrets.token_hex(16)}.{fmt}"
    state.store.blob_path(name).write_bytes(data)
    base = str(request.base_url).rstrip("/")
    return f"{base}/v1/images/files/{name}"


def _response(
    request: Request, state: ServerState, call: ImageCall, images: list[bytes], inputs: int
) -> dict[str, Any]:
    data: list[dict[str, Any]] = []
    for image in images:
        if call.response_format == "url":
            item: dict[str, Any] = {"url": _image_url(request, state, image, call.output_format)}
        else:
            item = {"b64_json": base64.b64encode(image).decode()}
        if call.model.startswith("dall-e-3") and call.kind == "generation":
            item["revised_prompt"] = call.prompt
        data.append(item)
    body: dict[str, Any] = {"created": now(), "data": data}
    if call.gpt:
        body |= {
            "background": "transparent" if call.background == "transparent" else "opaque",
            "output_format": call.output_format,
            "quality": _reported_quality(call),
            "usage": _usage(call, inputs),
        }
        if f"{call.width}x{call.height}" in REPORTED_SIZES:
            body["size"] = f"{call.width}x{call.height}"
    return body


async def _stream_events(call: ImageCall, draw: Any, prefix: str, inputs: int) -> AsyncIterator[bytes]:
    pixels = draw(call.seed)
    common = {
        "size": _reported_size(call),
        "quality": _reported_quality(call) if call.quality != "auto" else "auto",
        "background": call.background,
        "output_format": call.output_format,
    }
    for index in range(call.partial_images):
        partial = imaging.reveal(pixels, (index + 1) / (call.partial_images + 1))
        kind = f"{prefix}.partial_image"
        payload = {"type": kind, "b64_json": base64.b64encode(_encode(call, partial)).decode()}
        yield event({**payload, "created_at": now(), **common, "partial_image_index": index}, kind)
    kind = f"{prefix}.completed"
    final = base64.b64encode(_encode(call, pixels)).decode()
    yield event(
        {"type": kind, "b64_json": final, "created_at": now(), **common, "usage": _usage(call, inputs)}, kind
    )


async def generations(request: Request) -> Response:
    state = state_of(request)
    body = await json_body(request)
    call = _parse("generation", body, "dall-e-2")
    _count(state, call)
    transparent = call.background == "transparent"

    def draw(seed: bytes) -> imaging.Pixels:
        return imaging.render(seed, call.width, call.height, transparent=transparent)

    if call.stream:
        return stream_response(_stream_events(call, draw, "image_generation", 0))
    return ok(_response(request, state, call, _pictures(call, draw), 0))


async def _form(request: Request, state: ServerState, max_files: int) -> tuple[MultipartForm, list[bytes]]:
    """The multipart form and the bytes of its file parts (read, then removed from disk)."""
    dest = state.store.blob_path(new_id("upload-"))
    form = await read_multipart(request, state.settings.max_upload_bytes, dest, max_files=max_files)
    try:
        return form, [f.path.read_bytes() for _, f in form.file_parts]
    finally:
        for _, f in form.file_parts:
            f.path.unlink(missing_ok=True)


def _form_body(form: MultipartForm) -> dict[str, Any]:
    """Form fields with the types of the JSON body (``n`` an integer, ``stream`` a boolean)."""
    body: dict[str, Any] = dict(form.fields)
    for name in ("n", "output_compression", "partial_images"):
        if name in body:
            raw = body[name]
            if not raw.strip().lstrip("-").isdigit():
                raise invalid(
                    name, f"Invalid '{name}': expected an integer, got '{raw}'.", code="invalid_type"
                )
            body[name] = int(raw)
    if "stream" in body:
        body["stream"] = body["stream"].strip().lower() == "true"
    return body


def _checked_image(data: bytes, param: str) -> imaging.Pixels | None:
    if not data:
        raise invalid(param, f"Invalid '{param}': the file is empty.", code="invalid_image")
    dims = imaging.image_size(data)
    if dims is not None and dims[0] * dims[1] > MAX_INPUT_PIXELS:
        raise invalid(
            param,
            f"Invalid '{param}': {dims[0]}x{dims[1]} is too large; images may have at most "
            f"{MAX_INPUT_PIXELS} pixels.",
            code="image_too_large",
        )
    if dims is None:
        raise invalid(
            param,
            f"Invalid '{param}': the file is not an image this server can read "
            "(PNG always; JPEG and WebP with Pillow installed).",
            code="invalid_image_format",
        )
    return imaging.decode(data)


async def edits(request: Request) -> Response:
    state = state_of(request)
    form, blobs = await _form(request, state, MAX_IMAGES + 1)
    images = [
        data for (name, _), data in zip(form.file_parts, blobs, strict=True) if name in ("image", "image[]")
    ]
    masks = [data for (name, _), data in zip(form.file_parts, blobs, strict=True) if name == "mask"]
    if not images:
        raise missing("image")
    decoded = [_checked_image(data, "image") for data in images]
    mask = _checked_image(masks[0], "mask") if masks else None
    if masks and imaging.image_size(masks[0]) != imaging.image_size(images[0]):
        raise invalid("mask", "Invalid 'mask': the mask must have the same dimensions as the image.")
    digest = hashlib.sha256(b"".join(hashlib.sha256(d).digest() for d in images + masks)).digest()
    call = _parse("edit", _form_body(form), "dall-e-2", digest)
    _count(state, call)
    original = decoded[0]

    def draw(seed: bytes) -> imaging.Pixels:
        return imaging.edit(original, mask, seed, call.width, call.height)

    if call.stream:
        return stream_response(_stream_events(call, draw, "image_edit", len(images)))
    return ok(_response(request, state, call, _pictures(call, draw), len(images)))


async def variations(request: Request) -> Response:
    state = state_of(request)
    form, blobs = await _form(request, state, 1)
    if not blobs or form.file_parts[0][0] != "image":
        raise missing("image")
    original = _checked_image(blobs[0], "image")
    body = _form_body(form)
    if "model" in body and body["model"] != "dall-e-2":
        raise invalid("model", "Invalid 'model': variations are only supported by dall-e-2.", code=None)
    call = _parse("variation", body, "dall-e-2", hashlib.sha256(blobs[0]).digest())
    _count(state, call)

    def draw(seed: bytes) -> imaging.Pixels:
        return imaging.edit(original, None, seed, call.width, call.height)

    return ok(_response(request, state, call, _pictures(call, draw), 1))


async def image_file(request: Request) -> Response:
    """The bytes behind a ``url`` response (no API key needed: the name is an unguessable token)."""
    name = request.path_params["name"]
    path = state_of(request).store.blob_path(name)
    if not _FILE_NAME.match(name) or not path.is_file():
        raise RequestError(404, f"No image found with name '{name}'.", code="not_found")
    return FileResponse(path, media_type=imaging.MEDIA_TYPES[name.rsplit(".", 1)[1]])


#: paths served without the API key (see ``app.GuardMiddleware``)
PUBLIC_PREFIX = "/v1/images/files/"

ROUTES = [
    Route("/images/generations", generations, methods=["POST"]),
    Route("/images/edits", edits, methods=["POST"]),
    Route("/images/variations", variations, methods=["POST"]),
    Route("/images/files/{name}", image_file, methods=["GET"]),
]
