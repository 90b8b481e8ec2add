"""Helpers shared by generated code and the core."""

from __future__ import annotations

from urllib.parse import quote

__all__ = ["package_of", "path_param"]


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
