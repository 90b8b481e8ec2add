"""Generate a JSON value that satisfies a JSON schema (the subset structured outputs and tools use).

Supported: ``type`` (also lists), ``const``, ``enum``, ``anyOf``/``oneOf``/``allOf``, local ``$ref`` to
``$defs``/``definitions``, objects (``properties``, ``required``, ``additionalProperties``,
``minProperties``), arrays (``items``, ``prefixItems``, ``minItems``/``maxItems``, ``uniqueItems``),
strings (``minLength``/``maxLength``, ``pattern``, common ``format`` values), numbers and integers
(``minimum``/``maximum``, exclusive bounds, ``multipleOf``). Output is deterministic.
"""

from __future__ import annotations

import importlib
import math
import re
from typing import Any

_FORMATS = {
    "date-time": "2024-01-01T00:00:00Z",
    "date": "2024-01-01",
    "time": "00:00:00Z",
    "duration": "P1D",
    "email": "user@example.com",
    "idn-email": "user@example.com",
    "hostname": "example.com",
    "idn-hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "uri": "https://example.com/",
    "iri": "https://example.com/",
    "uri-reference": "/example",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "regex": ".*",
}

_MAX_DEPTH = 12


class SchemaError(ValueError):
    """The schema is malformed or cannot be satisfied by this generator."""


def fake_value(schema: Any, *, text: str = "", root: Any = None) -> Any:
    """A value valid against ``schema``; ``text`` seeds the first free-form string."""
    gen = _Generator(root if root is not None else schema, text)
    return gen.value(schema, depth=0, name="value")


class _Generator:
    def __init__(self, root: Any, text: str) -> None:
        self.root = root
        self.text = text
        self.text_used = False

    def resolve(self, ref: str) -> Any:
        if not ref.startswith("#"):
            raise SchemaError(f"only local references are supported, got {ref!r}")
        node = self.root
        for part in ref[1:].split("/"):
            if not part:
                continue
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise SchemaError(f"unresolvable reference {ref!r}")
        return node

    def value(self, schema: Any, *, depth: int, name: str) -> Any:
        if schema is True or schema is None or schema == {}:
            return self.string({}, name)
        if schema is False:
            raise SchemaError("the schema 'false' accepts no value")
        if not isinstance(schema, dict):
            raise SchemaError("a schema must be an object or a boolean")
        if depth > _MAX_DEPTH:
            raise SchemaError("the schema nests too deeply")
        if "$ref" in schema:
            target = self.resolve(schema["$ref"])
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            return self.value(
                {**target, **rest} if isinstance(target, dict) else target, depth=depth + 1, name=name
            )
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            if not schema["enum"]:
                raise SchemaError("empty enum")
            return schema["enum"][0]
        if "allOf" in schema:
            merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
            for sub in schema["allOf"]:
                sub = self.resolve(sub["$ref"]) if isinstance(sub, dict) and "$ref" in sub else sub
                if isinstance(sub, dict):
                    merged = _merge(merged, sub)
            return self.value(merged, depth=depth + 1, name=name)
        for key in ("anyOf", "oneOf"):
            if key in schema:
                options = schema[key]
                if not options:
                    raise SchemaError(f"empty {key}")
                # prefer a branch that is not plain null, so the value carries information
                chosen = next(
                    (o for o in options if not (isinstance(o, dict) and o.get("type") == "null")), options[0]
                )
                base = {k: v for k, v in schema.items() if k != key}
                return self.value(
                    _merge(base, chosen) if isinstance(chosen, dict) else chosen, depth=depth + 1, name=name
                )
        kind = schema.get("type")
        if isinstance(kind, list):
            kinds = [k for k in kind if k != "null"] or ["null"]
            kind = kinds[0]
        if kind is None:
            kind = _infer_type(schema)
        if kind == "object":
            return self.object(schema, depth)
        if kind == "array":
            return self.array(schema, depth, name)
        if kind == "string":
            return self.string(schema, name)
        if kind == "integer":
            return self.number(schema, integer=True)
        if kind == "number":
            return self.number(schema, integer=False)
        if kind == "boolean":
            return True
        if kind == "null":
            return None
        raise SchemaError(f"unknown type {kind!r}")

    def object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        props: dict[str, Any] = schema.get("properties") or {}
        out: dict[str, Any] = {}
        for key, sub in props.items():
            out[key] = self.value(sub, depth=depth + 1, name=key)
        for key in schema.get("required") or []:
            if key not in out:
                out[key] = self.value(_additional(schema), depth=depth + 1, name=key)
        i = 0
        while len(out) < int(schema.get("minProperties", 0)):
            key = f"property_{i}"
            i += 1
            if key not in out:
                out[key] = self.value(_additional(schema), depth=depth + 1, name=key)
        return out

    def array(self, schema: dict[str, Any], depth: int, name: str) -> list[Any]:
        lo = int(schema.get("minItems", 0))
        hi = schema.get("maxItems")
        count = max(lo, 1)
        if hi is not None:
            count = min(count, int(hi))
        prefix: list[Any] = schema.get("prefixItems") or []
        items = schema.get("items", {})
        out: list[Any] = []
        for i in range(count):
            sub = prefix[i] if i < len(prefix) else items
            if sub is False:
                break
            value = self.value(sub, depth=depth + 1, name=name)
            target = self.resolve(sub["$ref"]) if isinstance(sub, dict) and "$ref" in sub else sub
            if schema.get("uniqueItems") and value in out and isinstance(target, dict) and target.get("enum"):
                fresh = [e for e in target["enum"] if e not in out]
                if not fresh:
                    break
                value = fresh[0]
            elif schema.get("uniqueItems") and value in out:
                value = _vary(value, i)
            out.append(value)
        return out

    def string(self, schema: dict[str, Any], name: str) -> str:
        fmt = schema.get("format")
        pattern = schema.get("pattern")
        if isinstance(fmt, str) and fmt in _FORMATS:
            candidate = _FORMATS[fmt]
        elif pattern is not None:
            candidate = _from_pattern(str(pattern))
        elif not self.text_used and self.text:
            candidate = self.text
            self.text_used = True
        else:
            candidate = name
        lo = int(schema.get("minLength", 0))
        hi = schema.get("maxLength")
        if pattern is None or len(candidate) < lo or (hi is not None and len(candidate) > int(hi)):
            if len(candidate) < lo:
                candidate = candidate + "x" * (lo - len(candidate))
            if hi is not None and len(candidate) > int(hi):
                candidate = candidate[: int(hi)]
        return candidate

    def number(self, schema: dict[str, Any], *, integer: bool) -> int | float:
        lo = schema.get("minimum")
        hi = schema.get("maximum")
        xlo = schema.get("exclusiveMinimum")
        xhi = schema.get("exclusiveMaximum")
        step = schema.get("multipleOf")
        low = -math.inf
        high = math.inf
        if lo is not None:
            low = float(lo)
        if xlo is not None and not isinstance(xlo, bool):
            low = max(low, float(xlo) + (1 if integer else 1e-6))
        if hi is not None:
            high = float(hi)
        if xhi is not None and not isinstance(xhi, bool):
            high = min(high, float(xhi) - (1 if integer else 1e-6))
        value = 1.0 if low <= 1.0 <= high else (low if low != -math.inf else high)
        if step:
            s = float(step)
            value = math.ceil(value / s) * s
            if value > high:
                value = math.floor(high / s) * s
        if integer:
            iv = math.ceil(value)
            if iv > high:
                iv = math.floor(high)
            return int(iv)
        return value


def _additional(schema: dict[str, Any]) -> Any:
    extra = schema.get("additionalProperties", True)
    return {"type": "string"} if extra in (True, None) or extra is False else extra


def _infer_type(schema: dict[str, Any]) -> str:
    if "properties" in schema or "required" in schema or "additionalProperties" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    if "minimum" in schema or "maximum" in schema or "multipleOf" in schema:
        return "number"
    return "string"


def _merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for key, value in b.items():
        if key == "properties" and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        elif key == "required" and isinstance(out.get(key), list):
            out[key] = list(dict.fromkeys([*out[key], *value]))
        else:
            out[key] = value
    return out


def _vary(value: Any, i: int) -> Any:
    if isinstance(value, str):
        return f"{value}{i}"
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + i
    if isinstance(value, dict):
        return {**value, f"item_{i}": i}
    return [*value, i] if isinstance(value, list) else value


# -- strings matching a regular expression ------------------------------------------------------

try:  # the regular-expression parser of the standard library (``sre_parse`` before Python 3.11)
    _sre: Any = importlib.import_module("re._parser")
except ImportError:  # pragma: no cover - Python 3.10
    _sre = importlib.import_module("sre_parse")

_CATEGORY_SAMPLE = {
    "CATEGORY_DIGIT": "0",
    "CATEGORY_NOT_DIGIT": "a",
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_SPACE": "a",
    "CATEGORY_WORD": "a",
    "CATEGORY_NOT_WORD": "-",
}


def _from_pattern(pattern: str) -> str:
    try:
        parsed = _sre.parse(pattern)
        out = _emit(parsed)
    except Exception as exc:
        raise SchemaError(f"cannot generate a string for pattern {pattern!r}: {exc}") from None
    if re.search(pattern, out) is None:
        raise SchemaError(f"cannot generate a string for pattern {pattern!r}")
    return out


def _emit(items: Any) -> str:
    out: list[str] = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append("a" if arg != ord("a") else "b")
        elif name == "ANY":
            out.append("a")
        elif name == "IN":
            out.append(_emit_in(arg))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            lo, _hi, sub = arg
            out.append(_emit(sub) * int(lo))
        elif name == "SUBPATTERN":
            out.append(_emit(arg[-1]))
        elif name == "BRANCH":
            out.append(_emit(arg[1][0]))
        elif name in ("AT", "ASSERT", "ASSERT_NOT"):
            continue
        elif name == "CATEGORY":
            out.append(_CATEGORY_SAMPLE.get(str(arg), "a"))
        else:
            raise SchemaError(f"unsupported regular expression feature {name}")
    return "".join(out)


def _emit_in(members: Any) -> str:
    negate = any(str(op) == "NEGATE" for op, _ in members)
    if negate:
        excluded = {chr(a) for op, a in members if str(op) == "LITERAL"}
        for ch in "aZ0_-x":
            if ch not in excluded and not any(
                str(op) == "RANGE" and a[0] <= ord(ch) <= a[1] for op, a in members
            ):
                return ch
        raise SchemaError("negated character class too wide")
    for op, arg in members:
        name = str(op)
        if name == "LITERAL":
            return chr(arg)
        if name == "RANGE":
            return chr(arg[0])
        if name == "CATEGORY":
            return _CATEGORY_SAMPLE.get(str(arg), "a")
    raise SchemaError("empty character class")
