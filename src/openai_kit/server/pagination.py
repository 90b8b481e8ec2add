"""Cursor pagination of list endpoints: ``limit``, ``order``, ``after``, ``before``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import invalid


def query_int(query: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid(
            name, f"Invalid '{name}': expected an integer, but got '{raw}'.", code="invalid_type"
        ) from None
    if not lo <= value <= hi:
        raise invalid(
            name, f"Invalid '{name}': {value} is outside the range {lo} to {hi}.", code="invalid_value"
        )
    return value


def query_order(query: Mapping[str, str], default: str) -> str:
    order = query.get("order") or default
    if order not in ("asc", "desc"):
        raise invalid(
            "order",
            f"Invalid value: '{order}'. Supported values are: 'asc' and 'desc'.",
            code="invalid_value",
        )
    return order


def paginate(
    items: list[dict[str, Any]],
    query: Mapping[str, str],
    *,
    default_order: str = "desc",
    max_limit: int = 100,
    default_limit: int = 20,
    ordered: bool = True,
) -> dict[str, Any]:
    """A list page; ``items`` come oldest first. An ``ordered=False`` list keeps ``default_order`` (its
    ``order`` query is still checked)."""
    limit = query_int(query, "limit", default_limit, 1, max_limit)
    order = query_order(query, default_order)
    if not ordered:
        order = default_order
    seq = items if order == "asc" else list(reversed(items))
    after, before = query.get("after"), query.get("before")
    if after:
        idx = next((i for i, it in enumerate(seq) if it["id"] == after), None)
        if idx is None:
            raise invalid("after", f"Invalid 'after': no object with id '{after}' in this list.")
        seq = seq[idx + 1 :]
    if before:
        idx = next((i for i, it in enumerate(seq) if it["id"] == before), None)
        if idx is None:
            raise invalid("before", f"Invalid 'before': no object with id '{before}' in this list.")
        seq = seq[:idx]
        has_more = len(seq) > limit
        page = seq[-limit:]
    else:
        has_more = len(seq) > limit
        page = seq[:limit]
    return list_body(page, has_more)


def list_body(page: list[dict[str, Any]], has_more: bool = False) -> dict[str, Any]:
    return {
        "object": "list",
        "data": page,
        "first_id": page[0]["id"] if page else None,
        "last_id": page[-1]["id"] if page else None,
        "has_more": has_more,
    }
