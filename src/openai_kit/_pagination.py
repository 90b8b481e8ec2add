"""Auto-paginating list results.

A page holds one response's items (``data``) and knows how to ask for the next one, whichever cursor
style the endpoint uses: ``next_page`` (sent back as ``page``), ``next`` (sent as ``after``), or
``has_more`` with ``last_id`` or the last item's ``id`` (sent as ``after``). Iterating a page yields
every item of every following page, fetching each page only when needed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterator
from functools import cache
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

import pydantic

from ._bound import bind_items
from ._core_schemas import register_page
from ._models import BaseModel

if TYPE_CHECKING:
    from ._client import AsyncOpenAI, OpenAI

__all__ = ["AsyncPage", "SyncPage"]

_T = TypeVar("_T")


@cache
def page_model(item: Any) -> type[BaseModel]:
    """A model for one list response whose items are ``item`` (built once per item type)."""
    name = f"Page[{getattr(item, '__name__', 'item')}]"
    model: type[BaseModel] = pydantic.create_model(
        name,
        __base__=BaseModel,
        data=(list[item], []),
        object=(str | None, None),
        has_more=(bool | None, None),
        first_id=(str | None, None),
        last_id=(str | None, None),
        next_page=(str | None, None),
        next=(str | None, None),
    )
    register_page(model, item)  # its schema comes from item's precomputed one (no schema generation)
    return model


_P = TypeVar("_P", bound=type)
_NAMED: dict[tuple[type, type], type] = {}


def named_page(page_cls: _P, item: Any) -> _P:
    """``page_cls`` under the name the official SDK's page of ``item`` has (``SyncPage[Model]``, a
    pydantic generic there): a subclass per item class (made once), so ``type(page).__name__`` and
    ``repr`` agree while ``isinstance(page, SyncPage)`` holds. Items that are no class (a union) keep
    the plain page class."""
    name = getattr(item, "__name__", None)
    if not isinstance(item, type) or name is None:
        return page_cls
    named = _NAMED.get((page_cls, item))
    if named is None:
        qualified = f"{page_cls.__name__}[{name}]"
        namespace = {
            "__module__": page_cls.__module__,
            "__qualname__": qualified,
            "__doc__": page_cls.__doc__,
        }
        named = _NAMED.setdefault((page_cls, item), type(page_cls)(qualified, (page_cls,), namespace))
    return cast(_P, named)


def next_query(page: Any, query: dict[str, object]) -> dict[str, object] | None:
    """The query of the page after ``page``, or None when it was the last."""
    if page.next_page:
        return {**query, "page": page.next_page}
    if page.next:
        return {**query, "after": page.next}
    if page.has_more:
        cursor = page.last_id
        if cursor is None and page.data:
            last = page.data[-1]
            cursor = last.get("id") if isinstance(last, dict) else getattr(last, "id", None)
        if cursor:
            return {**query, "after": cursor}
    return None


class _PageBase(Generic[_T]):
    _client: Any

    def __init__(
        self, model: Any, query: dict[str, object], method: str, path: str, body: object, options: Any
    ) -> None:
        self._model = model
        self._query = query
        self._method = method
        self._path = path
        self._body = body
        self._options = options
        self._page: Any = None

    @property
    def data(self) -> list[_T]:
        return bind_items(list(self._page.data or ()), self._client) if self._page is not None else []

    @property
    def has_more(self) -> bool:
        return self._page is not None and next_query(self._page, self._query) is not None

    def has_next_page(self) -> bool:
        """Whether another page follows this one (the official SDK's spelling; no request is made)."""
        if self._page is None:
            raise RuntimeError("await the page before asking whether another one follows")
        return bool(self._page.data) and next_query(self._page, self._query) is not None

    def _next_query(self) -> dict[str, object]:
        query = next_query(self._page, self._query) if self._page is not None and self._page.data else None
        if query is None:
            raise RuntimeError("no next page: check `.has_next_page()` before calling `.get_next_page()`")
        return query

    @property
    def raw_page(self) -> Any:
        """The parsed list response itself (``first_id``, ``last_id``, ``object``...)."""
        return self._page

    def next_page_info(self) -> dict[str, object] | None:
        """The query parameters that fetch the next page, or None after the last page."""
        if self._page is None:
            return None
        query = next_query(self._page, self._query)
        return None if query is None else {k: v for k, v in query.items() if self._query.get(k) != v}

    def to_dict(self, **kwargs: Any) -> dict[str, Any]:
        """This page's list response as a dict (not the following pages)."""
        return self.model_dump(**kwargs)

    def to_json(self, **kwargs: Any) -> str:
        return self.model_dump_json(**kwargs)

    def model_dump(self, **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("by_alias", True)
        kwargs.setdefault("exclude_unset", True)
        return self._page.model_dump(**kwargs) if self._page is not None else {}

    def model_dump_json(self, **kwargs: Any) -> str:
        kwargs.setdefault("by_alias", True)
        kwargs.setdefault("exclude_unset", True)
        return self._page.model_dump_json(**kwargs) if self._page is not None else "{}"

    def __getattr__(self, name: str) -> Any:
        # the list response's own fields (``first_id``, ``last_id``, ``object``, ``next``...)
        page = self.__dict__.get("_page")
        if page is None or name.startswith("_"):
            raise AttributeError(name)
        return getattr(page, name)

    def _fetch_args(self, query: dict[str, object]) -> dict[str, Any]:
        return {
            "method": self._method,
            "path": self._path,
            "query": query,
            "body": self._body,
            "options": self._options,
        }

    def __repr__(self) -> str:
        n = len(self._page.data or ()) if self._page is not None else 0
        return f"<{type(self).__name__} {self._path} items={n} has_more={self.has_more}>"


class SyncPage(_PageBase[_T]):
    """One page of a list; iterate it to get every item across all pages."""

    def __init__(
        self,
        client: OpenAI,
        model: Any,
        query: dict[str, object],
        method: str,
        path: str,
        body: object,
        options: Any,
        first: Any = None,
    ) -> None:
        super().__init__(model, query, method, path, body, options)
        self._client = client
        if first is None:
            first = client._fetch_page(page_model(model), **self._fetch_args(query))
        self._page = first

    def _with(self, page: Any, query: dict[str, object]) -> SyncPage[_T]:
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new._page, new._query = page, query
        return new

    def get_next_page(self) -> SyncPage[_T]:
        """Fetch the following page; ``RuntimeError`` when there is none (see :meth:`has_next_page`)."""
        query = self._next_query()
        page = self._client._fetch_page(page_model(self._model), **self._fetch_args(query))
        return self._with(page, query)

    def iter_pages(self) -> Iterator[SyncPage[_T]]:
        page = self
        yield page
        while page.has_next_page():
            page = page.get_next_page()
            yield page

    def __iter__(self) -> Iterator[_T]:
        for page in self.iter_pages():
            yield from bind_items(page._page.data or [], self._client)


class AsyncPage(_PageBase[_T]):
    """``await`` it for the first page, or ``async for`` over every item of every page."""

    def __init__(
        self,
        client: AsyncOpenAI,
        model: Any,
        query: dict[str, object],
        method: str,
        path: str,
        body: object,
        options: Any,
        first: Any = None,
    ) -> None:
        super().__init__(model, query, method, path, body, options)
        self._client = client
        self._page = first

    async def _ensure(self) -> AsyncPage[_T]:
        if self._page is None:
            self._page = await self._client._fetch_page(
                page_model(self._model), **self._fetch_args(self._query)
            )
        return self

    def __await__(self) -> Generator[Any, None, AsyncPage[_T]]:
        return self._ensure().__await__()

    async def get_next_page(self) -> AsyncPage[_T]:
        """Fetch the following page; ``RuntimeError`` when there is none (see :meth:`has_next_page`)."""
        await self._ensure()
        query = self._next_query()
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new._query = query
        new._page = await self._client._fetch_page(page_model(self._model), **self._fetch_args(query))
        return new

    async def iter_pages(self) -> AsyncIterator[AsyncPage[_T]]:
        page = await self._ensure()
        yield page
        while page.has_next_page():
            page = await page.get_next_page()
            yield page

    async def __aiter__(self) -> AsyncIterator[_T]:
        async for page in self.iter_pages():
            for item in bind_items(page._page.data or [], self._client):
                yield item
