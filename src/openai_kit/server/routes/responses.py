"""``/responses``: create (plain and streamed with the typed event sequence), retrieve, delete and
input items; function calls, ``function_call_output`` inputs and ``previous_response_id`` chains;
``conversation`` (items kept in a conversation, see ``conversations``), ``background`` responses
(queued -> in_progress -> completed, ``cancel``), and ``input_tokens`` counts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import conversation, usage_ledger
from ..crud import Stored
from ..errors import RequestError, invalid, missing, not_found
from ..ids import new_id, now
from ..models import ChatModel, GenerationRequest, OutputFormat, Reply, ToolCall, Turn
from ..models.base import off_loop
from ..pagination import paginate
from ..params import metadata, opt_bool, opt_dict, opt_int, opt_num, opt_str, req_str
from ..sse import event, stream_response
from ..state import ServerState, json_body, ok, state_of
from ..tokens import stream_pieces
from ..usage import prompt_tokens, reply_tokens, response_usage
from .chat import split_arguments

KIND = "response"
ITEM_KIND = "response_input_item"
CONVERSATION_KIND = "conversation"
CONVERSATION_ITEM_KIND = "conversation_item"
#: the request body of a background response, kept until it finishes so a restart can resume it
BACKGROUND_KIND = "response_background_request"
RESPONSES = Stored(KIND, "response", "response_id", deleted="response.deleted", children=(ITEM_KIND,))


@dataclass
class ResponseCall:
    model_id: str
    model: ChatModel
    body: dict[str, Any]
    items: list[dict[str, Any]]
    generation: GenerationRequest
    tools: list[dict[str, Any]]
    tool_choice: Any
    text_format: dict[str, Any]
    store: bool
    stream: bool
    conversation: str | None = None
    background: bool = False


def _message_item(role: str, content: Any, param: str) -> dict[str, Any]:
    if role not in ("user", "system", "developer", "assistant"):
        raise invalid(
            f"{param}.role",
            f"Invalid value: '{role}'. Supported values are: 'user', 'assistant', 'system' and 'developer'.",
            code="invalid_value",
        )
    text = conversation.content_text(content, f"{param}.content")
    if role == "assistant":
        parts = [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}]
        return {
            "id": new_id("msg_"),
            "type": "message",
            "role": role,
            "status": "completed",
            "content": parts,
        }
    if isinstance(content, list):
        parts = [p for p in content if isinstance(p, dict)]
    else:
        parts = [{"type": "input_text", "text": text}]
    return {"id": new_id("msg_"), "type": "message", "role": role, "status": "completed", "content": parts}


def input_items(value: Any) -> list[dict[str, Any]]:
    """Validate ``input`` and give every item an id, as the input-items list shows them."""
    if value is None:
        raise missing("input")
    if isinstance(value, str):
        return [_message_item("user", value, "input")]
    if not isinstance(value, list):
        raise invalid(
            "input", "Invalid type for 'input': expected a string or an array of items.", code="invalid_type"
        )
    items: list[dict[str, Any]] = []
    for i, item in enumerate(value):
        p = f"input[{i}]"
        if not isinstance(item, dict):
            raise invalid(p, f"Invalid type for '{p}': expected an object.", code="invalid_type")
        kind = item.get("type", "message")
        if kind == "message":
            items.append(_message_item(req_str(item, "role", path=f"{p}.role"), item.get("content"), p))
        elif kind == "function_call":
            items.append(
                {
                    "id": opt_str(item, "id") or new_id("fc_"),
                    "type": "function_call",
                    "status": "completed",
                    "call_id": req_str(item, "call_id", path=f"{p}.call_id"),
                    "name": req_str(item, "name", path=f"{p}.name"),
                    "arguments": opt_str(item, "arguments", "", path=f"{p}.arguments") or "",
                }
            )
        elif kind == "function_call_output":
            output = item.get("output")
            if output is None:
                raise missing(f"{p}.output")
            if not isinstance(output, str):
                output = conversation.content_text(output, f"{p}.output")
            items.append(
                {
                    "id": new_id("fco_"),
                    "type": "function_call_output",
                    "status": "completed",
                    "call_id": req_str(item, "call_id", path=f"{p}.call_id"),
                    "output": output,
                }
            )
        else:
            raise invalid(
                f"{p}.type",
                f"Invalid value: '{kind}'. Supported item types are: 'message', "
                "'function_call' and 'function_call_output'.",
                code="invalid_value",
            )
    return items


def items_to_turns(items: list[dict[str, Any]]) -> list[Turn]:
    turns: list[Turn] = []
    for item in items:
        kind = item["type"]
        if kind == "message":
            text = "".join(str(part.get("text", "")) for part in item["content"] if isinstance(part, dict))
            turns.append(Turn(role=item["role"], content=text))
        elif kind == "function_call":
            call = ToolCall(id=item["call_id"], name=item["name"], arguments=item["arguments"])
            if turns and turns[-1].role == "assistant" and turns[-1].tool_calls and not turns[-1].content:
                turns[-1].tool_calls.append(call)
            else:
                turns.append(Turn(role="assistant", tool_calls=[call]))
        elif kind == "function_call_output":
            turns.append(Turn(role="tool", content=item["output"], tool_call_id=item["call_id"]))
    return turns


def history(state: ServerState, response_id: str) -> list[dict[str, Any]]:
    """Every input and output item of a response chain, oldest first."""
    chain: list[dict[str, Any]] = []
    current: str | None = response_id
    while current:
        resp = state.store.get(KIND, current)
        if resp is None:
            raise RequestError(
                404,
                f"Previous response with id '{current}' not found.",
                param="previous_response_id",
                code="previous_response_not_found",
            )
        chain.append(resp)
        current = resp.get("previous_response_id")
    items: list[dict[str, Any]] = []
    for resp in reversed(chain):
        items.extend(state.store.list(ITEM_KIND, parent=resp["id"]))
        items.extend(resp["output"])
    return items


def conversation_id(body: dict[str, Any]) -> str | None:
    """The ``conversation`` parameter: an id, or an object with one."""
    value = body.get("conversation")
    if value is None:
        return None
    if isinstance(value, dict):
        return req_str(value, "id", path="conversation.id")
    if not isinstance(value, str) or not value:
        raise invalid(
            "conversation",
            "Invalid type for 'conversation': expected a string or an object with an 'id'.",
            code="invalid_type",
        )
    return value


def conversation_items(state: ServerState, conv_id: str, param: str = "conversation") -> list[dict[str, Any]]:
    if state.store.get(CONVERSATION_KIND, conv_id) is None:
        raise not_found("conversation", conv_id, param)
    return state.store.list(CONVERSATION_ITEM_KIND, parent=conv_id)


def append_to_conversation(state: ServerState, conv_id: str, items: list[dict[str, Any]]) -> None:
    """Add items to a conversation (an item already in it, e.g. a re-sent call, is not added twice)."""
    for item in items:
        if state.store.get(CONVERSATION_ITEM_KIND, item["id"]) is None:
            state.store.insert(CONVERSATION_ITEM_KIND, item, parent=conv_id)


def _text_format(body: dict[str, Any]) -> tuple[dict[str, Any], OutputFormat]:
    text = opt_dict(body, "text") or {}
    fmt = opt_dict(text, "format", path="text.format")
    if fmt is None or fmt.get("type") == "text":
        return {"type": "text"}, OutputFormat()
    kind = fmt.get("type")
    if kind == "json_object":
        return {"type": "json_object"}, OutputFormat(type="json_object", param="text.format")
    if kind == "json_schema":
        name = req_str(fmt, "name", path="text.format.name")
        schema = opt_dict(fmt, "schema", path="text.format.schema")
        if schema is None:
            raise missing("text.format.schema")
        echo = {
            "type": "json_schema",
            "name": name,
            "schema": schema,
            "strict": bool(fmt.get("strict", False)),
        }
        if isinstance(fmt.get("description"), str):
            echo["description"] = fmt["description"]
        return echo, OutputFormat(type="json_schema", schema=schema, param="text.format.schema")
    raise invalid(
        "text.format.type",
        f"Invalid value: '{kind}'. Supported values are: 'text', 'json_object' and 'json_schema'.",
        code="invalid_value",
    )


def _tools_echo(body: dict[str, Any]) -> list[dict[str, Any]]:
    raw = body.get("tools") or []
    out = []
    for tool in raw:
        if tool.get("type") == "function":
            out.append(
                {
                    "type": "function",
                    "name": tool["name"],
                    "description": tool.get("description"),
                    "parameters": tool.get("parameters"),
                    "strict": tool.get("strict", True),
                }
            )
    return out


def parse(state: ServerState, body: dict[str, Any]) -> ResponseCall:
    model_id = req_str(body, "model")
    items = input_items(body.get("input"))
    model = state.models.chat(model_id)
    specs = conversation.function_tools(body.get("tools"), nested=False)
    choice_value = body.get("tool_choice")
    choice = conversation.tool_choice(choice_value, specs, nested=False)
    text_format, output = _text_format(body)
    prev = opt_str(body, "previous_response_id")
    conv = conversation_id(body)
    if conv and prev:
        raise invalid(
            "conversation",
            "Parameters 'conversation' and 'previous_response_id' cannot be used together.",
            code="invalid_parameters",
        )
    background = opt_bool(body, "background")
    if background and not opt_bool(body, "store", True):
        raise invalid("background", "Background responses need 'store' to be true.", code="invalid_value")
    instructions = opt_str(body, "instructions")
    max_tokens = opt_int(body, "max_output_tokens", lo=1)
    opt_num(body, "temperature", lo=0, hi=2)
    opt_num(body, "top_p", lo=0, hi=1)
    metadata(body)
    before = history(state, prev) if prev else (conversation_items(state, conv) if conv else [])
    known_calls = {i["call_id"] for i in before + items if i["type"] == "function_call"}
    for i, item in enumerate(items):
        if item["type"] == "function_call_output" and item["call_id"] not in known_calls:
            raise invalid(
                f"input[{i}].call_id",
                f"No tool call found for function call output with call_id {item['call_id']}.",
            )
    turns = ([Turn("developer", instructions)] if instructions else []) + items_to_turns(before + items)
    generation = GenerationRequest(
        turns=turns,
        tools=specs,
        tool_choice=choice,
        output=output,
        parallel_tool_calls=opt_bool(body, "parallel_tool_calls", True),
        max_tokens=max_tokens,
    )
    tool_choice_echo: Any = choice_value if isinstance(choice_value, dict) else choice
    return ResponseCall(
        model_id=model_id,
        model=model,
        body=body,
        items=items,
        generation=generation,
        tools=_tools_echo(body),
        tool_choice=tool_choice_echo,
        text_format=text_format,
        store=opt_bool(body, "store", True),
        stream=opt_bool(body, "stream"),
        conversation=conv,
        background=background,
    )


def output_items(reply: Reply) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if reply.text is not None and (reply.text or not reply.tool_calls):
        part = {"type": "output_text", "text": reply.text, "annotations": [], "logprobs": []}
        items.append(
            {
                "id": new_id("msg_"),
                "type": "message",
                "status": "completed",
                "role": "assistant",
                "content": [part],
            }
        )
    for call in reply.tool_calls:
        items.append(
            {
                "id": new_id("fc_"),
                "type": "function_call",
                "status": "completed",
                "call_id": call.id,
                "name": call.name,
                "arguments": call.arguments,
            }
        )
    return items


def response_object(call: ResponseCall, rid: str, created: int) -> dict[str, Any]:
    return _object_fields(call, rid, created) | _conversation_field(call)


def _conversation_field(call: ResponseCall) -> dict[str, Any]:
    return {"conversation": {"id": call.conversation}} if call.conversation else {}


def _object_fields(call: ResponseCall, rid: str, created: int) -> dict[str, Any]:
    body = call.body
    return {
        "id": rid,
        "object": "response",
        "created_at": created,
        "status": "in_progress",
        "completed_at": None,
        "background": call.background,
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "max_tool_calls": None,
        "model": call.model_id,
        "output": [],
        "parallel_tool_calls": call.generation.parallel_tool_calls,
        "previous_response_id": body.get("previous_response_id"),
        "reasoning": {"effort": None, "summary": None},
        "service_tier": "default",
        "store": call.store,
        "temperature": body.get("temperature", 1.0),
        "text": {"format": call.text_format, "verbosity": "medium"},
        "tool_choice": call.tool_choice,
        "tools": call.tools,
        "top_p": body.get("top_p", 1.0),
        "truncation": "disabled",
        "metadata": body.get("metadata") or {},
    } | ({"user": body["user"]} if isinstance(body.get("user"), str) else {})


def finish(
    call: ResponseCall, obj: dict[str, Any], reply: Reply, output: list[dict[str, Any]]
) -> dict[str, Any]:
    done = dict(obj)
    done["output"] = output
    done["usage"] = response_usage(prompt_tokens(call.generation.turns), reply_tokens(reply))
    if reply.finish_reason == "length":
        done["status"] = "incomplete"
        done["incomplete_details"] = {"reason": "max_output_tokens"}
        for item in output:
            item["status"] = "incomplete"
    else:
        done["status"] = "completed"
        done["completed_at"] = now()
    return done


def save(state: ServerState, call: ResponseCall, obj: dict[str, Any]) -> None:
    usage = obj.get("usage") or {}
    usage_ledger.record_tokens(
        state, "completions", obj["model"], usage.get("input_tokens", 0), usage.get("output_tokens", 0)
    )
    if call.conversation:
        append_to_conversation(state, call.conversation, call.items + obj["output"])
    if not call.store:
        return
    state.store.insert(KIND, obj)
    for item in call.items:
        state.store.insert(ITEM_KIND, item, parent=obj["id"])


async def create_response(state: ServerState, body: dict[str, Any]) -> dict[str, Any]:
    call = parse(state, body)
    reply = await off_loop(call.model, lambda: call.model.generate(call.generation), call.generation)
    obj = finish(call, response_object(call, new_id("resp_"), now()), reply, output_items(reply))
    save(state, call, obj)
    return obj


async def _stream(state: ServerState, call: ResponseCall) -> AsyncIterator[bytes]:
    reply = await off_loop(call.model, lambda: call.model.generate(call.generation), call.generation)
    obj = response_object(call, new_id("resp_"), now())
    seq = 0

    def emit(kind: str, **fields: Any) -> bytes:
        nonlocal seq
        data = {"type": kind, "sequence_number": seq, **fields}
        seq += 1
        return event(data, kind)

    yield emit("response.created", response=obj)
    yield emit("response.in_progress", response=obj)
    output = output_items(reply)
    if reply.finish_reason == "length":
        for item in output:
            item["status"] = "incomplete"
    for index, item in enumerate(output):
        if item["type"] == "message":
            text = item["content"][0]["text"]
            yield emit(
                "response.output_item.added",
                output_index=index,
                item={**item, "status": "in_progress", "content": []},
            )
            empty = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
            yield emit(
                "response.content_part.added",
                item_id=item["id"],
                output_index=index,
                content_index=0,
                part=empty,
            )
            for piece in stream_pieces(text):
                yield emit(
                    "response.output_text.delta",
                    item_id=item["id"],
                    output_index=index,
                    content_index=0,
                    delta=piece,
                    logprobs=[],
                )
            yield emit(
                "response.output_text.done",
                item_id=item["id"],
                output_index=index,
                content_index=0,
                text=text,
                logprobs=[],
            )
            yield emit(
                "response.content_part.done",
                item_id=item["id"],
                output_index=index,
                content_index=0,
                part=item["content"][0],
            )
        else:
            yield emit(
                "response.output_item.added",
                output_index=index,
                item={**item, "status": "in_progress", "arguments": ""},
            )
            for piece in split_arguments(item["arguments"]):
                yield emit(
                    "response.function_call_arguments.delta",
                    item_id=item["id"],
                    output_index=index,
                    delta=piece,
                )
            yield emit(
                "response.function_call_arguments.done",
                item_id=item["id"],
                output_index=index,
                name=item["name"],
                arguments=item["arguments"],
            )
        yield emit("response.output_item.done", output_index=index, item=item)
    done = finish(call, obj, reply, output)
    save(state, call, done)
    kind = "response.incomplete" if done["status"] == "incomplete" else "response.completed"
    yield emit(kind, response=done)


async def create(request: Request) -> Response:
    state = state_of(request)
    body = await json_body(request)
    call = parse(state, body)
    if call.background and not call.stream:
        obj = response_object(call, new_id("resp_"), now()) | {"status": "queued"}
        state.store.insert(KIND, obj)
        for item in call.items:
            state.store.insert(ITEM_KIND, item, parent=obj["id"])
        state.store.insert(BACKGROUND_KIND, {"id": obj["id"], "body": body})
        state.spawn(_run_background(state, call, obj["id"]))
        return ok(obj)
    if call.stream:
        return stream_response(_stream(state, call))
    reply = await off_loop(call.model, lambda: call.model.generate(call.generation), call.generation)
    obj = finish(call, response_object(call, new_id("resp_"), now()), reply, output_items(reply))
    save(state, call, obj)
    return ok(obj)


async def _run_background(state: ServerState, call: ResponseCall, rid: str) -> None:
    """queued -> in_progress -> completed (or incomplete), unless cancelled on the way. A server stop
    interrupts it (the task is cancelled) with the request kept for ``resume``."""
    try:
        await state.pause()
        if _advance(state, rid, {"status": "in_progress"}):
            await state.pause()
            reply = await off_loop(call.model, lambda: call.model.generate(call.generation), call.generation)
            current = state.store.get(KIND, rid)
            done = finish(call, current, reply, output_items(reply)) if current else {}
            if current and _advance(state, rid, done) and call.conversation:
                append_to_conversation(state, call.conversation, call.items + done["output"])
    except RequestError as exc:
        _advance(state, rid, {"status": "failed", "error": {"code": "server_error", "message": exc.message}})
    state.store.delete(BACKGROUND_KIND, rid)


def _advance(state: ServerState, rid: str, fields: dict[str, Any]) -> bool:
    """Apply ``fields`` to a background response that is still queued or in progress."""
    moved = False

    def change(doc: dict[str, Any]) -> None:
        nonlocal moved
        if doc["status"] in ("queued", "in_progress"):
            doc.update(fields)
            moved = True

    state.store.update(KIND, rid, change)
    return moved


def resume(state: ServerState) -> None:
    """Restart the background responses a previous server process left unfinished."""
    for saved in state.store.list(BACKGROUND_KIND):
        obj = state.store.get(KIND, saved["id"])
        if obj is None or obj["status"] not in ("queued", "in_progress"):
            state.store.delete(BACKGROUND_KIND, saved["id"])
            continue
        try:
            call = parse(state, saved["body"])
        except RequestError as exc:
            _advance(
                state,
                saved["id"],
                {"status": "failed", "error": {"code": "server_error", "message": exc.message}},
            )
            state.store.delete(BACKGROUND_KIND, saved["id"])
            continue
        state.spawn(_run_background(state, call, saved["id"]))


async def cancel(request: Request) -> Response:
    state = state_of(request)
    rid = request.path_params["response_id"]
    obj = RESPONSES.find(state, rid)
    if not obj.get("background"):
        raise invalid("response_id", "Only responses created with background=true can be cancelled.")
    if obj["status"] == "cancelled":
        return ok(obj)
    _advance(state, rid, {"status": "cancelled"})
    obj = RESPONSES.find(state, rid)
    if obj["status"] != "cancelled":
        raise invalid("response_id", f"Cannot cancel a response with status '{obj['status']}'.")
    return ok(obj)


async def count_input_tokens(request: Request) -> Response:
    """``/responses/input_tokens``: what ``usage.input_tokens`` of the same request would be."""
    state = state_of(request)
    body = await json_body(request)
    items = input_items(body["input"]) if body.get("input") is not None else []
    prev = opt_str(body, "previous_response_id")
    conv = conversation_id(body)
    before = history(state, prev) if prev else (conversation_items(state, conv) if conv else [])
    instructions = opt_str(body, "instructions")
    turns = ([Turn("developer", instructions)] if instructions else []) + items_to_turns(before + items)
    return ok({"object": "response.input_tokens", "input_tokens": prompt_tokens(turns)})


async def list_input_items(request: Request) -> Response:
    state = state_of(request)
    rid = request.path_params["response_id"]
    RESPONSES.require(state, request.path_params)
    return ok(paginate(state.store.list(ITEM_KIND, parent=rid), request.query_params, default_order="desc"))


ROUTES = [
    Route("/responses", create, methods=["POST"]),
    Route("/responses/input_tokens", count_input_tokens, methods=["POST"]),
    Route("/responses/{response_id}/cancel", cancel, methods=["POST"]),
    Route("/responses/{response_id}", RESPONSES.retrieve, methods=["GET"]),
    Route("/responses/{response_id}", RESPONSES.delete, methods=["DELETE"]),
    Route("/responses/{response_id}/input_items", list_input_items, methods=["GET"]),
]
