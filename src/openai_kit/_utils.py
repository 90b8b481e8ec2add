"""Helpers shared by generated code and the core."""

from __future__ import annotations

import array
import base64
import sys
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from ._types import NotGiven

__all__ = [
    "decode_embedding",
    "decode_embeddings",
    "deep_object",
    "file_fields",
    "header_fields",
    "package_of",
    "path_param",
    "warn_deprecated",
]


def path_param(name: str, value: object) -> str:
    """Percent-encode a path parameter, refusing empty values (they would silently hit another route)."""
    if value is None or (isinstance(value, str) and not value):
        raise ValueError(f"Expected a non-empty value for `{name}` but received {value!r}")
    if not isinstance(value, (str, int)):
        raise TypeError(f"`{name}` must be a string, not {type(value).__name__}")
    return quote(str(value), safe="")


def package_of(obj: object, *packages: str) -> str | None:
    """Which of ``packages`` the class of ``obj`` (or one of its bases) comes from, without importing
    any of them: ``package_of(client, "httpx", "httpx2")`` is true for an ``httpx.Client`` subclass."""
    for cls in type(obj).__mro__:
        top = cls.__module__.partition(".")[0]
        if top in packages:
            return top
    return None


def file_fields(files: Mapping[str, Any]) -> dict[str, Any]:
    """The file parts the caller gave (``NOT_GIVEN`` ones dropped)."""
    return {k: v for k, v in files.items() if not isinstance(v, NotGiven)}


def header_fields(headers: Mapping[str, Any]) -> dict[str, str] | None:
    """Header parameters as strings; lists are comma-joined, ``NOT_GIVEN``/``None`` dropped."""
    out: dict[str, str] = {}
    for k, v in headers.items():
        if v is None or isinstance(v, NotGiven):
            continue
        out[k] = ",".join(str(x) for x in v) if isinstance(v, (list, tuple)) else str(v)
    return out or None


def deep_object(name: str, value: object) -> dict[str, object]:
    """An object query parameter as ``name[key]=value`` pairs."""
    if value is None or isinstance(value, NotGiven) or not isinstance(value, Mapping):
        return {}
    return {f"{name}[{k}]": v for k, v in value.items()}


def decode_embedding(data: str) -> list[float]:
    """A base64 little-endian float32 vector as a list of floats (no numpy needed)."""
    values = array.array("f")
    values.frombytes(base64.b64decode(data))
    if sys.byteorder == "big":
        values.byteswap()
    return values.tolist()


def decode_embeddings(result: Any) -> Any:
    """An embeddings result asked for as base64 (for speed) with its vectors decoded to floats."""
    for item in result.data:
        if isinstance(item.embedding, str):
            item.embedding = decode_embedding(item.embedding)
    return result


def warn_deprecated(message: str) -> None:
    """A ``DeprecationWarning`` pointing at the code that called the deprecated operation."""
    import warnings

    warnings.warn(message, DeprecationWarning, stacklevel=3)
