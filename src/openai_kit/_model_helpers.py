"""Conveniences that some generated models add on top of what the API sends (mixed in by codegen,
see ``MODEL_MIXINS`` in ``codegen/typegen.py``)."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._bound import (
    BatchHelpers,
    FileHelpers,
    FineTuningJobHelpers,
    RunHelpers,
    ThreadHelpers,
    VectorStoreHelpers,
)

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Protocol

    from .types.images import Image, ImagesResponse

    # The host of ImagesResponseHelpers: the fields of the generated ImagesResponse it reads (checked
    # by _hosts() at the end).
    class _ImagesHost(Protocol):
        @property
        def created(self) -> int: ...
        @property
        def data(self) -> Sequence[Image] | None: ...
        @property
        def output_format(self) -> str | None: ...
        def save(
            self, directory: str | os.PathLike[str] = ".", *, prefix: str = "image", timeout: float = 60
        ) -> list[Path]: ...


__all__ = [
    "BatchHelpers",
    "FileHelpers",
    "FineTuningJobHelpers",
    "ImagesResponseHelpers",
    "ModerationResultHelpers",
    "ResponseHelpers",
    "RunHelpers",
    "ThreadHelpers",
    "VectorStoreHelpers",
]


class ResponseHelpers:
    """``Response.output_text``, as in the official SDK: computed from ``output``, never sent."""

    __slots__ = ()

    @property
    def output_text(self) -> str:
        """The text of every ``output_text`` part of every message in ``output``, joined ("" if none)."""
        texts: list[str] = []
        item: Any
        for item in getattr(self, "output", None) or ():
            if getattr(item, "type", None) != "message":
                continue
            for part in getattr(item, "content", None) or ():
                if getattr(part, "type", None) == "output_text":
                    texts.append(part.text)
        return "".join(texts)


_MAGIC = ((b"\x89PNG", "png"), (b"\xff\xd8\xff", "jpeg"), (b"GIF8", "gif"))


def _image_ext(data: bytes, declared: str | None) -> str:
    for magic, ext in _MAGIC:
        if data.startswith(magic):
            return ext
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return declared or "png"


def _fetch(url: str, timeout: float) -> bytes:
    import urllib3

    if not url.startswith(("http://", "https://")):
        raise ValueError(f"cannot download an image from {url[:60]!r}: only http(s) URLs")
    http = urllib3.PoolManager(timeout=urllib3.Timeout(total=timeout), retries=urllib3.Retry(2))
    try:
        reply = http.request("GET", url)
        if reply.status != 200:
            raise OSError(f"downloading {url[:80]} answered HTTP {reply.status}")
        return bytes(reply.data)
    finally:
        http.clear()


class ImagesResponseHelpers:
    """``ImagesResponse.save(directory)``: every generated image written to a directory."""

    __slots__ = ()

    def save(
        self: _ImagesHost,
        directory: str | os.PathLike[str] = ".",
        *,
        prefix: str = "image",
        timeout: float = 60,
    ) -> list[Path]:
        """Write each image (base64 results decoded, URL results downloaded) to ``directory`` as
        ``{prefix}-{created}-{n}.{png|jpeg|webp}``, each atomically; returns the paths in order."""
        from ._binary import safe_filename, write_atomically

        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        stem = safe_filename(prefix) or "image"
        paths: list[Path] = []
        for n, image in enumerate(self.data or ()):
            if image.b64_json:
                data = base64.b64decode(image.b64_json)
            elif image.url:
                data = _fetch(image.url, timeout)
            else:
                raise ValueError(f"image {n} has neither b64_json nor url")
            path = folder / f"{stem}-{self.created}-{n}.{_image_ext(data, self.output_format)}"
            write_atomically(str(path), iter((data,)))
            paths.append(path)
        return paths

    async def asave(
        self: _ImagesHost,
        directory: str | os.PathLike[str] = ".",
        *,
        prefix: str = "image",
        timeout: float = 60,
    ) -> list[Path]:
        """:meth:`save` in a worker thread (downloads and writes do not block the event loop)."""
        import asyncio

        return await asyncio.to_thread(self.save, directory, prefix=prefix, timeout=timeout)


class ModerationResultHelpers:
    """``result.flagged_categories()``: the names of the categories a moderation result flagged."""

    __slots__ = ()

    def flagged_categories(self) -> list[str]:
        """The flagged categories by their API names (``"self-harm/intent"``...), in the API's order;
        categories added later by the API are included too."""
        categories: Any = getattr(self, "categories", None)
        if categories is None:
            return []
        return [name for name, hit in categories.model_dump(by_alias=True).items() if hit is True]


if TYPE_CHECKING:

    def _hosts(images: ImagesResponse) -> _ImagesHost:
        """Never called: mypy checks here that the generated model is the host its helpers expect."""
        return images
