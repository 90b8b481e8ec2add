"""Helpers shared by generated code and the core."""

from __future__ import annotations

from urllib.parse import quote

__all__ = ["path_param"]


def path_param(name: str, value: object) -> str:
    """Percent-encode a path parameter, refusing empty values (they would silently hit another route)."""
    if value is None or (isinstance(value, str) and not value):
        raise ValueError(f"Expected a non-empty value for `{name}` but received {value!r}")
    if not isinstance(value, (str, int)):
        raise TypeError(f"`{name}` must be a string, not {type(value).__name__}")
    return quote(str(value), safe="")
