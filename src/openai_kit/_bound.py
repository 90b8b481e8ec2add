"""Conveniences on returned objects: ``batch.wait()``, ``run.submit_tool_outputs(...)``,
``file.download(path)``... An object fetched by a client remembers that client; the methods call it.

The objects stay the plain pydantic models they are (fields, equality and ``model_dump()`` unchanged):
the client is kept in a side table keyed by the object's identity (with a weak reference to the object,
so the table keeps nothing alive), filled by :func:`bind` right after a response is parsed, and only for
the model classes that carry these methods (:class:`ClientBound`); other responses pay one
``isinstance`` and a dict lookup.
Async twins carry an ``a`` prefix (``await batch.await_()`` waits, ``await file.adownload(path)``...).
A hand-built or copied object has no client: its methods raise :class:`UnboundObjectError`.
"""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import orjson

from ._errors import OpenAIError
from ._models import BaseModel

if TYPE_CHECKING:
    from typing import Protocol

    from typing_extensions import TypeIs

    from ._client import AsyncOpenAI, OpenAI
    from ._pagination import AsyncPage, SyncPage
    from .types.batches import Batch
    from .types.beta.threads import Message2 as Message, Run, Thread
    from .types.files import FileObject
    from .types.fine_tuning import FineTuningJob
    from .types.vector_stores import VectorStore, VectorStoreSearchResponse

    # The hosts: the generated model each helper class is mixed into (codegen.typegen.MODEL_MIXINS),
    # as far as the helpers read it; _hosts() at the end checks the generated models against them.
    class _Bound(Protocol):
        @property
        def id(self) -> str: ...
        def _sync(self) -> OpenAI: ...
        def _async(self) -> AsyncOpenAI: ...

    class _BatchHost(_Bound, Protocol):
        @property
        def status(self) -> str: ...
        @property
        def input_file_id(self) -> str: ...
        @property
        def output_file_id(self) -> str | None: ...
        @property
        def error_file_id(self) -> str | None: ...
        def _result_files(self) -> tuple[str, list[str]]: ...

    class _RunHost(_Bound, Protocol):
        @property
        def thread_id(self) -> str: ...


__all__ = ["BatchResult", "ClientBound", "UnboundObjectError", "bind", "bind_items"]

_CLIENTS: dict[int, tuple[weakref.ref[Any], OpenAI | AsyncOpenAI]] = {}
_SWEEP_AT = 1024
#: every class with conveniences (filled by ClientBound.__init_subclass__)
_BOUND_TYPES: set[type] = set()


class UnboundObjectError(OpenAIError):
    """The object was not fetched through a client (built by hand, copied, unpickled)."""


def bind(result: Any, client: OpenAI | AsyncOpenAI) -> Any:
    """Remember ``client`` for ``result`` (and a page's items) when it has conveniences; returns it."""
    if type(result) in _BOUND_TYPES:  # a set lookup: cheaper than isinstance on a pydantic model
        _attach(result, client)
    return result


def bind_items(items: list[Any], client: OpenAI | AsyncOpenAI) -> list[Any]:
    """A page's items, bound when they are handed out (so parsing a page of 10 000 items costs nothing)."""
    if items and type(items[0]) in _BOUND_TYPES:
        for item in items:
            _attach(item, client)
    return items


def _attach(obj: Any, client: OpenAI | AsyncOpenAI) -> None:
    # no weakref callback (it costs more than the parse of a small object): dead entries are swept when
    # the table has doubled since the last sweep; a lookup checks the reference, so a reused id is safe
    global _SWEEP_AT
    _CLIENTS[id(obj)] = (weakref.ref(obj), client)
    if len(_CLIENTS) > _SWEEP_AT:
        # a snapshot (other threads may bind meanwhile); an entry replaced since is left alone
        for key, entry in list(_CLIENTS.items()):
            if entry[0]() is None and _CLIENTS.get(key) is entry:
                _CLIENTS.pop(key, None)
        _SWEEP_AT = max(1024, 2 * len(_CLIENTS))


def _is_async(client: OpenAI | AsyncOpenAI) -> TypeIs[AsyncOpenAI]:
    from ._client import AsyncOpenAI

    return isinstance(client, AsyncOpenAI)


class ClientBound:
    """Mixed into the generated models that have conveniences (``codegen.typegen.MODEL_MIXINS``)."""

    __slots__ = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _BOUND_TYPES.add(cls)

    def _kit_client(self) -> OpenAI | AsyncOpenAI:
        entry = _CLIENTS.get(id(self))
        if entry is None or entry[0]() is not self:
            raise UnboundObjectError(
                f"this {type(self).__name__} was not fetched through a client (built by hand or copied), "
                "so it cannot call the API; fetch it with the client, e.g. client.<area>.retrieve(id)"
            )
        client = entry[1]
        # an object parsed from a raw response must not make its own calls return raw responses
        return client if client._mode is None else client._view_with_mode(None)

    def _sync(self) -> OpenAI:
        client = self._kit_client()
        if _is_async(client):
            raise UnboundObjectError(
                f"this {type(self).__name__} came from an async client: use the 'a'-prefixed method"
            )
        return client

    def _async(self) -> AsyncOpenAI:
        client = self._kit_client()
        if not _is_async(client):
            raise UnboundObjectError(
                f"this {type(self).__name__} came from a sync client: drop the 'a' prefix"
            )
        return client


# -- batches -------------------------------------------------------------------------------------------
class BatchResultResponse(BaseModel):
    status_code: int
    request_id: str | None = None
    body: Any = None


class BatchResult(BaseModel):
    """One line of a batch's output (or error) file."""

    id: str | None = None
    custom_id: str
    response: BatchResultResponse | None = None
    error: Any = None


def _lines(blob: bytes) -> list[Any]:
    return [orjson.loads(line) for line in blob.splitlines() if line.strip()]


def _ordered(input_blob: bytes, outputs: list[bytes]) -> list[BatchResult]:
    order = {line.get("custom_id"): i for i, line in enumerate(_lines(input_blob))}
    results = [BatchResult.model_validate(line) for blob in outputs for line in _lines(blob)]
    return sorted(results, key=lambda r: order.get(r.custom_id, len(order)))


class BatchHelpers(ClientBound):
    """``batch.wait()``, ``batch.results()`` (and ``await_()``, ``aresults()``)."""

    __slots__ = ()

    def wait(self: _BatchHost, **kwargs: Any) -> Batch:
        """``client.batches.wait(batch.id, ...)``: the batch once completed (typed errors otherwise)."""
        return self._sync().batches.wait(self.id, **kwargs)

    async def await_(self: _BatchHost, **kwargs: Any) -> Batch:
        return await self._async().batches.wait(self.id, **kwargs)

    def _result_files(self: _BatchHost) -> tuple[str, list[str]]:
        if self.status != "completed":
            raise OpenAIError(
                f"batch {self.id} is {self.status!r}: results exist once it is completed (wait())"
            )
        return self.input_file_id, [f for f in (self.output_file_id, self.error_file_id) if f]

    def results(self: _BatchHost) -> Iterator[BatchResult]:
        """Every request's result (successes and errors), in the order of the input file."""
        client = self._sync()
        input_id, outputs = self._result_files()
        blobs = [client.files.content(f).read() for f in outputs]
        yield from _ordered(client.files.content(input_id).read(), blobs)

    async def aresults(self: _BatchHost) -> AsyncIterator[BatchResult]:
        client = self._async()
        input_id, outputs = self._result_files()
        blobs = [await (await client.files.content(f)).read() for f in outputs]
        for result in _ordered(await (await client.files.content(input_id)).read(), blobs):
            yield result


# -- files ---------------------------------------------------------------------------------------------
class FileHelpers(ClientBound):
    """``file.download(path)`` (and ``adownload``): the content saved atomically; a directory keeps the
    file's own name."""

    __slots__ = ()

    def download(self: _Bound, path: str | Path = ".") -> Path:
        return self._sync().files.content(self.id).save(path)

    async def adownload(self: _Bound, path: str | Path = ".") -> Path:
        return await (await self._async().files.content(self.id)).save(path)


# -- vector stores -------------------------------------------------------------------------------------
class VectorStoreHelpers(ClientBound):
    """``vector_store.search(query, ...)`` (and ``asearch``)."""

    __slots__ = ()

    def search(
        self: _Bound, query: str | Sequence[str], **kwargs: Any
    ) -> SyncPage[VectorStoreSearchResponse]:
        return self._sync().vector_stores.search(self.id, query=query, **kwargs)

    def asearch(
        self: _Bound, query: str | Sequence[str], **kwargs: Any
    ) -> AsyncPage[VectorStoreSearchResponse]:
        """An ``AsyncPage``: ``await`` it, or ``async for`` over the results."""
        return self._async().vector_stores.search(self.id, query=query, **kwargs)


# -- fine-tuning jobs ----------------------------------------------------------------------------------
class FineTuningJobHelpers(ClientBound):
    """``job.wait(on_event=...)`` (and ``await_``)."""

    __slots__ = ()

    def wait(self: _Bound, **kwargs: Any) -> FineTuningJob:
        return self._sync().fine_tuning.jobs.wait(self.id, **kwargs)

    async def await_(self: _Bound, **kwargs: Any) -> FineTuningJob:
        return await self._async().fine_tuning.jobs.wait(self.id, **kwargs)


# -- assistants: threads and runs ----------------------------------------------------------------------
class ThreadHelpers(ClientBound):
    """``thread.create_message(content)``, ``thread.run(assistant_id=...)`` (and ``a``-prefixed)."""

    __slots__ = ()

    def create_message(
        self: _Bound, content: Any, *, role: Literal["user", "assistant"] = "user", **kwargs: Any
    ) -> Message:
        return self._sync().beta.threads.messages.create(self.id, content=content, role=role, **kwargs)

    async def acreate_message(
        self: _Bound, content: Any, *, role: Literal["user", "assistant"] = "user", **kwargs: Any
    ) -> Message:
        messages = self._async().beta.threads.messages
        return await messages.create(self.id, content=content, role=role, **kwargs)

    def run(self: _Bound, *, assistant_id: str, poll_interval_ms: int | None = None, **kwargs: Any) -> Run:
        """Start a run on this thread and wait until it ends or needs tool outputs."""
        runs = self._sync().beta.threads.runs
        return runs.create_and_poll(
            thread_id=self.id, assistant_id=assistant_id, poll_interval_ms=poll_interval_ms, **kwargs
        )

    async def arun(
        self: _Bound, *, assistant_id: str, poll_interval_ms: int | None = None, **kwargs: Any
    ) -> Run:
        runs = self._async().beta.threads.runs
        return await runs.create_and_poll(
            thread_id=self.id, assistant_id=assistant_id, poll_interval_ms=poll_interval_ms, **kwargs
        )


class RunHelpers(ClientBound):
    """``run.wait()``, ``run.submit_tool_outputs(outputs)``, ``run.cancel()`` (and ``a``-prefixed)."""

    __slots__ = ()

    def wait(self: _RunHost, *, poll_interval_ms: int | None = None) -> Run:
        """Wait until the run ends or needs tool outputs."""
        return self._sync().beta.threads.runs.poll(self.id, self.thread_id, poll_interval_ms=poll_interval_ms)

    async def await_(self: _RunHost, *, poll_interval_ms: int | None = None) -> Run:
        runs = self._async().beta.threads.runs
        return await runs.poll(self.id, self.thread_id, poll_interval_ms=poll_interval_ms)

    def submit_tool_outputs(self: _RunHost, tool_outputs: Sequence[Any], **kwargs: Any) -> Run:
        runs = self._sync().beta.threads.runs
        # **kwargs makes the overloaded call Any to mypy; without stream=True it is the Run
        run: Run = runs.submit_tool_outputs(
            self.id, thread_id=self.thread_id, tool_outputs=list(tool_outputs), **kwargs
        )
        return run

    async def asubmit_tool_outputs(self: _RunHost, tool_outputs: Sequence[Any], **kwargs: Any) -> Run:
        runs = self._async().beta.threads.runs
        run: Run = await runs.submit_tool_outputs(  # a Run without stream=True (see the sync twin)
            self.id, thread_id=self.thread_id, tool_outputs=list(tool_outputs), **kwargs
        )
        return run

    def cancel(self: _RunHost) -> Run:
        return self._sync().beta.threads.runs.cancel(self.id, thread_id=self.thread_id)

    async def acancel(self: _RunHost) -> Run:
        return await self._async().beta.threads.runs.cancel(self.id, thread_id=self.thread_id)


if TYPE_CHECKING:

    def _hosts(
        batch: Batch, file: FileObject, store: VectorStore, job: FineTuningJob, thread: Thread, run: Run
    ) -> tuple[_BatchHost, _Bound, _Bound, _Bound, _Bound, _RunHost]:
        """Never called: mypy checks here that each generated model is the host its helpers expect."""
        return batch, file, store, job, thread, run
