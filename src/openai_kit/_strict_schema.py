"""Turn a JSON schema into one the API accepts in strict mode.

Strict mode wants every object closed (``additionalProperties: false``) with every property listed in
``required``; a property that was optional becomes nullable instead. ``default`` and ``title`` are dropped
(strict mode rejects or ignores them); ``$defs`` are kept and ``$ref`` left alone.
"""

from __future__ import annotations

from typing import Any

__all__ = ["to_strict_schema"]

_DROP = ("default", "title")


def to_strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A strict copy of ``schema`` (the input is not modified)."""
    result: dict[str, Any] = _strict(schema)
    return result


def _strict(node: Any) -> Any:
    if isinstance(node, list):
        return [_strict(v) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROP and not isinstance(value, dict):
            continue
        if (key == "properties" and isinstance(value, dict)) or (
            key in ("$defs", "definitions") and isinstance(value, dict)
        ):
            out[key] = {name: _strict(sub) for name, sub in value.items()}
        else:
            out[key] = _strict(value)
    if out.get("type") == "object" or "properties" in out:
        props: dict[str, Any] = out.setdefault("properties", {})
        required = set(out.get("required", ()))
        for name, sub in list(props.items()):
            if name not in required:
                props[name] = _nullable(sub)
        out["required"] = list(props)
        out["additionalProperties"] = False
    return out


def _nullable(schema: Any) -> Any:
    if not isinstance(schema, dict):
        return schema
    t = schema.get("type")
    if t == "null" or (isinstance(t, list) and "null" in t):
        return schema
    for key in ("anyOf", "oneOf"):
        if key in schema and any(isinstance(s, dict) and s.get("type") == "null" for s in schema[key]):
            return schema
    if isinstance(t, str) and "$ref" not in schema and "enum" not in schema:
        return {**schema, "type": [t, "null"]}
    return {"anyOf": [schema, {"type": "null"}]}
