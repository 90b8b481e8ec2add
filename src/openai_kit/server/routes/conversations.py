"""``/conversations``: create (with initial items), retrieve, update metadata, delete, and the items
(list, add, retrieve, delete). Responses created with ``conversation`` read and extend the same items."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..crud import Stored
from ..errors import missing, not_found
from ..ids import new_id, now
from ..pagination import list_body, paginate
from ..params import metadata, opt_list
from ..state import ServerState, json_body, ok, state_of
from .responses import CONVERSATION_ITEM_KIND, CONVERSATION_KIND, append_to_conversation, input_items

MAX_ITEMS_PER_CALL = 20


CONVERSATIONS = Stored(
    CONVERSATION_KIND,
    "conversation",
    "conversation_id",
    deleted="conversation.deleted",
    children=(CONVERSATION_ITEM_KIND,),
    metadata_required=True,
)


def _items(body: dict[str, Any], name: str = "items") -> list[dict[str, Any]]:
    raw = opt_list(body, name, max_items=MAX_ITEMS_PER_CALL)
    return input_items(raw) if raw else []


async def create(request: Request) -> Response:
    state = state_of(request)
    body = await json_body(request, allow_empty=True)
    items = _items(body)
    obj: dict[str, Any] = {
        "id": new_id("conv_"),
        "object": "conversation",
        "created_at": now(),
        "metadata": metadata(body) or {},
    }
    state.store.insert(CONVERSATION_KIND, obj)
    append_to_conversation(state, obj["id"], items)
    return ok(obj)


async def add_items(request: Request) -> Response:
    state = state_of(request)
    conv_id = request.path_params["conversation_id"]
    CONVERSATIONS.find(state, conv_id)
    body = await json_body(request)
    if body.get("items") is None:
        raise missing("items")
    items = _items(body)
    append_to_conversation(state, conv_id, items)
    return ok(list_body(items))


async def list_items(request: Request) -> Response:
    state = state_of(request)
    conv_id = request.path_params["conversation_id"]
    CONVERSATIONS.find(state, conv_id)
    items = state.store.list(CONVERSATION_ITEM_KIND, parent=conv_id)
    return ok(paginate(items, request.query_params, default_order="desc"))


def _require_item(state: ServerState, conv_id: str, item_id: str) -> dict[str, Any]:
    CONVERSATIONS.find(state, conv_id)
    item = next(
        (i for i in state.store.list(CONVERSATION_ITEM_KIND, parent=conv_id) if i["id"] == item_id), None
    )
    if item is None:
        raise not_found("item", item_id, "item_id")
    return item


async def retrieve_item(request: Request) -> Response:
    params = request.path_params
    return ok(_require_item(state_of(request), params["conversation_id"], params["item_id"]))


async def delete_item(request: Request) -> Response:
    state = state_of(request)
    params = request.path_params
    _require_item(state, params["conversation_id"], params["item_id"])
    state.store.delete(CONVERSATION_ITEM_KIND, params["item_id"])
    return ok(CONVERSATIONS.find(state, params["conversation_id"]))


ROUTES = [
    Route("/conversations", create, methods=["POST"]),
    Route("/conversations/{conversation_id}", CONVERSATIONS.retrieve, methods=["GET"]),
    Route("/conversations/{conversation_id}", CONVERSATIONS.update_metadata, methods=["POST"]),
    Route("/conversations/{conversation_id}", CONVERSATIONS.delete, methods=["DELETE"]),
    Route("/conversations/{conversation_id}/items", add_items, methods=["POST"]),
    Route("/conversations/{conversation_id}/items", list_items, methods=["GET"]),
    Route("/conversations/{conversation_id}/items/{item_id}", retrieve_item, methods=["GET"]),
    Route("/conversations/{conversation_id}/items/{item_id}", delete_item, methods=["DELETE"]),
]
