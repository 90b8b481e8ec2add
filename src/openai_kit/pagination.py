"""The official SDK's page classes (``from openai.pagination import SyncCursorPage``).

Every list operation returns the page class the official SDK names for it. They all paginate the same
way (:mod:`openai_kit._pagination` follows whichever cursor the response carries); the names exist so
that type annotations and ``isinstance`` checks written for the official SDK keep working.
"""

from __future__ import annotations

from typing import TypeVar

from ._pagination import AsyncPage, SyncPage

__all__ = [
    "AsyncConversationCursorPage",
    "AsyncCursorPage",
    "AsyncNextCursorPage",
    "AsyncPage",
    "AsyncTokenPage",
    "SyncConversationCursorPage",
    "SyncCursorPage",
    "SyncNextCursorPage",
    "SyncPage",
    "SyncTokenPage",
]

_T = TypeVar("_T")


class SyncCursorPage(SyncPage[_T]):
    """A page continued with ``after`` = the last item's id (``has_more``)."""


class AsyncCursorPage(AsyncPage[_T]):
    """A page continued with ``after`` = the last item's id (``has_more``)."""


class SyncConversationCursorPage(SyncPage[_T]):
    """A page continued with ``after`` = ``last_id``."""


class AsyncConversationCursorPage(AsyncPage[_T]):
    """A page continued with ``after`` = ``last_id``."""


class SyncNextCursorPage(SyncPage[_T]):
    """A page continued with ``after`` = ``next``."""


class AsyncNextCursorPage(AsyncPage[_T]):
    """A page continued with ``after`` = ``next``."""


class SyncTokenPage(SyncPage[_T]):
    """A page continued with ``page`` = ``next_page``."""


class AsyncTokenPage(AsyncPage[_T]):
    """A page continued with ``page`` = ``next_page``."""
