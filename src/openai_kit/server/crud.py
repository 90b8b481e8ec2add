"""Retrieve, update-metadata and delete, written once for every stored kind.

Each route module describes its kind with a ``Stored`` (store kind, error label, path parameter,
parent, children, wire view) and routes the three operations to its bound methods::

    ASSISTANTS = Stored("assistant", "assistant", "assistant_id", deleted="assistant.deleted")
    Route("/assistants/{assistant_id}", ASSISTANTS.retrieve, methods=["GET"])
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .errors import missing, not_found
from .params import metadata
from .state import ServerState, json_body, ok, state_of

Doc = dict[str, Any]


@dataclass(frozen=True)
class Stored:
    #: the store's kind
    kind: str
    #: what the object is called in a 404 ("No {label} found with id ...")
    label: str
    #: the path parameter that holds the object's id
    param: str
    #: the ``object`` of the delete answer ("assistant.deleted")
    deleted: str = ""
    #: the object this one belongs to (a message's thread), checked first; 404 if the object is not its
    parent: Stored | None = None
    #: the field of the document that holds the parent's id ("thread_id")
    parent_field: str = ""
    #: kinds whose documents (stored with this object as their parent) are deleted with it
    children: tuple[str, ...] = ()
    #: the store key from the path parameters, when it is not simply the id (vector store files)
    key: Callable[[Mapping[str, str]], str] | None = None
    #: the wire form of a stored document (hides private fields, adds computed ones)
    view: Callable[[ServerState, Doc], Doc] | None = None
    #: more clean-up after a delete (a file's bytes on disk)
    on_delete: Callable[[ServerState, Mapping[str, str]], None] | None = None
    #: the update answers 400 when the body has no ``metadata`` (chat completions)
    metadata_required: bool = False

    def store_key(self, params: Mapping[str, str]) -> str:
        return self.key(params) if self.key is not None else params[self.param]

    def require(self, state: ServerState, params: Mapping[str, str]) -> Doc:
        """The stored document named by ``params`` (path parameters), or a 404 naming the parameter."""
        if self.parent is not None:
            self.parent.require(state, params)
        doc = state.store.get(self.kind, self.store_key(params))
        if doc is None or (
            self.parent is not None and doc.get(self.parent_field) != params[self.parent.param]
        ):
            raise not_found(self.label, params[self.param], self.param)
        return doc

    def find(self, state: ServerState, obj_id: str, param: str | None = None) -> Doc:
        """A top-level object by id; the 404 names ``param`` (``input_file_id``, ``file_ids[2]``...)."""
        doc = state.store.get(self.kind, obj_id)
        if doc is None:
            raise not_found(self.label, obj_id, param or self.param)
        return doc

    def show(self, state: ServerState, doc: Doc) -> Doc:
        return self.view(state, doc) if self.view is not None else doc

    # -- route handlers ------------------------------------------------------------------------

    async def retrieve(self, request: Request) -> Response:
        state = state_of(request)
        return ok(self.show(state, self.require(state, request.path_params)))

    async def update_metadata(self, request: Request) -> Response:
        state = state_of(request)
        body = await json_body(request)
        if self.metadata_required and "metadata" not in body:
            raise missing("metadata")
        meta = metadata(body) or {}
        self.require(state, request.path_params)
        doc = state.store.update(
            self.kind, self.store_key(request.path_params), lambda d: d.__setitem__("metadata", meta)
        )
        if doc is None:  # deleted meanwhile
            raise not_found(self.label, request.path_params[self.param], self.param)
        return ok(self.show(state, doc))

    async def delete(self, request: Request) -> Response:
        state = state_of(request)
        params = request.path_params
        self.require(state, params)
        key = self.store_key(params)
        state.store.delete(self.kind, key)
        for kind in self.children:
            state.store.delete_children(kind, key)
        if self.on_delete is not None:
            self.on_delete(state, params)
        return ok({"id": params[self.param], "object": self.deleted, "deleted": True})
