"""``/chatkit``: ChatKit sessions, and the threads and items their conversations make.

The REST API has no way to write to a thread: ChatKit's front end does that with the session's client
secret. So the server also answers ``POST /v1/chatkit/conversation`` (authenticated by a session's client
secret, not the API key) with the two streaming requests of the ChatKit protocol that make threads:
``threads.create`` and ``threads.add_user_message``. Each stores the user message, runs the session's
workflow (the server's chat model named by the workflow id when there is one, else ``echo``) over the
thread's history, stores the assistant message, and streams ``thread.created`` / ``thread.item.done`` events.
Sessions expire (``expires_after``), can be cancelled, and hold to their ``max_requests_per_1_minute``.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..crud import Stored
from ..errors import RequestError, invalid, missing
from ..ids import new_id, now
from ..models import GenerationRequest, Turn
from ..models.base import off_loop
from ..pagination import paginate
from ..params import opt_bool, opt_dict, opt_int, opt_list, opt_str, req_str
from ..sse import event, stream_response
from ..state import ServerState, json_body, ok, state_of

SESSION_KIND = "chatkit_session"
THREAD_KIND = "chatkit_thread"
ITEM_KIND = "chatkit_thread_item"
CONVERSATION_PATH = "/v1/chatkit/conversation"
DEFAULT_RATE = 10
TITLE_WORDS = 6

Doc = dict[str, Any]


def _public(doc: Doc) -> Doc:
    return {k: v for k, v in doc.items() if not k.startswith("_")}


def _session_view(state: ServerState, doc: Doc) -> Doc:
    out = _public(doc)
    if out["status"] == "active" and now() >= out["expires_at"]:
        out["status"] = "expired"
    return out


def _thread_view(state: ServerState, doc: Doc) -> Doc:
    return _public(doc)


SESSIONS = Stored(SESSION_KIND, "ChatKit session", "session_id", view=_session_view)
THREADS = Stored(
    THREAD_KIND,
    "ChatKit thread",
    "thread_id",
    deleted="chatkit.thread.deleted",
    children=(ITEM_KIND,),
    view=_thread_view,
)


# -- sessions ------------------------------------------------------------------------------------


def _flag(body: Doc, name: str, default: bool) -> dict[str, Any]:
    section = opt_dict(body, name, path=f"chatkit_configuration.{name}") or {}
    return {"enabled": opt_bool(section, "enabled", default)}


def _configuration(body: Doc) -> Doc:
    config = opt_dict(body, "chatkit_configuration") or {}
    upload = opt_dict(config, "file_upload", path="chatkit_configuration.file_upload") or {}
    history = opt_dict(config, "history", path="chatkit_configuration.history") or {}
    return {
        "automatic_thread_titling": _flag(config, "automatic_thread_titling", True),
        "file_upload": {
            "enabled": opt_bool(upload, "enabled", False),
            "max_file_size": opt_int(
                upload,
                "max_file_size",
                512,
                lo=1,
                hi=512,
                path="chatkit_configuration.file_upload.max_file_size",
            ),
            "max_files": opt_int(
                upload, "max_files", 10, lo=1, path="chatkit_configuration.file_upload.max_files"
            ),
        },
        "history": {
            "enabled": opt_bool(history, "enabled", True),
            "recent_threads": opt_int(
                history, "recent_threads", None, lo=1, path="chatkit_configuration.history.recent_threads"
            ),
        },
    }


def _workflow(body: Doc) -> Doc:
    workflow = opt_dict(body, "workflow")
    if workflow is None:
        raise missing("workflow")
    variables = opt_dict(workflow, "state_variables", path="workflow.state_variables")
    if variables is not None:
        if len(variables) > 64:
            raise invalid(
                "workflow.state_variables", "Invalid 'workflow.state_variables': more than 64 entries."
            )
        for key, value in variables.items():
            if not isinstance(value, (str, int, float, bool)):
                raise invalid(
                    f"workflow.state_variables.{key}",
                    f"Invalid type for 'workflow.state_variables.{key}': expected a string, number or boolean.",
                    code="invalid_type",
                )
    tracing = opt_dict(workflow, "tracing", path="workflow.tracing") or {}
    return {
        "id": req_str(workflow, "id", path="workflow.id"),
        "version": opt_str(workflow, "version", path="workflow.version"),
        "state_variables": variables,
        "tracing": {"enabled": opt_bool(tracing, "enabled", True)},
    }


async def create_session(request: Request) -> Response:
    state = state_of(request)
    body = await json_body(request)
    workflow = _workflow(body)
    user = req_str(body, "user")
    expires = opt_dict(body, "expires_after") or {}
    if expires:
        if expires.get("anchor", "created_at") != "created_at":
            raise invalid("expires_after.anchor", "Invalid 'expires_after.anchor': expected 'created_at'.")
        if expires.get("seconds") is None:
            raise missing("expires_after.seconds")
    seconds = opt_int(expires, "seconds", 600, lo=1, hi=600, path="expires_after.seconds") or 600
    limits = opt_dict(body, "rate_limits") or {}
    rate = opt_int(
        limits, "max_requests_per_1_minute", DEFAULT_RATE, lo=1, path="rate_limits.max_requests_per_1_minute"
    )
    secret = "ek_" + secrets.token_urlsafe(32)
    created = now()
    doc = {
        "id": new_id("cksess_"),
        "object": "chatkit.session",
        "expires_at": created + seconds,
        "client_secret": secret[:6] + "..." + secret[-4:],
        "workflow": workflow,
        "user": user,
        "rate_limits": {"max_requests_per_1_minute": rate},
        "max_requests_per_1_minute": rate,
        "status": "active",
        "chatkit_configuration": _configuration(body),
        "_hash": hashlib.sha256(secret.encode()).hexdigest(),
        "_minute": 0,
        "_count": 0,
    }
    state.store.insert(SESSION_KIND, doc)
    return ok({**_session_view(state, doc), "client_secret": secret})


async def cancel_session(request: Request) -> Response:
    state = state_of(request)
    SESSIONS.require(state, request.path_params)
    doc = state.store.update(
        SESSION_KIND, request.path_params["session_id"], lambda d: d.update(status="cancelled")
    )
    assert doc is not None
    return ok(_session_view(state, doc))


# -- threads and items ---------------------------------------------------------------------------


async def list_threads(request: Request) -> Response:
    state = state_of(request)
    user = request.query_params.get("user")
    docs = [_thread_view(state, d) for d in state.store.list(THREAD_KIND) if not user or d["user"] == user]
    return ok(paginate(docs, request.query_params, default_order="desc"))


async def list_items(request: Request) -> Response:
    state = state_of(request)
    thread = THREADS.require(state, request.path_params)
    items = state.store.list(ITEM_KIND, parent=thread["id"])
    return ok(paginate(items, request.query_params, default_order="desc"))


# -- the conversation (ChatKit's front-end protocol) ---------------------------------------------


def _session_of(state: ServerState, request: Request) -> Doc:
    """The active session whose client secret authorizes the request; 401 otherwise; 429 past its rate."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    digest = hashlib.sha256(token.strip().encode()).hexdigest()
    session = next(
        (
            s
            for s in state.store.list(SESSION_KIND)
            if scheme.lower() == "bearer" and secrets.compare_digest(s["_hash"], digest)
        ),
        None,
    )
    if session is None:
        raise RequestError(
            401,
            "A ChatKit client secret is required: 'Authorization: Bearer ek_...'.",
            code="invalid_client_secret",
        )
    status = _session_view(state, session)["status"]
    if status != "active":
        raise RequestError(401, f"The ChatKit session is {status}.", code=f"session_{status}")
    minute = now() // 60

    def count(doc: Doc) -> None:
        if doc["_minute"] != minute:
            doc["_minute"], doc["_count"] = minute, 0
        doc["_count"] += 1

    updated = state.store.update(SESSION_KIND, session["id"], count)
    if updated is not None and updated["_count"] > updated["max_requests_per_1_minute"]:
        raise RequestError(
            429,
            f"Rate limit reached: {updated['max_requests_per_1_minute']} requests per minute for this session.",
            type="rate_limit_exceeded",
            code="rate_limit_exceeded",
        )
    return session


def _user_content(params: Doc) -> tuple[list[Doc], Doc | None]:
    source = opt_dict(params, "input", path="params.input")
    if source is None:
        raise missing("params.input")
    parts = opt_list(source, "content", path="params.input.content", max_items=100)
    if not parts:
        raise missing("params.input.content")
    content = []
    for i, part in enumerate(parts):
        where = f"params.input.content[{i}]"
        if not isinstance(part, dict):
            raise invalid(where, f"Invalid type for '{where}': expected an object.", code="invalid_type")
        kind = part.get("type")
        if kind not in ("input_text", "quoted_text"):
            raise invalid(
                f"{where}.type",
                f"Invalid value: '{kind}'. Supported values are: 'input_text' and 'quoted_text'.",
                code="invalid_value",
            )
        content.append({"type": kind, "text": req_str(part, "text", path=f"{where}.text")})
    options = opt_dict(source, "inference_options", path="params.input.inference_options")
    inference = None
    if options is not None:
        choice = opt_dict(options, "tool_choice", path="params.input.inference_options.tool_choice")
        inference = {
            "tool_choice": None
            if choice is None
            else {"id": req_str(choice, "id", path="params.input.inference_options.tool_choice.id")},
            "model": opt_str(options, "model", path="params.input.inference_options.model"),
        }
    return content, inference


def _item(thread_id: str, kind: str, **fields: Any) -> Doc:
    return {
        "id": new_id("cthi_"),
        "object": "chatkit.thread_item",
        "created_at": now(),
        "thread_id": thread_id,
        "type": kind,
        **fields,
    }


async def _reply(state: ServerState, session: Doc, thread_id: str) -> str:
    turns = []
    for item in state.store.list(ITEM_KIND, parent=thread_id):
        if item["type"] in ("chatkit.user_message", "chatkit.assistant_message"):
            role = "user" if item["type"] == "chatkit.user_message" else "assistant"
            turns.append(Turn(role, "\n".join(part["text"] for part in item["content"])))
    model = state.models.chat_or_none(session["workflow"]["id"]) or state.models.chat("echo")
    request = GenerationRequest(turns=turns)
    reply = await off_loop(model, lambda: model.generate(request), request)
    return reply.text or ""


async def conversation(request: Request) -> Response:
    state = state_of(request)
    session = _session_of(state, request)
    body = await json_body(request)
    kind = req_str(body, "type")
    params = opt_dict(body, "params") or {}
    if kind == "threads.create":
        content, inference = _user_content(params)
        text = " ".join(p["text"] for p in content)
        titled = session["chatkit_configuration"]["automatic_thread_titling"]["enabled"]
        thread = {
            "id": new_id("cthr_"),
            "object": "chatkit.thread",
            "created_at": now(),
            "title": " ".join(text.split()[:TITLE_WORDS]) if titled else None,
            "status": {"type": "active"},
            "user": session["user"],
        }
        state.store.insert(THREAD_KIND, thread)
        created: Doc | None = thread
    elif kind == "threads.add_user_message":
        content, inference = _user_content(params)
        thread_id = req_str(params, "thread_id", path="params.thread_id")
        thread = THREADS.find(state, thread_id, "params.thread_id")
        if thread["user"] != session["user"]:
            raise RequestError(
                404,
                f"No ChatKit thread found with id '{thread_id}'.",
                param="params.thread_id",
                code="not_found",
            )
        created = None
    else:
        raise invalid(
            "type",
            f"Invalid value: '{kind}'. Supported values are: 'threads.create' and 'threads.add_user_message'.",
            code="invalid_value",
        )
    user_item = _item(
        thread["id"], "chatkit.user_message", content=content, attachments=[], inference_options=inference
    )
    state.store.insert(ITEM_KIND, user_item, parent=thread["id"])
    answer = _item(
        thread["id"],
        "chatkit.assistant_message",
        content=[
            {"type": "output_text", "text": await _reply(state, session, thread["id"]), "annotations": []}
        ],
    )
    state.store.insert(ITEM_KIND, answer, parent=thread["id"])

    async def events() -> AsyncIterator[bytes]:
        if created is not None:
            yield event({"type": "thread.created", "thread": created})
        yield event({"type": "thread.item.done", "item": user_item})
        yield event({"type": "thread.item.added", "item": {**answer, "content": []}})
        yield event({"type": "thread.item.done", "item": answer})

    return stream_response(events())


ROUTES = [
    Route("/chatkit/sessions", create_session, methods=["POST"]),
    Route("/chatkit/sessions/{session_id}/cancel", cancel_session, methods=["POST"]),
    Route("/chatkit/conversation", conversation, methods=["POST"]),
    Route("/chatkit/threads", list_threads, methods=["GET"]),
    Route("/chatkit/threads/{thread_id}", THREADS.retrieve, methods=["GET"]),
    Route("/chatkit/threads/{thread_id}", THREADS.delete, methods=["DELETE"]),
    Route("/chatkit/threads/{thread_id}/items", list_items, methods=["GET"]),
]
