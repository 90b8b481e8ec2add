"""Small shared types: the "not given" sentinel, per-request options and file inputs."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import IO, TYPE_CHECKING, Literal, TypeVar, Union

from typing_extensions import TypedDict, final

if TYPE_CHECKING:
    from ._timeouts import Timeout

__all__ = [
    "NOT_GIVEN",
    "Body",
    "FileContent",
    "FileTypes",
    "Headers",
    "NotGiven",
    "NotGivenOr",
    "Omit",
    "Query",
    "RequestOptions",
    "not_given",
    "omit",
]

_T = TypeVar("_T")


@final
class NotGiven:
    """Marks an argument the caller did not pass, as distinct from an explicit ``None`` (sent as ``null``)."""

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __reduce__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN = NotGiven()
#: the official SDK 3.x spellings of ``NOT_GIVEN``: ``not_given`` / ``omit`` leave a parameter out, and
#: ``omit`` as a header value removes that header (as ``None`` does)
not_given = NOT_GIVEN
Omit = NotGiven
omit = NOT_GIVEN
NotGivenOr = Union[_T, NotGiven]  # noqa: UP007 - generic alias

Headers = Mapping[str, str]
Query = Mapping[str, object]
Body = object

#: What a file argument accepts: a path, raw bytes, or a binary file object; or a tuple
#: ``(filename, content)`` / ``(filename, content, content_type)`` to name the part explicitly.
FileContent = Union[bytes, IO[bytes], os.PathLike[str]]  # noqa: UP007 - runtime alias on 3.10
FileTypes = FileContent | tuple[str | None, FileContent] | tuple[str | None, FileContent, str | None]


class RequestOptions(TypedDict, total=False):
    """Options every operation accepts as keyword arguments, on top of its own parameters."""

    extra_headers: Headers | None
    extra_query: Query | None
    extra_body: Mapping[str, object] | None
    timeout: float | Timeout | None
    max_retries: int
    idempotency_key: str
