"""Generate a JSON value that satisfies a JSON schema (the subset structured outputs and tools use).

Supported: ``type`` (also lists), ``const``, ``enum``, ``anyOf``/``oneOf``/``allOf``, local ``$ref`` to
``$defs``/``definitions``, objects (``properties``, ``required``, ``additionalProperties``,
``minProperties``), arrays (``items``, ``prefixItems``, ``minItems``/``maxItems``, ``uniqueItems``),
strings (``minLength``/``maxLength``, ``pattern``, common ``format`` values), numbers and integers
(``minimum``/``maximum``, exclusive bounds, ``multipleOf``). Output is deterministic.
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib
import math
import time
from collections.abc import Iterator
from typing import Any

import orjson
import regex

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
#: the largest value generated (about its JSON size in bytes): far above any model's output limit
MAX_OUTPUT_BYTES = 1024 * 1024
#: the most values (strings, numbers, array items, properties...) generated for one schema
MAX_NODES = 100_000
#: the longest one generation may take
MAX_SECONDS = 2.0
#: the longest one match of a ``pattern`` may take (a legitimate one takes microseconds)
_MATCH_SECONDS = 0.5
#: orjson writes integers in this range only
_INT_RANGE = (-(2**63), 2**64 - 1)


class SchemaError(ValueError):
    """The schema is malformed or cannot be satisfied by this generator."""


class Budget:
    """What generation may still spend: output bytes, values and time."""

    def __init__(self) -> None:
        self.room = MAX_OUTPUT_BYTES
        self.nodes = 0
        self.deadline = time.monotonic() + MAX_SECONDS


_shared: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("schema_budget", default=None)


@contextlib.contextmanager
def shared_budget() -> Iterator[Budget]:
    """Every ``fake_value`` inside draws on one budget (all the choices and tool calls of a request)."""
    budget = Budget()
    token = _shared.set(budget)
    try:
        yield budget
    finally:
        _shared.reset(token)


def fake_value(schema: Any, *, text: str = "", root: Any = None) -> Any:
    """A value valid against ``schema``; ``text`` seeds the first free-form string.

    Bounded: at most ``MAX_OUTPUT_BYTES`` of output, ``MAX_NODES`` values and ``MAX_SECONDS`` of work
    (per call, or per ``shared_budget()`` block); a schema that asks for more raises ``SchemaError``
    before anything large is built.
    """
    gen = _Generator(root if root is not None else schema, text, _shared.get() or Budget())
    return gen.value(schema, depth=0, name="value", at="")


def _where(at: str) -> str:
    return f" (at '{at}')" if at else ""


def _count(schema: dict[str, Any], key: str, at: str) -> int | None:
    """A keyword that must be a non-negative integer (``minItems``, ``maxLength``...)."""
    value = schema.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise SchemaError(f"'{key}' must be a non-negative integer{_where(at)}")
    if value < 0 or value != int(value):
        raise SchemaError(f"'{key}' must be a non-negative integer, got {value}{_where(at)}")
    return int(value)


def _bound(schema: dict[str, Any], key: str, at: str) -> float | None:
    """A keyword that must be a number (``minimum``, ``multipleOf``...)."""
    value = schema.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SchemaError(f"'{key}' must be a number{_where(at)}")
    return float(value)


def _typed(schema: dict[str, Any], key: str, kind: type, label: str, at: str) -> Any:
    value = schema.get(key)
    if value is not None and not isinstance(value, kind):
        raise SchemaError(f"'{key}' must be {label}{_where(at)}")
    return value


class _Generator:
    def __init__(self, root: Any, text: str, budget: Budget) -> None:
        self.root = root
        self.text = text
        self.text_used = False
        self.budget = budget

    @property
    def room(self) -> int:
        return self.budget.room

    def spend(self, size: int, what: str, at: str) -> None:
        """Account for ``size`` more bytes of output (checked before they are built)."""
        if size > self.budget.room:
            raise SchemaError(
                f"{what} would make the generated output larger than the local server's limit of "
                f"{MAX_OUTPUT_BYTES} bytes{_where(at)}"
            )
        self.budget.room -= size

    def resolve(self, ref: Any) -> Any:
        if not isinstance(ref, str):
            raise SchemaError("'$ref' must be a string")
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

    def value(self, schema: Any, *, depth: int, name: str, at: str) -> Any:
        budget = self.budget
        budget.nodes += 1
        if budget.nodes > MAX_NODES:
            raise SchemaError(f"the schema asks for more than {MAX_NODES} values")
        if budget.nodes % 256 == 0 and time.monotonic() > budget.deadline:
            raise SchemaError(f"generating a value took longer than {MAX_SECONDS:g} s")
        if schema is True or schema is None or schema == {}:
            return self.string({}, name, at)
        if schema is False:
            raise SchemaError(f"the schema 'false' accepts no value{_where(at)}")
        if not isinstance(schema, dict):
            raise SchemaError(f"a schema must be an object or a boolean{_where(at)}")
        if depth > _MAX_DEPTH:
            raise SchemaError(f"the schema nests too deeply{_where(at)}")
        if "$ref" in schema:
            target = self.resolve(schema["$ref"])
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            return self.value(
                {**target, **rest} if isinstance(target, dict) else target,
                depth=depth + 1,
                name=name,
                at=at,
            )
        if "const" in schema:
            self.spend(len(orjson.dumps(schema["const"])), "'const'", at)
            return schema["const"]
        if "enum" in schema:
            options = _typed(schema, "enum", list, "an array", at)
            if not options:
                raise SchemaError(f"empty enum{_where(at)}")
            self.spend(len(orjson.dumps(options[0])), "'enum'", at)
            return options[0]
        if "allOf" in schema:
            merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
            for sub in _typed(schema, "allOf", list, "an array", at):
                sub = self.resolve(sub["$ref"]) if isinstance(sub, dict) and "$ref" in sub else sub
                if isinstance(sub, dict):
                    merged = _merge(merged, sub, at)
            return self.value(merged, depth=depth + 1, name=name, at=at)
        for key in ("anyOf", "oneOf"):
            if key in schema:
                options = _typed(schema, key, list, "an array", at)
                if not options:
                    raise SchemaError(f"empty {key}{_where(at)}")
                # prefer a branch that is not plain null, so the value carries information
                chosen = next(
                    (o for o in options if not (isinstance(o, dict) and o.get("type") == "null")), options[0]
                )
                base = {k: v for k, v in schema.items() if k != key}
                return self.value(
                    _merge(base, chosen, at) if isinstance(chosen, dict) else chosen,
                    depth=depth + 1,
                    name=name,
                    at=f"{at}.{key}" if at else key,
                )
        kind = schema.get("type")
        if isinstance(kind, list):
            kinds = [k for k in kind if k != "null"] or ["null"]
            kind = kinds[0]
        if kind is None:
            kind = _infer_type(schema)
        if kind == "object":
            return self.object(schema, depth, at)
        if kind == "array":
            return self.array(schema, depth, name, at)
        if kind == "string":
            return self.string(schema, name, at)
        if kind == "integer":
            return self.number(schema, integer=True, at=at)
        if kind == "number":
            return self.number(schema, integer=False, at=at)
        if kind == "boolean":
            self.spend(5, "a boolean", at)
            return True
        if kind == "null":
            self.spend(4, "a null", at)
            return None
        raise SchemaError(f"unknown type {kind!r}{_where(at)}")

    def object(self, schema: dict[str, Any], depth: int, at: str) -> dict[str, Any]:
        props: dict[str, Any] = _typed(schema, "properties", dict, "an object", at) or {}
        required = _typed(schema, "required", list, "an array", at) or []
        least = _count(schema, "minProperties", at) or 0
        most = _count(schema, "maxProperties", at)
        if most is not None and least > most:
            raise SchemaError(f"'minProperties' {least} is more than 'maxProperties' {most}{_where(at)}")
        self.spend(2 + 2 * max(least - len(props), 0), "'minProperties'", at)
        out: dict[str, Any] = {}
        for key, sub in props.items():
            self.spend(len(key) + 4, "a property", at)
            out[key] = self.value(sub, depth=depth + 1, name=key, at=_join(at, "properties", key))
        for key in required:
            if not isinstance(key, str):
                raise SchemaError(f"'required' must list strings{_where(at)}")
            if key not in out:
                self.spend(len(key) + 4, "a property", at)
                out[key] = self.value(
                    _additional(schema), depth=depth + 1, name=key, at=_join(at, "required", key)
                )
        i = 0
        while len(out) < least:
            key = f"property_{i}"
            i += 1
            if key not in out:
                self.spend(len(key) + 4, "'minProperties'", at)
                out[key] = self.value(
                    _additional(schema), depth=depth + 1, name=key, at=_join(at, "additionalProperties")
                )
        return out

    def array(self, schema: dict[str, Any], depth: int, name: str, at: str) -> list[Any]:
        lo = _count(schema, "minItems", at) or 0
        hi = _count(schema, "maxItems", at)
        if hi is not None and lo > hi:
            raise SchemaError(f"'minItems' {lo} is more than 'maxItems' {hi}{_where(at)}")
        count = max(lo, 1)
        if hi is not None:
            count = min(count, hi)
        self.spend(count + 2, f"'minItems' {lo}", at)
        if count > MAX_NODES:
            raise SchemaError(f"'minItems' {lo} asks for more than {MAX_NODES} values{_where(at)}")
        prefix: list[Any] = _typed(schema, "prefixItems", list, "an array", at) or []
        items = schema.get("items", {})
        unique = schema.get("uniqueItems") is True
        out: list[Any] = []
        seen: set[bytes] = set()
        for i in range(count):
            sub = prefix[i] if i < len(prefix) else items
            if sub is False:
                break
            value = self.value(sub, depth=depth + 1, name=name, at=_join(at, "items"))
            if unique:
                target = self.resolve(sub["$ref"]) if isinstance(sub, dict) and "$ref" in sub else sub
                if _key(value) in seen and isinstance(target, dict) and isinstance(target.get("enum"), list):
                    fresh = [e for e in target["enum"] if _key(e) not in seen]
                    if not fresh:
                        break
                    value = fresh[0]
                elif _key(value) in seen:
                    value = _vary(value, i)
                seen.add(_key(value))
            out.append(value)
        if len(out) < lo:
            raise SchemaError(f"cannot generate {lo} distinct items{_where(at)}")
        return out

    def string(self, schema: dict[str, Any], name: str, at: str) -> str:
        fmt = schema.get("format")
        pattern = _typed(schema, "pattern", str, "a string", at)
        lo = _count(schema, "minLength", at) or 0
        hi = _count(schema, "maxLength", at)
        if hi is not None and lo > hi:
            raise SchemaError(f"'minLength' {lo} is more than 'maxLength' {hi}{_where(at)}")
        self.spend(lo + 2, f"'minLength' {lo}", at)
        if isinstance(fmt, str) and fmt in _FORMATS:
            candidate = _FORMATS[fmt]
        elif pattern is not None:
            candidate = _from_pattern(pattern, self.budget)
        elif not self.text_used and self.text:
            candidate = self.text[: max(self.room - 2, lo, 1)]  # the seed text is cut to fit, never refused
            self.text_used = True
        else:
            candidate = name
        if pattern is None or len(candidate) < lo or (hi is not None and len(candidate) > hi):
            if len(candidate) < lo:
                candidate = candidate + "x" * (lo - len(candidate))
            if hi is not None and len(candidate) > hi:
                candidate = candidate[:hi]
            if pattern is not None and not _search(pattern, candidate, self.budget):
                raise SchemaError(f"cannot satisfy 'pattern' and the length limits together{_where(at)}")
        self.spend(max(len(candidate) - lo, 0), "a string", at)
        return candidate

    def number(self, schema: dict[str, Any], *, integer: bool, at: str) -> int | float:
        lo = _bound(schema, "minimum", at)
        hi = _bound(schema, "maximum", at)
        xlo = schema.get("exclusiveMinimum")
        xhi = schema.get("exclusiveMaximum")
        xlo = None if isinstance(xlo, bool) else _bound(schema, "exclusiveMinimum", at)
        xhi = None if isinstance(xhi, bool) else _bound(schema, "exclusiveMaximum", at)
        step = _bound(schema, "multipleOf", at)
        if step is not None and not step > 0:
            raise SchemaError(f"'multipleOf' must be greater than 0, got {step:g}{_where(at)}")
        low = -math.inf
        high = math.inf
        if lo is not None:
            low = lo
        if xlo is not None:
            low = max(low, xlo + (1 if integer else 1e-6))
        if hi is not None:
            high = hi
        if xhi is not None:
            high = min(high, xhi - (1 if integer else 1e-6))
        value = 1.0 if low <= 1.0 <= high else (low if low != -math.inf else high)
        result: int | float = value
        try:
            if step:
                value = math.ceil(value / step) * step
                if value > high:
                    value = math.floor(high / step) * step
            result = value
            if integer:
                iv = math.ceil(value)
                if iv > high:
                    iv = math.floor(high)
                if step and iv % step and step.is_integer():
                    iv = math.ceil(iv / step) * int(step)
                result = int(iv)
        except (OverflowError, ValueError):  # an infinite quotient: the bounds and step are far apart
            raise SchemaError(
                f"no {'integer' if integer else 'number'} satisfies the bounds{_where(at)}"
            ) from None
        kind = "integer" if integer else "number"
        if (
            not math.isfinite(result)
            or not low <= result <= high
            or (step and not _multiple(result, step))
            or (integer and not _INT_RANGE[0] <= result <= _INT_RANGE[1])
        ):
            raise SchemaError(f"no {kind} satisfies {_describe_bounds(schema)}{_where(at)}")
        self.spend(len(repr(result)), "a number", at)
        return result


def _multiple(value: float, step: float) -> bool:
    quotient = value / step
    return abs(quotient - round(quotient)) < 1e-9


def _describe_bounds(schema: dict[str, Any]) -> str:
    keys = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
    parts = [f"'{k}' {schema[k]}" for k in keys if k in schema]
    return " and ".join(parts) or "the schema"


def _join(at: str, *parts: str) -> str:
    return ".".join([at, *parts] if at else parts)


def _key(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


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


def _merge(a: dict[str, Any], b: dict[str, Any], at: str) -> dict[str, Any]:
    out = dict(a)
    for key, value in b.items():
        if key == "properties" and isinstance(out.get(key), dict):
            if not isinstance(value, dict):
                raise SchemaError(f"'properties' must be an object{_where(at)}")
            out[key] = {**out[key], **value}
        elif key == "required" and isinstance(out.get(key), list):
            if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
                raise SchemaError(f"'required' must list strings{_where(at)}")
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


def _search(pattern: str, text: str, budget: Budget) -> bool:
    """``re.search``, but bounded by the budget's deadline and without holding the GIL: the stdlib's
    ``re`` can backtrack for minutes on a pattern like ``(a*)*a{30}\\B-`` and stops every thread."""
    try:
        found = regex.search(
            pattern,
            text,
            timeout=min(max(budget.deadline - time.monotonic(), 0.05), _MATCH_SECONDS),
            concurrent=True,
        )
    except TimeoutError:
        raise SchemaError(f"matching pattern {pattern!r} took too long") from None
    except regex.error as exc:
        raise SchemaError(f"invalid pattern {pattern!r}: {exc}") from None
    return found is not None


def _from_pattern(pattern: str, budget: Budget) -> str:
    try:
        parsed = _sre.parse(pattern)
        out = _emit(parsed, budget.room)
    except SchemaError:
        raise
    except Exception as exc:
        raise SchemaError(f"cannot generate a string for pattern {pattern!r}: {exc}") from None
    if not _search(pattern, out, budget):
        raise SchemaError(f"cannot generate a string for pattern {pattern!r}")
    return out


def _emit(items: Any, room: int) -> str:
    out: list[str] = []
    for op, arg in items:
        room -= len(out[-1]) if out else 0
        if room < 0:
            raise SchemaError(f"the pattern asks for a string longer than {MAX_OUTPUT_BYTES} bytes")
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
            piece = _emit(sub, room)
            if len(piece) * int(lo) > room:
                raise SchemaError(f"the pattern asks for a string longer than {MAX_OUTPUT_BYTES} bytes")
            out.append(piece * int(lo))
        elif name == "SUBPATTERN":
            out.append(_emit(arg[-1], room))
        elif name == "BRANCH":
            out.append(_emit(arg[1][0], room))
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
