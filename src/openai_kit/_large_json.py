"""Parsing large response bodies of float vectors (embeddings) in less memory.

pydantic-core validates a JSON document by first parsing all of it into its own tree and only then building
the Python objects, so a 60 MiB body of floats peaks at body + tree + result. jiter (``from_json``, the
parser inside pydantic-core) builds the Python objects directly instead; validating those Python objects
afterwards reuses the floats and strings and only rebuilds the containers. Peak: body + result.

This gives the same result as validating the JSON directly only when the type reads nothing from a JSON
string that Python-mode validation would read differently (datetimes, enums, bytes, UUIDs... matched in a
union are the known differences), so it is used only for types whose core schema is made of plain JSON
kinds (:func:`plain_json`) and that hold lists of floats (embeddings: where the memory goes, see below),
and only for bodies of at least :data:`LARGE` bytes. For other types the Python-mode validation of many
small objects costs more CPU than it saves memory (20,000 file objects: +26%), so they keep validate_json.

A ``list[float]`` (an embedding) is then taken as parsed, without a copy, when its first and last items
are floats: an integer between them stays an integer of equal value (the official SDK, which does not
validate, keeps it too). Any other list goes through the lenient validators as usual.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

__all__ = ["LARGE", "parse_large", "plain_json"]

#: bodies from this size on are parsed in two steps when the type allows it
LARGE = 1 << 21

# core schema kinds whose Python-mode validation of parsed JSON equals their JSON-mode validation
_PLAIN = frozenset(
    {
        "any",
        "none",
        "bool",
        "int",
        "float",
        "str",
        "literal",
        "list",
        "dict",
        "nullable",
        "default",
        "union",
        "tagged-union",
        "model",
        "model-fields",
        "model-field",
        "definitions",
        "definition-ref",
        "typed-dict",
        "typed-dict-field",
    }
)
# keys of a core schema node that hold other schemas
_CHILDREN = ("schema", "items_schema", "keys_schema", "values_schema", "extras_schema")


@lru_cache(maxsize=256)
def plain_json(tp: Any) -> bool:
    """Whether every part of ``tp``'s core schema is a plain JSON kind (see the module docstring)."""
    try:
        from pydantic import TypeAdapter

        adapter: Any = TypeAdapter(tp)
        schema = adapter.core_schema
        if not isinstance(schema, dict):  # a deferred model: build its schema now
            adapter.rebuild(force=True)
            schema = adapter.core_schema
    except Exception:
        return False
    seen: set[int] = set()
    todo: list[Any] = [schema]
    while todo:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.get("type") not in _PLAIN:
            return False
        if node.get("type") == "str" and any(
            k in node for k in ("pattern", "max_length", "min_length", "strip_whitespace", "to_lower")
        ):
            return False  # constrained strings: not worth reasoning about
        for key in _CHILDREN:
            child = node.get(key)
            if isinstance(child, dict):
                todo.append(child)
        for key in ("fields",):
            fields = node.get(key)
            if isinstance(fields, dict):
                todo.extend(f for f in fields.values() if isinstance(f, dict))
        for key in ("choices", "definitions"):
            items = node.get(key)
            if isinstance(items, dict):
                items = list(items.values())
            if isinstance(items, list):
                todo.extend(
                    c[0] if isinstance(c, tuple) else c for c in items if isinstance(c, (dict, tuple))
                )
    return True


def parse_large(tp: Any, content: bytes) -> Any:
    """``_models.parse_json(tp, content)`` (lenient) for a large body, in less memory when ``tp`` allows."""
    from ._models import parse_json, validate_python

    fast = _vector_validator(tp) if plain_json(tp) else None
    if fast is None:
        return parse_json(tp, content)
    from pydantic_core import ValidationError, from_json

    try:
        data = from_json(content)
    except ValueError:
        return parse_json(tp, content)  # not JSON: reported there
    try:
        return fast.validate_python(data)
    except ValidationError:
        pass  # an odd body: the lenient validators decide, as for any other
    return validate_python(tp, data)


def _vector(value: Any) -> Any:
    # a list of floats is kept as parsed (no copy); its ends are checked, which catches other kinds of lists
    if type(value) is list and (not value or (type(value[0]) is float and type(value[-1]) is float)):
        return value
    raise ValueError("not a list of floats")


_VECTOR = {"type": "function-plain", "function": {"type": "no-info", "function": _vector}}


@lru_cache(maxsize=64)
def _vector_validator(tp: Any) -> Any:
    """The first lenient validator of ``tp`` with every ``list[float]`` taken as parsed, or ``None`` when
    ``tp`` has no such list."""
    from ._models import _lenient, _lenient_schema

    memo: dict[int, Any] = {}
    found = False

    def walk(node: Any) -> Any:
        nonlocal found
        if isinstance(node, list):
            return [walk(v) for v in node]
        if isinstance(node, tuple):
            return tuple(walk(v) for v in node)
        if not isinstance(node, dict):
            return node
        done = memo.get(id(node))
        if done is not None:
            return done
        if (
            node.get("type") == "list"
            and node.keys() == {"type", "items_schema"}
            and node["items_schema"] == {"type": "float"}
        ):
            found = True
            out: Any = _VECTOR
        else:
            out = {k: walk(v) for k, v in node.items()}
        memo[id(node)] = out
        return out

    schema = walk(_lenient(tp)._schema)
    return _lenient_schema(schema, as_sent=False) if found else None
