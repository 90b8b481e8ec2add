"""The base of every response model, and turning response bodies into Python values.

Models are forward compatible: fields the API adds later are kept (``extra="allow"``) and reachable as
attributes; generated enums accept values they do not list. Schemas are built on first use
(``defer_build``), so defining hundreds of models costs little at import time. Bodies are validated
straight from bytes by pydantic-core, without an intermediate ``dict``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, TypeVar, cast

import pydantic
from pydantic import ConfigDict, TypeAdapter

__all__ = ["BaseModel", "parse_json", "validate_python"]

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


@lru_cache(maxsize=512)
def _adapter(tp: Any) -> TypeAdapter[Any]:
    return TypeAdapter(tp)


def parse_json(tp: type[_T] | Any, data: bytes | str) -> _T:
    """Validate a JSON document as ``tp`` (a model class or any type pydantic understands)."""
    if isinstance(tp, type) and issubclass(tp, pydantic.BaseModel):
        return cast(_T, tp.model_validate_json(data))
    return cast(_T, _adapter(tp).validate_json(data))


def validate_python(tp: type[_T] | Any, data: object) -> _T:
    if isinstance(tp, type) and issubclass(tp, pydantic.BaseModel):
        return cast(_T, tp.model_validate(data))
    return cast(_T, _adapter(tp).validate_python(data))
