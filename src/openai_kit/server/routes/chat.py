"""``/chat/completions``: create (plain and streamed) and the stored-completions endpoints."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import conversation, usage_ledger
from ..crud import Stored
from ..errors import invalid
from ..ids import new_id, now
from ..models import ChatModel, GenerationRequest, Reply, Turn
from ..models.base import off_loop
from ..pagination import paginate
from ..params import metadata, opt_bool, opt_dict, opt_int, opt_num, opt_str, req_str
from ..sse import DONE, event, stream_response
from ..state import ServerState, json_body, ok, state_of
from ..tokens import stream_pieces
from ..usage import chat_usage, prompt_tokens, reply_tokens

KIND = "chat_completion"
MESSAGE_KIND = "chat_completion_message"
COMPLETIONS = Stored(
    KIND,
    "chat completion",
    "completion_id",
    deleted="chat.completion.deleted",
    children=(MESSAGE_KIND,),
    metadata_required=True,
)
FINGERPRINT = "fp_openai_kit"


@dataclass
class ChatCall:
    model_id: str
    model: ChatModel
    generation: GenerationRequest
    n: int
    stream: bool
    include_usage: bool
    store: bool
    metadata: dict[str, str] | None
    stop: list[str] = field(default_factory=list)
    messages: list[Any] = field(default_factory=list)


def parse(state: ServerState, body: dict[str, Any]) -> ChatCall:
    model_id = req_str(body, "model")
    turns = conversation.chat_turns(body.get("messages"))
    model = state.models.chat(model_id)
    tools = conversation.function_tools(body.get("tools"), nested=True)
    choice = conversation.tool_choice(body.get("tool_choice"), tools, nested=True)
    output = conversation.chat_response_format(body.get("response_format"))
    n = opt_int(body, "n", 1, lo=1, hi=128) or 1
    stream = opt_bool(body, "stream")
    stream_options = opt_dict(body, "stream_options")
    if stream_options is not None and not stream:
        raise invalid(
            "stream_options", "The 'stream_options' parameter is only allowed when 'stream' is enabled."
        )
    include_usage = bool(stream_options and opt_bool(stream_options, "include_usage"))
    max_tokens = opt_int(body, "max_completion_tokens", lo=1) or opt_int(body, "max_tokens", lo=1)
    opt_num(body, "temperature", lo=0, hi=2)
    opt_num(body, "top_p", lo=0, hi=1)
    opt_num(body, "presence_penalty", lo=-2, hi=2)
    opt_num(body, "frequency_penalty", lo=-2, hi=2)
    opt_int(body, "seed")
    opt_str(body, "user")
    opt_bool(body, "logprobs")
    parallel = opt_bool(body, "parallel_tool_calls", True)
    stop = body.get("stop")
    stops: list[str] = []
    if isinstance(stop, str):
        stops = [stop]
    elif isinstance(stop, list):
        if len(stop) > 4 or not all(isinstance(s, str) for s in stop):
            raise invalid("stop", "Invalid 'stop': expected a string or an array of at most 4 strings.")
        stops = list(stop)
    elif stop is not None:
        raise invalid(
            "stop", "Invalid type for 'stop': expected a string or an array of strings.", code="invalid_type"
        )
    generation = GenerationRequest(
        turns=turns,
        tools=tools,
        tool_choice=choice,
        output=output,
        parallel_tool_calls=parallel,
        max_tokens=max_tokens,
    )
    return ChatCall(
        model_id=model_id,
        model=model,
        generation=generation,
        n=n,
        stream=stream,
        include_usage=include_usage,
        store=opt_bool(body, "store"),
        metadata=metadata(body),
        stop=stops,
        messages=body["messages"],
    )


def apply_stop(reply: Reply, stops: list[str]) -> Reply:
    if reply.text is None or not stops:
        return reply
    cut = min((i for i in (reply.text.find(s) for s in stops) if i >= 0), default=-1)
    return reply if cut < 0 else replace(reply, text=reply.text[:cut], finish_reason="stop")


def generate(call: ChatCall) -> list[Reply]:
    return [
        apply_stop(call.model.generate(replace(call.generation, choice_index=i)), call.stop)
        for i in range(call.n)
    ]


def message_object(reply: Reply) -> dict[str, Any]:
    msg: dict[str, Any] = {"role": "assistant", "content": reply.text, "refusal": None, "annotations": []}
    if reply.tool_calls:
        msg["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in reply.tool_calls
        ]
    return msg


def usage_of(turns: list[Turn], replies: list[Reply]) -> dict[str, Any]:
    return chat_usage(prompt_tokens(turns), sum(reply_tokens(r) for r in replies))


def completion_object(call: ChatCall, replies: list[Reply], cid: str, created: int) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "id": cid,
        "object": "chat.completion",
        "created": created,
        "model": call.model_id,
        "choices": [
            {"index": i, "message": message_object(r), "logprobs": None, "finish_reason": r.finish_reason}
            for i, r in enumerate(replies)
        ],
        "usage": usage_of(call.generation.turns, replies),
        "service_tier": "default",
        "system_fingerprint": FINGERPRINT,
    }
    if call.store:
        obj["metadata"] = call.metadata or {}
    return obj


def save(state: ServerState, call: ChatCall, obj: dict[str, Any]) -> None:
    usage = obj["usage"]
    usage_ledger.record_tokens(
        state, "completions", obj["model"], usage["prompt_tokens"], usage["completion_tokens"]
    )
    if not call.store:
        return
    state.store.insert(KIND, obj)
    for i, msg in enumerate(call.messages):
        stored = {
            k: v for k, v in msg.items() if k in ("role", "content", "name", "tool_calls", "tool_call_id")
        }
        stored["id"] = f"{obj['id']}-{i}"
        if isinstance(stored.get("content"), list):
            stored["content_parts"] = stored.pop("content")
            stored["content"] = None
        stored.setdefault("content", None)
        stored.setdefault("refusal", None)
        state.store.insert(MESSAGE_KIND, stored, parent=obj["id"])


async def create_chat_completion(state: ServerState, body: dict[str, Any]) -> dict[str, Any]:
    """The non-streamed endpoint (also used by batches)."""
    call = parse(state, body)
    obj = completion_object(
        call, await off_loop(call.model, lambda: generate(call), call.generation), new_id("chatcmpl-"), now()
    )
    save(state, call, obj)
    return obj


def split_arguments(text: str, size: int = 12) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


async def _stream(state: ServerState, call: ChatCall, replies: list[Reply]) -> AsyncIterator[bytes]:
    cid, created = new_id("chatcmpl-"), now()
    base: dict[str, Any] = {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": created,
        "model": call.model_id,
        "service_tier": "default",
        "system_fingerprint": FINGERPRINT,
    }
    if call.include_usage:
        base["usage"] = None

    def chunk(index: int, delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}
        return event({**base, "choices": [choice]})

    for i, reply in enumerate(replies):
        yield chunk(
            i, {"role": "assistant", "content": "" if reply.text is not None else None, "refusal": None}
        )
        if reply.text:
            for piece in stream_pieces(reply.text):
                yield chunk(i, {"content": piece})
        for k, c in enumerate(reply.tool_calls):
            head = {"index": k, "id": c.id, "type": "function", "function": {"name": c.name, "arguments": ""}}
            yield chunk(i, {"tool_calls": [head]})
            for piece in split_arguments(c.arguments):
                yield chunk(i, {"tool_calls": [{"index": k, "function": {"arguments": piece}}]})
        yield chunk(i, {}, reply.finish_reason)
    if call.include_usage:
        yield event({**base, "choices": [], "usage": usage_of(call.generation.turns, replies)})
    yield DONE
    save(state, call, completion_object(call, replies, cid, created))


async def create(request: Request) -> Response:
    state = state_of(request)
    body = await json_body(request)
    call = parse(state, body)
    if call.stream:
        return stream_response(
            _stream(state, call, await off_loop(call.model, lambda: generate(call), call.generation))
        )
    obj = completion_object(
        call, await off_loop(call.model, lambda: generate(call), call.generation), new_id("chatcmpl-"), now()
    )
    save(state, call, obj)
    return ok(obj)


async def list_completions(request: Request) -> Response:
    state = state_of(request)
    items = state.store.list(KIND)
    q = request.query_params
    if q.get("model"):
        items = [c for c in items if c["model"] == q["model"]]
    for key, value in q.multi_items():
        if key.startswith("metadata[") and key.endswith("]"):
            name = key[len("metadata[") : -1]
            items = [c for c in items if (c.get("metadata") or {}).get(name) == value]
    return ok(paginate(items, q, default_order="asc"))


async def list_messages(request: Request) -> Response:
    state = state_of(request)
    cid = request.path_params["completion_id"]
    COMPLETIONS.require(state, request.path_params)
    return ok(paginate(state.store.list(MESSAGE_KIND, parent=cid), request.query_params, default_order="asc"))


ROUTES = [
    Route("/chat/completions", create, methods=["POST"]),
    Route("/chat/completions", list_completions, methods=["GET"]),
    Route("/chat/completions/{completion_id}", COMPLETIONS.retrieve, methods=["GET"]),
    Route("/chat/completions/{completion_id}", COMPLETIONS.update_metadata, methods=["POST"]),
    Route("/chat/completions/{completion_id}", COMPLETIONS.delete, methods=["DELETE"]),
    Route("/chat/completions/{completion_id}/messages", list_messages, methods=["GET"]),
]
