"""Request encoding: JSON bodies and query strings as the API expects them (no IO).

- JSON bodies: top-level ``NOT_GIVEN`` values are dropped by the caller; models are dumped as the fields
  that were set, by alias; sets and other iterables become lists.
- Query strings: ``None`` / ``NOT_GIVEN`` values are dropped, booleans become ``true`` / ``false``, a list
  repeats its key (the key exactly as the spec names it, e.g. ``include[]``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from ._types import NotGiven

__all__ = ["clean_query", "encode_query", "json_default"]


def json_default(value: Any) -> Any:
    """orjson's ``default`` for what it cannot encode by itself."""
    if isinstance(value, NotGiven):
        raise TypeError("NOT_GIVEN cannot be sent inside a value; leave the key out instead")
    dump = getattr(value, "model_dump", None)
    if dump is not None:
        return dump(mode="json", exclude_unset=True, by_alias=True)
    if isinstance(value, (set, frozenset)) or hasattr(value, "__iter__"):
        return list(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def clean_query(query: Mapping[str, object] | None) -> dict[str, object]:
    """``query`` without its ``None`` and ``NOT_GIVEN`` values."""
    if not query:
        return {}
    return {k: v for k, v in query.items() if v is not None and not isinstance(v, NotGiven)}


def encode_query(query: Mapping[str, object]) -> str:
    pairs: list[tuple[str, str]] = []
    for key, value in query.items():
        values = value if isinstance(value, (list, tuple)) else (value,)
        for v in values:
            if v is True:
                pairs.append((key, "true"))
            elif v is False:
                pairs.append((key, "false"))
            else:
                pairs.append((key, str(v)))
    return urlencode(pairs)
