"""Deterministic pictures for the images endpoints: the same seed (prompt, input images) draws the same
pixels, different seeds draw visibly different pictures (colours, gradient direction and shapes all
come from the seed's SHA-256).

PNG is written here with zlib (nothing else needed); JPEG and WebP are encoded by Pillow when it is
installed (the ``server`` extra brings it), and Pillow also decodes the images of edits and variations.
"""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Pixels = npt.NDArray[np.uint8]

FORMATS = ("png", "jpeg", "webp")
MEDIA_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


class EncoderMissing(Exception):
    """The requested format needs Pillow, which is not installed."""


def render(seed: bytes, width: int, height: int, *, transparent: bool = False) -> Pixels:
    """An RGB (or RGBA when ``transparent``) picture drawn from ``seed``: a two-colour gradient at a
    seed-chosen angle with seed-placed discs and bars."""
    import numpy as np

    digest = hashlib.sha256(seed).digest()
    more = hashlib.sha256(digest).digest()
    c1 = np.array(list(digest[0:3]), dtype=np.float32)
    c2 = np.array(list(digest[3:6]), dtype=np.float32)
    angle = digest[6] / 255 * 2 * np.pi
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    xs /= max(width - 1, 1)
    ys /= max(height - 1, 1)
    t = (np.cos(angle) * (xs - 0.5) + np.sin(angle) * (ys - 0.5)) / 1.42 + 0.5
    img = c1 * (1 - t)[..., None] + c2 * t[..., None]
    for i in range(4):
        b = more[i * 7 : i * 7 + 7]
        cx, cy, r = b[0] / 255, b[1] / 255, 0.08 + b[2] / 255 * 0.25
        colour = np.array([b[3], b[4], b[5]], dtype=np.float32)
        if b[6] % 2:
            inside = (xs - cx) ** 2 + ((ys - cy) * height / max(width, 1)) ** 2 < r * r
        else:
            inside = (np.abs(xs - cx) < r) & (np.abs(ys - cy) < r / 3)
        img[inside] = colour
    out = np.clip(img, 0, 255).astype(np.uint8)
    if transparent:
        alpha = np.full((height, width, 1), 255, dtype=np.uint8)
        alpha[(xs < 0.1) | (xs > 0.9) | (ys < 0.1) | (ys > 0.9)] = 0
        out = np.concatenate([out, alpha], axis=2)
    result: Pixels = out
    return result


def reveal(pixels: Pixels, fraction: float) -> Pixels:
    """A partial image for streaming: the top ``fraction`` of the rows, the rest grey."""
    out = pixels.copy()
    out[int(pixels.shape[0] * fraction) :] = 128
    result: Pixels = out
    return result


def png(pixels: Pixels) -> bytes:
    """An 8-bit RGB or RGBA PNG (filter 0 on every row)."""
    import numpy as np

    height, width, channels = pixels.shape
    rows = np.concatenate([np.zeros((height, 1), dtype=np.uint8), pixels.reshape(height, -1)], axis=1)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    colour_type = 6 if channels == 4 else 2
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows.tobytes(), 6))
        + chunk(b"IEND", b"")
    )


def encode(pixels: Pixels, fmt: str, quality: int = 100) -> bytes:
    if fmt == "png":
        return png(pixels)
    try:
        from PIL import Image
    except ImportError:
        raise EncoderMissing(fmt) from None
    buf = io.BytesIO()
    image = Image.fromarray(pixels)
    if fmt == "jpeg" and image.mode == "RGBA":
        image = image.convert("RGB")
    image.save(buf, format=fmt.upper(), quality=max(1, min(quality, 100)))
    return buf.getvalue()


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG from its header, or of any image Pillow reads; ``None`` if unreadable."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24 and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    decoded = decode(data)
    return None if decoded is None else (decoded.shape[1], decoded.shape[0])


def decode(data: bytes) -> Pixels | None:
    """RGBA pixels of an image (needs Pillow); ``None`` when it cannot be read."""
    try:
        import numpy as np
        from PIL import Image
    except ImportError:
        return None
    try:
        with Image.open(io.BytesIO(data)) as image:
            rgba: Any = image.convert("RGBA")
            pixels: Pixels = np.asarray(rgba, dtype=np.uint8).copy()
            return pixels
    except Exception:
        return None


def resize(pixels: Pixels, width: int, height: int) -> Pixels:
    """Nearest-neighbour resize."""
    import numpy as np

    h, w = pixels.shape[:2]
    rows = (np.arange(height) * h // max(height, 1)).clip(0, h - 1)
    cols = (np.arange(width) * w // max(width, 1)).clip(0, w - 1)
    result: Pixels = pixels[rows][:, cols]
    return result


def edit(original: Pixels | None, mask: Pixels | None, seed: bytes, width: int, height: int) -> Pixels:
    """The edit of ``original``: where ``mask`` is transparent (or, without a mask, where the original
    is transparent; or everywhere when nothing can be decoded) the seed's picture shows through."""
    import numpy as np

    drawn = render(seed, width, height, transparent=False)
    if original is None:
        return drawn
    base = resize(original, width, height)
    holes = resize(mask, width, height)[..., 3] < 128 if mask is not None else base[..., 3] < 128
    if not holes.any():
        # nothing to fill: blend the new picture over the whole image so the edit is visible
        blended: Pixels = ((base[..., :3].astype(np.uint16) + drawn.astype(np.uint16)) // 2).astype(np.uint8)
        return blended
    out: Pixels = base[..., :3].copy()
    out[holes] = drawn[holes]
    return out
