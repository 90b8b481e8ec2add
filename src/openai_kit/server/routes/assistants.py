"""``/assistants``, ``/threads`` and ``/threads/{id}/messages``: create, list, retrieve, update, delete."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import conversation, limits
from ..crud import Stored
from ..errors import invalid, missing
from ..ids import new_id, now
from ..pagination import paginate
from ..params import metadata, opt_dict, opt_list, opt_num, opt_str, req_str
from ..state import ServerState, json_body, ok, state_of

ASSISTANT = "assistant"
THREAD = "thread"
MESSAGE = "thread_message"
RUN = "thread_run"
STEP = "thread_run_step"

ASSISTANTS = Stored(ASSISTANT, "assistant", "assistant_id", deleted="assistant.deleted")
THREADS = Stored(THREAD, "thread", "thread_id", deleted="thread.deleted", children=(MESSAGE, RUN))
MESSAGES = Stored(
    MESSAGE,
    "message",
    "message_id",
    deleted="thread.message.deleted",
    parent=THREADS,
    parent_field="thread_id",
)


# -- shared validation -----------------------------------------------------------------------


def parse_tools(state: ServerState, body: dict[str, Any], param: str = "tools") -> list[dict[str, Any]]:
    tools = opt_list(body, param, max_items=128) or []
    conversation.function_tools(tools, nested=True, param=param)
    for i, tool in enumerate(tools):
        if tool.get("type") not in ("function", "file_search", "code_interpreter"):
            raise invalid(
                f"{param}[{i}].type",
                f"Invalid value: '{tool.get('type')}'. Supported values are: "
                "'code_interpreter', 'file_search' and 'function'.",
                code="invalid_value",
            )
    out = []
    for tool in tools:
        if tool["type"] == "function":
            fn = tool["function"]
            function = {"name": fn["name"], "strict": fn.get("strict", False)}
            for key in ("description", "parameters"):  # optional, and never null in the API's answer
                if fn.get(key) is not None:
                    function[key] = fn[key]
            out.append({"type": "function", "function": function})
        else:
            out.append({"type": tool["type"]})
    return out


def response_format(body: dict[str, Any]) -> Any:
    value = body.get("response_format")
    conversation.chat_response_format(value)
    return "auto" if value is None else value


def message_content(value: Any, param: str) -> list[dict[str, Any]]:
    if value is None:
        raise missing(param)
    if isinstance(value, str):
        return [{"type": "text", "text": {"value": value, "annotations": []}}]
    if not isinstance(value, list) or not value:
        raise invalid(param, f"Invalid '{param}': expected a string or a non-empty array of content parts.")
    parts: list[dict[str, Any]] = []
    for i, part in enumerate(value):
        p = f"{param}[{i}]"
        if not isinstance(part, dict):
            raise invalid(p, f"Invalid type for '{p}': expected an object.", code="invalid_type")
        kind = part.get("type")
        if kind == "text":
            parts.append(
                {
                    "type": "text",
                    "text": {"value": req_str(part, "text", path=f"{p}.text"), "annotations": []},
                }
            )
        elif kind in ("image_file", "image_url"):
            parts.append(part)
        else:
            raise invalid(
                f"{p}.type",
                f"Invalid value: '{kind}'. Supported values are: 'text', 'image_file' and 'image_url'.",
                code="invalid_value",
            )
    return parts


def new_message(
    state: ServerState, thread_id: str, body: dict[str, Any], param: str = "", **extra: Any
) -> dict[str, Any]:
    prefix = f"{param}." if param else ""
    role = req_str(body, "role", path=f"{prefix}role")
    if role not in ("user", "assistant"):
        raise invalid(
            f"{prefix}role",
            f"Invalid value: '{role}'. Supported values are: 'user' and 'assistant'.",
            code="invalid_value",
        )
    content = message_content(body.get("content"), f"{prefix}content")
    attachments = opt_list(body, "attachments", path=f"{prefix}attachments")
    created = now()
    msg = {
        "id": new_id("msg_"),
        "object": "thread.message",
        "created_at": created,
        "thread_id": thread_id,
        "status": "completed",
        "incomplete_details": None,
        "completed_at": created,
        "incomplete_at": None,
        "role": role,
        "content": content,
        "assistant_id": None,
        "run_id": None,
        "attachments": attachments or [],
        "metadata": metadata(body) or {},
        **extra,
    }
    return state.store.insert(MESSAGE, msg, parent=thread_id)


# -- assistants ------------------------------------------------------------------------------


_TEXT_LIMITS = {
    "name": limits.NAME_CHARS,
    "description": limits.DESCRIPTION_CHARS,
    "instructions": limits.INSTRUCTIONS_CHARS,
}


def _assistant_fields(state: ServerState, body: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if not partial or "model" in body:
        model = req_str(body, "model")
        state.models.chat(model)
        fields["model"] = model
    for name, most in _TEXT_LIMITS.items():
        if not partial or name in body:
            fields[name] = opt_str(body, name, max_len=most)
    if not partial or "tools" in body:
        fields["tools"] = parse_tools(state, body)
    if not partial or "tool_resources" in body:
        fields["tool_resources"] = opt_dict(body, "tool_resources") or {}
    if not partial or "metadata" in body:
        fields["metadata"] = metadata(body) or {}
    if not partial or "temperature" in body:
        fields["temperature"] = opt_num(body, "temperature", 1.0, lo=0, hi=2)
    if not partial or "top_p" in body:
        fields["top_p"] = opt_num(body, "top_p", 1.0, lo=0, hi=1)
    if not partial or "response_format" in body:
        fields["response_format"] = response_format(body)
    return fields


async def create_assistant(request: Request) -> Response:
    state = state_of(request)
    fields = _assistant_fields(state, await json_body(request), partial=False)
    obj = {"id": new_id("asst_"), "object": "assistant", "created_at": now(), **fields}
    return ok(state.store.insert(ASSISTANT, obj))


async def list_assistants(request: Request) -> Response:
    return ok(paginate(state_of(request).store.list(ASSISTANT), request.query_params))


async def update_assistant(request: Request) -> Response:
    state = state_of(request)
    fields = _assistant_fields(state, await json_body(request), partial=True)
    ASSISTANTS.require(state, request.path_params)
    return ok(state.store.update(ASSISTANT, request.path_params["assistant_id"], lambda d: d.update(fields)))


# -- threads ---------------------------------------------------------------------------------


def create_thread_from(state: ServerState, body: dict[str, Any], param: str = "") -> dict[str, Any]:
    prefix = f"{param}." if param else ""
    messages = opt_list(body, "messages", path=f"{prefix}messages") or []
    for i, m in enumerate(messages):
        if not isinstance(m, dict):
            raise invalid(f"{prefix}messages[{i}]", "Invalid type: expected an object.", code="invalid_type")
        message_content(m.get("content"), f"{prefix}messages[{i}].content")
        req_str(m, "role", path=f"{prefix}messages[{i}].role")
    thread: dict[str, Any] = {
        "id": new_id("thread_"),
        "object": "thread",
        "created_at": now(),
        "tool_resources": opt_dict(body, "tool_resources") or {},
        "metadata": metadata(body) or {},
    }
    state.store.insert(THREAD, thread)
    for i, m in enumerate(messages):
        new_message(state, thread["id"], m, f"{prefix}messages[{i}]")
    return thread


async def create_thread(request: Request) -> Response:
    state = state_of(request)
    body = await json_body(request, allow_empty=True)
    return ok(create_thread_from(state, body))


async def update_thread(request: Request) -> Response:
    state = state_of(request)
    body = await json_body(request)
    changes: dict[str, Any] = {}
    if "metadata" in body:
        changes["metadata"] = metadata(body) or {}
    if "tool_resources" in body:
        changes["tool_resources"] = opt_dict(body, "tool_resources") or {}
    THREADS.require(state, request.path_params)
    return ok(state.store.update(THREAD, request.path_params["thread_id"], lambda d: d.update(changes)))


# -- messages --------------------------------------------------------------------------------


async def create_message(request: Request) -> Response:
    state = state_of(request)
    tid = request.path_params["thread_id"]
    body = await json_body(request)
    THREADS.require(state, request.path_params)
    return ok(new_message(state, tid, body))


async def list_messages(request: Request) -> Response:
    state = state_of(request)
    tid = request.path_params["thread_id"]
    THREADS.require(state, request.path_params)
    items = state.store.list(MESSAGE, parent=tid)
    run_id = request.query_params.get("run_id")
    if run_id:
        items = [m for m in items if m["run_id"] == run_id]
    return ok(paginate(items, request.query_params))


ROUTES = [
    Route("/assistants", create_assistant, methods=["POST"]),
    Route("/assistants", list_assistants, methods=["GET"]),
    Route("/assistants/{assistant_id}", ASSISTANTS.retrieve, methods=["GET"]),
    Route("/assistants/{assistant_id}", update_assistant, methods=["POST"]),
    Route("/assistants/{assistant_id}", ASSISTANTS.delete, methods=["DELETE"]),
    Route("/threads", create_thread, methods=["POST"]),
    Route("/threads/{thread_id}", THREADS.retrieve, methods=["GET"]),
    Route("/threads/{thread_id}", update_thread, methods=["POST"]),
    Route("/threads/{thread_id}", THREADS.delete, methods=["DELETE"]),
    Route("/threads/{thread_id}/messages", create_message, methods=["POST"]),
    Route("/threads/{thread_id}/messages", list_messages, methods=["GET"]),
    Route("/threads/{thread_id}/messages/{message_id}", MESSAGES.retrieve, methods=["GET"]),
    Route("/threads/{thread_id}/messages/{message_id}", MESSAGES.update_metadata, methods=["POST"]),
    Route("/threads/{thread_id}/messages/{message_id}", MESSAGES.delete, methods=["DELETE"]),
]
