"""The base of every response model, and turning response bodies into Python values.

Models are forward compatible: fields the API adds later are kept (``extra="allow"``) and reachable as
attributes; generated enums accept values they do not list. Schemas are built on first use
(``defer_build``), so defining hundreds of models costs little at import time. Bodies are validated
straight from bytes by pydantic-core, without an intermediate ``dict``.

Response bodies are parsed *leniently* by default, as the official SDK does (it builds models without
validating them): servers that deviate from the spec (llama.cpp, vLLM, Ollama, Azure, older API versions)
must not break a call. The lenient validators are built by pydantic-core from each type's own core
schema, so they produce the same classes; in them every model field

- may be missing (it reads as ``None``, or the field's own default) and may be ``null``,
- keeps a value of another type as it was sent (``"created": "yesterday"`` stays a string),

and each item of a list of objects is kept that way too, so one odd item does not untype the others.
Nested objects stay typed models; only what cannot be a model stays plain data. ``strict=True`` is
the models' own validation (spec-required fields required, types checked): the client option
``strict_response_validation``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar, cast

import pydantic
from pydantic import ConfigDict, TypeAdapter
from pydantic_core import SchemaError, SchemaValidator

__all__ = ["BaseModel", "json_validator", "official_name", "parse_json", "validate_python"]

_T = TypeVar("_T")


class BaseModel(pydantic.BaseModel):
    model_config = ConfigDict(
        extra="allow",
        populate_by_name=True,
        protected_namespaces=(),
        defer_build=True,
        coerce_numbers_to_str=False,
    )

    def to_dict(self, *, exclude_unset: bool = True) -> dict[str, Any]:
        """The model as JSON-compatible Python data; by default only the fields the API sent."""
        return self.model_dump(mode="json", exclude_unset=exclude_unset, by_alias=True)

    def to_json(self, *, indent: int | None = 2, exclude_unset: bool = True) -> str:
        return self.model_dump_json(indent=indent, exclude_unset=exclude_unset, by_alias=True)


_C = TypeVar("_C", bound=type)

#: a class renamed by :func:`official_name` -> ``"<module>:<identifier>"`` where it is defined (the key of
#: its precomputed schema, ``openai_kit._core_schemas``)
defined_as: dict[type, str] = {}


def where_defined(cls: type) -> str:
    """``"<module>:<identifier>"`` of the class where it is defined, even when it reports an official
    name of another module (:func:`official_name`)."""
    return defined_as.get(cls) or f"{getattr(cls, '__module__', '')}:{cls.__qualname__}"


def official_name(name: str, module: str) -> Callable[[_C], _C]:
    """Class decorator of generated models that the official SDK names like another class of the same
    area module (``Group`` of organization and of project groups): the class keeps a unique identifier
    in its area module but reports the official name and module path (which
    ``openai_kit._official_modules`` serves), so ``repr``, ``type(x).__name__``, pickling and
    ``from openai_kit.types.<official module> import <name>`` agree. Schemas are built later
    (``defer_build``), so their titles carry the official name too."""

    def rename(cls: _C) -> _C:
        defined_as[cls] = f"{cls.__module__}:{cls.__name__}"
        cls.__name__ = name
        cls.__qualname__ = name
        cls.__module__ = module
        return cls

    return rename


@lru_cache(maxsize=512)
def _adapter(tp: Any) -> TypeAdapter[Any]:
    return TypeAdapter(tp)


# schema types whose values are objects: a list of them keeps each item on its own
_COMPOSITE = frozenset({"model", "definition-ref", "tagged-union", "union", "nullable", "definitions"})
_ANY: dict[str, Any] = {"type": "any"}


def _or_as_sent(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema``, or else the value exactly as it was sent (tried in that order)."""
    if schema.get("type") == "any":
        return schema
    return {"type": "union", "choices": [schema, _ANY], "mode": "left_to_right"}


def _lenient_schema(schema: Any, *, as_sent: bool) -> SchemaValidator:
    """A validator of a copy of a pydantic core schema in which every model field may be missing or null,
    and with ``as_sent`` also of another type than declared (kept as sent), as may each item of a list of
    objects. Shared sub-schemas stay shared."""
    memo: dict[int, Any] = {}
    classes: list[type] = []

    def field(spec: dict[str, Any]) -> dict[str, Any]:
        inner = spec["schema"]
        default = inner if inner.get("type") == "default" else {"type": "default", "default": None}
        core = walk(inner["schema"] if inner.get("type") == "default" else inner)
        if as_sent:
            core = _or_as_sent(core)  # `null` falls through to "as sent" unless the field is nullable
        elif core.get("type") != "nullable":
            core = {"type": "nullable", "schema": core}
        return {**spec, "schema": {**default, "schema": core}}

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(v) for v in node]
        if not isinstance(node, dict):
            return node
        done = memo.get(id(node))
        if done is not None:
            return done
        kind = node.get("type")
        if kind == "model":
            classes.append(node["cls"])
        if kind == "model-fields":
            out = {**node, "fields": {k: field(v) for k, v in node["fields"].items()}}
        else:
            out = {k: walk(v) for k, v in node.items()}
            items = out.get("items_schema") if as_sent and kind == "list" else None
            if isinstance(items, dict) and items.get("type") in _COMPOSITE:
                out["items_schema"] = _or_as_sent(items)
        memo[id(node)] = out
        return out

    return _compile(walk(schema), classes)


_COMPILE_LOCK = threading.Lock()


def _compile(schema: Any, classes: list[type]) -> SchemaValidator:
    """pydantic-core compiles the schema of a model class that is already built by reusing that class's
    own (strict) validator; the classes are marked unbuilt while the lenient schema compiles, so that
    every one of them gets the lenient schema."""
    with _COMPILE_LOCK:
        built = [c for c in dict.fromkeys(classes) if c.__dict__.get("__pydantic_complete__") is True]
        for c in built:
            c.__pydantic_complete__ = False  # type: ignore[attr-defined]
        try:
            return SchemaValidator(schema)
        finally:
            for c in built:
                c.__pydantic_complete__ = True  # type: ignore[attr-defined]


class _Lenient:
    """The lenient validators of one type. The first only lets fields be missing or null (what
    spec-deviating servers do, at almost no cost); a body it rejects (a value of another type) is
    validated again by the second, built on first need, which keeps such values as sent."""

    __slots__ = ("_as_sent", "_schema", "first")

    def __init__(self, schema: Any) -> None:
        self._schema = schema
        self._as_sent: SchemaValidator | None = None
        self.first = _lenient_schema(schema, as_sent=False)

    @property
    def as_sent(self) -> SchemaValidator:
        if self._as_sent is None:
            self._as_sent = _lenient_schema(self._schema, as_sent=True)
        return self._as_sent

    def validate_json(self, data: bytes | str) -> Any:
        try:
            return self.first.validate_json(data)
        except pydantic.ValidationError as exc:
            if exc.errors(include_url=False)[0]["type"] == "json_invalid":
                raise
        return self.as_sent.validate_json(data)

    def validate_python(self, data: object) -> Any:
        try:
            return self.first.validate_python(data)
        except pydantic.ValidationError:
            pass
        return self.as_sent.validate_python(data)


@lru_cache(maxsize=512)
def _lenient(tp: Any) -> _Lenient:
    from openai_kit._core_schemas import alias_schema, model_schema

    # codegen's copy of what pydantic would build (generated types only): no schema generation
    is_model = isinstance(tp, type) and issubclass(tp, pydantic.BaseModel)
    precomputed = model_schema(tp) if is_model else None if isinstance(tp, type) else alias_schema(tp)
    if precomputed is not None:
        try:
            return _Lenient(precomputed)
        except SchemaError:  # written by another pydantic-core than this one: build it as below
            pass
    adapter = _adapter(tp)
    schema = adapter.core_schema
    if not isinstance(schema, dict):  # a deferred model: build its schema now
        adapter.rebuild(force=True)
        schema = adapter.core_schema
    return _Lenient(schema)


def parse_json(tp: type[_T] | Any, data: bytes | str, *, strict: bool = False) -> _T:
    """Validate a JSON document as ``tp`` (a model class or any type pydantic understands): leniently
    (see the module docstring), or with ``strict`` as the models themselves declare."""
    if not strict:
        return cast(_T, _lenient(cast(Any, tp)).validate_json(data))
    if isinstance(tp, type) and issubclass(tp, pydantic.BaseModel):
        return cast(_T, tp.model_validate_json(data))
    return cast(_T, _adapter(tp).validate_json(data))


def json_validator(tp: Any, *, strict: bool = False) -> Callable[[bytes | str], Any]:
    """A callable, looked up once, that parses a JSON document as ``tp`` the way :func:`parse_json` does
    whenever it succeeds (for streams, which parse many documents of one type). When it raises, ask
    :func:`parse_json`: in lenient mode this is the first validator alone, without the as-sent retry."""
    if not strict:
        return _lenient(tp).first.validate_json
    if isinstance(tp, type) and issubclass(tp, pydantic.BaseModel):
        return tp.model_validate_json
    return _adapter(tp).validate_json


def validate_python(tp: type[_T] | Any, data: object, *, strict: bool = False) -> _T:
    """:func:`parse_json` for data already decoded."""
    if not strict:
        return cast(_T, _lenient(cast(Any, tp)).validate_python(data))
    if isinstance(tp, type) and issubclass(tp, pydantic.BaseModel):
        return cast(_T, tp.model_validate(data))
    return cast(_T, _adapter(tp).validate_python(data))
