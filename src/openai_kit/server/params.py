"""Checks of request parameters that fail with a 400 naming the parameter."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from .errors import invalid, missing

_TYPE_NAMES = {
    str: "a string",
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    dict: "an object",
    list: "an array",
}


def _check_type(name: str, value: Any, kind: type) -> None:
    if kind is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, kind)
    if not ok:
        raise invalid(
            name,
            f"Invalid type for '{name}': expected {_TYPE_NAMES[kind]}, but got {_describe(value)}.",
            code="invalid_type",
        )


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    for kind, label in (
        (bool, "a boolean"),
        (str, "a string"),
        (int, "an integer"),
        (float, "a number"),
        (dict, "an object"),
        (list, "an array"),
    ):
        if isinstance(value, kind):
            return label
    return "an unknown value"


def req_str(body: dict[str, Any], name: str, *, path: str | None = None) -> str:
    value = body.get(name)
    label = path or name
    if value is None:
        raise missing(label)
    _check_type(label, value, str)
    if not value:
        raise invalid(label, f"Invalid '{label}': empty string.", code="empty_string")
    result: str = value
    return result


def opt_str(
    body: dict[str, Any],
    name: str,
    default: str | None = None,
    *,
    path: str | None = None,
    max_len: int | None = None,
) -> str | None:
    value = body.get(name)
    if value is None:
        return default
    label = path or name
    _check_type(label, value, str)
    if max_len is not None and len(value) > max_len:
        raise invalid(
            label,
            f"Invalid '{label}': string too long. Expected a string with maximum length {max_len}, "
            f"but got a string with length {len(value)} instead.",
            code="string_above_max_length",
        )
    result: str = value
    return result


def opt_bool(body: dict[str, Any], name: str, default: bool = False) -> bool:
    value = body.get(name)
    if value is None:
        return default
    _check_type(name, value, bool)
    return bool(value)


def opt_int(
    body: dict[str, Any],
    name: str,
    default: int | None = None,
    *,
    lo: int | None = None,
    hi: int | None = None,
    path: str | None = None,
) -> int | None:
    value = body.get(name)
    if value is None:
        return default
    _check_type(path or name, value, int)
    _check_range(path or name, value, lo, hi)
    result: int = value
    return result


def opt_num(
    body: dict[str, Any],
    name: str,
    default: float | None = None,
    *,
    lo: float | None = None,
    hi: float | None = None,
) -> float | None:
    value = body.get(name)
    if value is None:
        return default
    _check_type(name, value, float)
    _check_range(name, value, lo, hi)
    return float(value)


def _check_range(name: str, value: float, lo: float | None, hi: float | None) -> None:
    if lo is not None and value < lo:
        raise invalid(
            name,
            f"Invalid '{name}': {value} is less than the minimum of {lo}.",
            code="integer_below_min_value" if isinstance(value, int) else "decimal_below_min_value",
        )
    if hi is not None and value > hi:
        raise invalid(
            name,
            f"Invalid '{name}': {value} is greater than the maximum of {hi}.",
            code="integer_above_max_value" if isinstance(value, int) else "decimal_above_max_value",
        )


def opt_enum(
    body: dict[str, Any],
    name: str,
    allowed: Collection[str],
    default: str | None = None,
    *,
    path: str | None = None,
) -> str | None:
    label = path or name
    value = opt_str(body, name, default, path=label)
    if value is not None and value not in allowed:
        choices = ", ".join(f"'{a}'" for a in allowed)
        raise invalid(
            label, f"Invalid value: '{value}'. Supported values are: {choices}.", code="invalid_value"
        )
    return value


def opt_dict(body: dict[str, Any], name: str, *, path: str | None = None) -> dict[str, Any] | None:
    value = body.get(name)
    if value is None:
        return None
    _check_type(path or name, value, dict)
    result: dict[str, Any] = value
    return result


def opt_list(
    body: dict[str, Any], name: str, *, path: str | None = None, max_items: int | None = None
) -> list[Any] | None:
    value = body.get(name)
    if value is None:
        return None
    label = path or name
    _check_type(label, value, list)
    if max_items is not None and len(value) > max_items:
        raise invalid(
            label,
            f"Invalid '{label}': array too long. Expected an array with maximum length "
            f"{max_items}, but got an array with length {len(value)} instead.",
            code="array_above_max_length",
        )
    result: list[Any] = value
    return result


def metadata(body: dict[str, Any], name: str = "metadata") -> dict[str, str] | None:
    """Up to 16 string pairs; keys up to 64 characters, values up to 512."""
    value = opt_dict(body, name)
    if value is None:
        return None
    if len(value) > 16:
        raise invalid(
            name, f"Invalid '{name}': too many properties. Expected an object with at most 16 properties."
        )
    for k, v in value.items():
        if len(k) > 64:
            raise invalid(f"{name}.{k}", f"Invalid '{name}': key '{k[:20]}...' is longer than 64 characters.")
        if not isinstance(v, str):
            raise invalid(
                f"{name}.{k}",
                f"Invalid type for '{name}.{k}': expected a string, but got {_describe(v)}.",
                code="invalid_type",
            )
        if len(v) > 512:
            raise invalid(f"{name}.{k}", f"Invalid '{name}.{k}': string longer than 512 characters.")
    return {str(k): str(v) for k, v in value.items()}
