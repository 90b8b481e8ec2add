"""``/realtime``: the Realtime API's websocket with the built-in models.

The session starts with ``session.created``; ``session.update``, ``conversation.item.create / retrieve /
delete / truncate``, ``input_audio_buffer.append / commit / clear`` and ``response.create / cancel`` are
answered with the API's server events in its order (``response.created``, ``response.output_item.added``,
``conversation.item.added``, ``response.content_part.added``, text or audio-transcript and audio deltas,
the ``.done`` events, ``response.done``). The chat model is the ``model`` query parameter when it names a
built-in chat model (``tool-caller`` makes function calls), else ``echo``. Input audio is understood (and
transcribed when ``audio.input.transcription`` is set) by the local transcription, output audio is the local
speech signal (pcm16, 24 kHz). Turn detection is manual: commit the buffer and create the response.

Authentication, when the server has an API key: ``Authorization: Bearer <key>``, or the browser's
subprotocol ``openai-insecure-api-key.<key>`` (with ``realtime``).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import secrets
from typing import Any

import orjson
from starlette.responses import Response
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from .. import audio, conversation
from ..errors import RequestError
from ..ids import new_id, now
from ..models import ChatModel, GenerationRequest, Reply, ToolCall, Turn
from ..models.base import off_loop
from ..state import ServerState
from ..tokens import count_tokens, stream_pieces
from .chat import split_arguments

AUDIO_CHUNK_BYTES = 9600  # 0.2 s of pcm16 at 24 kHz
MAX_BUFFER_BYTES = 15 * 1024 * 1024
#: pause between streamed deltas, so a ``response.cancel`` can arrive while a response is being sent
PACING_SECONDS = 0.002
PCM_FORMAT = {"type": "audio/pcm", "rate": 24000}


class EventError(Exception):
    def __init__(self, message: str, *, code: str = "invalid_value", param: str | None = None) -> None:
        super().__init__(message)
        self.message, self.code, self.param = message, code, param


def _authorized(websocket: WebSocket, key: str | None) -> bool:
    if key is None:
        return True
    scheme, _, token = websocket.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and secrets.compare_digest(token.strip(), key):
        return True
    protocols = [p.strip() for p in websocket.headers.get("sec-websocket-protocol", "").split(",")]
    prefix = "openai-insecure-api-key."
    return any(p.startswith(prefix) and secrets.compare_digest(p[len(prefix) :], key) for p in protocols)


def _text_of(item: dict[str, Any]) -> str:
    parts = item.get("content") or []
    texts = []
    for part in parts:
        if isinstance(part, dict):
            texts.append(str(part.get("text") or part.get("transcript") or ""))
    return "".join(texts)


class Session:
    def __init__(self, state: ServerState, websocket: WebSocket, model_name: str) -> None:
        self.state = state
        self.ws = websocket
        self.lock = asyncio.Lock()
        chat_models = state.models.chat_models
        self.model: ChatModel = chat_models.get(model_name) or chat_models["echo"]
        self.items: list[dict[str, Any]] = []
        self.buffer = bytearray()
        self.conversation_id = new_id("conv_")
        self.response_task: asyncio.Task[None] | None = None
        self.cancelled = False
        self.session: dict[str, Any] = {
            "type": "realtime",
            "object": "realtime.session",
            "id": new_id("sess_"),
            "model": model_name,
            "output_modalities": ["audio"],
            "instructions": "",
            "tools": [],
            "tool_choice": "auto",
            "max_output_tokens": "inf",
            "tracing": None,
            "prompt": None,
            "expires_at": now() + 3600,
            "audio": {
                "input": {"format": dict(PCM_FORMAT), "turn_detection": None},
                "output": {"format": dict(PCM_FORMAT), "voice": "alloy", "speed": 1.0},
            },
        }

    async def send(self, kind: str, **fields: Any) -> None:
        event = {"type": kind, "event_id": new_id("event_"), **fields}
        async with self.lock:
            await self.ws.send_text(orjson.dumps(event).decode())

    async def error(self, message: str, code: str | None, param: str | None, event_id: Any) -> None:
        err = {
            "type": "invalid_request_error",
            "code": code,
            "message": message,
            "param": param,
            "event_id": event_id if isinstance(event_id, str) else None,
        }
        await self.send("error", error=err)

    # -- client events ---------------------------------------------------------------------------

    async def handle(self, raw: str) -> None:
        try:
            event = orjson.loads(raw)
        except orjson.JSONDecodeError:
            await self.error("The event is not valid JSON.", "invalid_json", None, None)
            return
        if not isinstance(event, dict):
            await self.error("Each event must be a JSON object.", "invalid_event", None, None)
            return
        kind = event.get("type")
        handler = HANDLERS.get(kind) if isinstance(kind, str) else None
        if handler is None:
            await self.error(
                f"Invalid value: '{kind}'. Supported values are: "
                + ", ".join(f"'{k}'" for k in HANDLERS)
                + ".",
                "invalid_value",
                "type",
                event.get("event_id"),
            )
            return
        try:
            await handler(self, event)
        except EventError as exc:
            await self.error(exc.message, exc.code, exc.param, event.get("event_id"))
        except RequestError as exc:
            await self.error(exc.message, exc.code, exc.param, event.get("event_id"))

    async def session_update(self, event: dict[str, Any]) -> None:
        update = event.get("session")
        if not isinstance(update, dict):
            raise EventError(
                "Missing required parameter: 'session'.", code="missing_required_parameter", param="session"
            )
        if update.get("type") not in (None, "realtime"):
            raise EventError("Only 'realtime' sessions are served here.", param="session.type")
        for key in ("instructions", "tool_choice", "max_output_tokens", "tracing", "include", "prompt"):
            if key in update:
                self.session[key] = update[key]
        if "output_modalities" in update:
            modalities = update["output_modalities"]
            if modalities not in (["audio"], ["text"]):
                raise EventError(
                    "Invalid 'session.output_modalities': use ['audio'] or ['text'].",
                    param="session.output_modalities",
                )
            self.session["output_modalities"] = modalities
        if "tools" in update:
            conversation.function_tools(update["tools"], nested=False, param="session.tools")
            self.session["tools"] = update["tools"]
        new_audio = update.get("audio")
        if isinstance(new_audio, dict):
            for side in ("input", "output"):
                part = new_audio.get(side)
                if isinstance(part, dict):
                    voice = part.get("voice")
                    if voice is not None and voice not in audio.VOICES:
                        raise EventError(
                            f"Invalid value: '{voice}' is not a voice.", param="session.audio.output.voice"
                        )
                    self.session["audio"][side].update(part)
        # ``null`` switches a setting off; the spec has no null for these, so they are left out
        for key in ("transcription", "noise_reduction"):
            if self.session["audio"]["input"].get(key, 0) is None:
                del self.session["audio"]["input"][key]
        if self.session.get("include", 0) is None:
            del self.session["include"]
        await self.send("session.updated", session=self.session)

    def _find(self, item_id: Any, param: str = "item_id") -> int:
        for i, item in enumerate(self.items):
            if item["id"] == item_id:
                return i
        raise EventError(f"Item with item_id not found: {item_id}", code="item_not_found", param=param)

    async def _add(self, item: dict[str, Any], previous_item_id: str | None = None) -> None:
        if previous_item_id is not None:
            at = self._find(previous_item_id, "previous_item_id") + 1
        else:
            at = len(self.items)
        prev = self.items[at - 1]["id"] if at > 0 else None
        self.items.insert(at, item)
        await self.send("conversation.item.added", previous_item_id=prev, item=item)
        await self.send("conversation.item.done", previous_item_id=prev, item=item)

    async def item_create(self, event: dict[str, Any]) -> None:
        raw = event.get("item")
        if not isinstance(raw, dict):
            raise EventError(
                "Missing required parameter: 'item'.", code="missing_required_parameter", param="item"
            )
        kind = raw.get("type", "message")
        item: dict[str, Any] = {
            "id": raw.get("id") or new_id("item_"),
            "object": "realtime.item",
            "type": kind,
        }
        if kind == "message":
            role = raw.get("role")
            if role not in ("user", "assistant", "system"):
                raise EventError(
                    f"Invalid value: '{role}'. Supported roles: 'user', 'assistant', 'system'.",
                    param="item.role",
                )
            content = raw.get("content")
            if not isinstance(content, list):
                raise EventError(
                    "Invalid 'item.content': expected an array of content parts.", param="item.content"
                )
            parts = []
            for part in content:
                if not isinstance(part, dict):
                    raise EventError(
                        "Invalid 'item.content': each part must be an object.", param="item.content"
                    )
                if part.get("type") == "input_audio" and isinstance(part.get("audio"), str):
                    pcm = _decode_audio(part["audio"], "item.content.audio")
                    part = {"type": "input_audio", "transcript": _transcribe(pcm)}
                parts.append(part)
            item |= {"status": "completed", "role": role, "content": parts}
        elif kind == "function_call_output":
            call_id, output = raw.get("call_id"), raw.get("output")
            if not isinstance(call_id, str) or not isinstance(output, str):
                raise EventError(
                    "A function_call_output item needs string 'call_id' and 'output'.", param="item"
                )
            item |= {"status": "completed", "call_id": call_id, "output": output}
        elif kind == "function_call":
            name, args = raw.get("name"), raw.get("arguments", "")
            if not isinstance(name, str) or not isinstance(args, str):
                raise EventError("A function_call item needs a string 'name' and 'arguments'.", param="item")
            item |= {
                "status": "completed",
                "call_id": raw.get("call_id") or new_id("call_"),
                "name": name,
                "arguments": args,
            }
        else:
            raise EventError(
                f"Invalid value: '{kind}'. Supported item types: 'message', 'function_call', 'function_call_output'.",
                param="item.type",
            )
        previous = event.get("previous_item_id")
        await self._add(item, previous if isinstance(previous, str) and previous != "root" else None)

    async def item_retrieve(self, event: dict[str, Any]) -> None:
        await self.send("conversation.item.retrieved", item=self.items[self._find(event.get("item_id"))])

    async def item_delete(self, event: dict[str, Any]) -> None:
        item = self.items.pop(self._find(event.get("item_id")))
        await self.send("conversation.item.deleted", item_id=item["id"])

    async def item_truncate(self, event: dict[str, Any]) -> None:
        item = self.items[self._find(event.get("item_id"))]
        end = event.get("audio_end_ms")
        index = event.get("content_index", 0)
        if item.get("role") != "assistant" or not isinstance(end, int) or end < 0:
            raise EventError(
                "Only assistant audio can be truncated, at a non-negative audio_end_ms.", param="audio_end_ms"
            )
        parts = item.get("content") or []
        if not isinstance(index, int) or not 0 <= index < len(parts):
            raise EventError(f"Invalid content_index: {index}.", param="content_index")
        words, _ = audio.layout(parts[index].get("transcript") or "")
        parts[index]["transcript"] = " ".join(w.word for w in words if w.end * 1000 <= end)
        await self.send(
            "conversation.item.truncated", item_id=item["id"], content_index=index, audio_end_ms=end
        )

    async def buffer_append(self, event: dict[str, Any]) -> None:
        chunk = _decode_audio(event.get("audio"), "audio")
        if len(self.buffer) + len(chunk) > MAX_BUFFER_BYTES:
            raise EventError(
                "The input audio buffer is full (15 MiB); commit or clear it.", code="buffer_full"
            )
        self.buffer.extend(chunk)

    async def buffer_commit(self, event: dict[str, Any]) -> None:
        if len(self.buffer) < 2400:  # 50 ms, as the API requires at least 100 ms we ask for less
            raise EventError(
                f"Error committing input audio buffer: buffer too small. Expected at least 50ms of audio, "
                f"but buffer only has {len(self.buffer) / 48:.2f}ms of audio.",
                code="input_audio_buffer_commit_empty",
            )
        pcm = bytes(self.buffer)
        self.buffer.clear()
        transcript = _transcribe(pcm)
        item = {
            "id": new_id("item_"),
            "object": "realtime.item",
            "type": "message",
            "status": "completed",
            "role": "user",
            "content": [{"type": "input_audio", "transcript": transcript}],
        }
        prev = self.items[-1]["id"] if self.items else None
        await self.send("input_audio_buffer.committed", previous_item_id=prev, item_id=item["id"])
        await self._add(item)
        transcription = self.session["audio"]["input"].get("transcription")
        if transcription:
            seconds = round(len(pcm) / 2 / audio.RATE, 3)
            await self.send(
                "conversation.item.input_audio_transcription.completed",
                item_id=item["id"],
                content_index=0,
                transcript=transcript,
                usage={"type": "duration", "seconds": seconds},
            )

    async def buffer_clear(self, event: dict[str, Any]) -> None:
        self.buffer.clear()
        await self.send("input_audio_buffer.cleared")

    async def response_create(self, event: dict[str, Any]) -> None:
        if self.response_task is not None and not self.response_task.done():
            raise EventError(
                "Conversation already has an active response in progress.",
                code="conversation_already_has_active_response",
            )
        options = event.get("response") or {}
        if not isinstance(options, dict):
            raise EventError("Invalid 'response': expected an object.", param="response")
        modalities = options.get("output_modalities") or self.session["output_modalities"]
        tools = options.get("tools", self.session["tools"])
        specs = conversation.function_tools(tools, nested=False, param="response.tools")
        choice = conversation.tool_choice(
            options.get("tool_choice", self.session["tool_choice"]), specs, nested=False, param="tool_choice"
        )
        instructions = options.get("instructions", self.session["instructions"])
        limit = options.get("max_output_tokens", self.session["max_output_tokens"])
        turns = [Turn("system", instructions)] if isinstance(instructions, str) and instructions else []
        turns += _turns(self.items)
        request = GenerationRequest(
            turns=turns, tools=specs, tool_choice=choice, max_tokens=limit if isinstance(limit, int) else None
        )
        voice = self.session["audio"]["output"].get("voice") or "alloy"
        self.cancelled = False
        self.response_task = asyncio.get_running_loop().create_task(
            self._respond(request, "audio" in modalities, voice, options.get("metadata"))
        )

    async def response_cancel(self, event: dict[str, Any]) -> None:
        if self.response_task is None or self.response_task.done():
            raise EventError(
                "Cancellation failed: no active response found.", code="response_cancel_not_active"
            )
        self.cancelled = True
        await self.response_task

    # -- a response --------------------------------------------------------------------------------

    async def _respond(self, request: GenerationRequest, spoken: bool, voice: str, metadata: Any) -> None:
        try:
            reply: Reply = await off_loop(self.model, lambda: self.model.generate(request), request)
        except RequestError as exc:
            await self.error(exc.message, exc.code, exc.param, None)
            return
        response: dict[str, Any] = {
            "object": "realtime.response",
            "id": new_id("resp_"),
            "status": "in_progress",
            "status_details": None,
            "output": [],
            "conversation_id": self.conversation_id,
            "output_modalities": ["audio"] if spoken else ["text"],
            "max_output_tokens": request.max_tokens if request.max_tokens is not None else "inf",
            "audio": {"output": {"format": dict(PCM_FORMAT), "voice": voice}},
            "usage": None,
            "metadata": metadata if isinstance(metadata, dict) else None,
        }
        rid = response["id"]
        await self.send("response.created", response=_compact(response))
        output: list[dict[str, Any]] = []
        try:
            if reply.text is not None and (reply.text or not reply.tool_calls):
                output.append(await self._message(rid, len(output), reply.text, spoken, voice))
            for call in reply.tool_calls:
                output.append(await self._function_call(rid, len(output), call))
            status, details = "completed", None
            if reply.finish_reason == "length":
                status, details = "incomplete", {"type": "incomplete", "reason": "max_output_tokens"}
        except _Cancelled as exc:
            if exc.item is not None:
                output.append(exc.item)
            status, details = "cancelled", {"type": "cancelled", "reason": "client_cancelled"}
        tokens_in = sum(count_tokens(t.content) + 3 for t in request.turns) + 3
        tokens_out = sum(count_tokens(_text_of(i) or i.get("arguments", "")) for i in output)
        response |= {
            "status": status,
            "status_details": details,
            "output": output,
            "usage": {
                "total_tokens": tokens_in + tokens_out,
                "input_tokens": tokens_in,
                "output_tokens": tokens_out,
                "input_token_details": {"cached_tokens": 0, "text_tokens": tokens_in, "audio_tokens": 0},
                "output_token_details": {"text_tokens": tokens_out, "audio_tokens": 0},
            },
        }
        await self.send("response.done", response=_compact(response))

    async def _step(self) -> None:
        await asyncio.sleep(PACING_SECONDS)
        if self.cancelled:
            raise _Cancelled

    async def _message(self, rid: str, index: int, text: str, spoken: bool, voice: str) -> dict[str, Any]:
        item: dict[str, Any] = {
            "id": new_id("item_"),
            "object": "realtime.item",
            "type": "message",
            "status": "in_progress",
            "role": "assistant",
            "content": [],
        }
        where = {"response_id": rid, "item_id": item["id"], "output_index": index}
        await self.send("response.output_item.added", response_id=rid, output_index=index, item=dict(item))
        self.items.append(item)
        await self.send("conversation.item.added", previous_item_id=_prev(self.items), item=dict(item))
        part_type = "output_audio" if spoken else "output_text"
        # content_part events name the part "audio" / "text"; the item's content says "output_..."
        empty = {"type": "audio", "transcript": ""} if spoken else {"type": "text", "text": ""}
        await self.send("response.content_part.added", **where, content_index=0, part=empty)
        sent = ""
        try:
            if spoken:
                pcm = audio.synthesize(text, voice).astype("<i2").tobytes()
                pieces = stream_pieces(text)
                chunks = [pcm[i : i + AUDIO_CHUNK_BYTES] for i in range(0, len(pcm), AUDIO_CHUNK_BYTES)]
                for n in range(max(len(pieces), len(chunks))):
                    await self._step()
                    if n < len(pieces):
                        sent += pieces[n]
                        await self.send(
                            "response.output_audio_transcript.delta",
                            **where,
                            content_index=0,
                            delta=pieces[n],
                        )
                    if n < len(chunks):
                        delta = base64.b64encode(chunks[n]).decode()
                        await self.send("response.output_audio.delta", **where, content_index=0, delta=delta)
                await self.send("response.output_audio.done", **where, content_index=0)
                await self.send(
                    "response.output_audio_transcript.done", **where, content_index=0, transcript=text
                )
                part = {"type": "output_audio", "transcript": text}
            else:
                for piece in stream_pieces(text):
                    await self._step()
                    sent += piece
                    await self.send("response.output_text.delta", **where, content_index=0, delta=piece)
                await self.send("response.output_text.done", **where, content_index=0, text=text)
                part = {"type": "output_text", "text": text}
        except _Cancelled:
            key = "transcript" if spoken else "text"
            item |= {"status": "incomplete", "content": [{"type": part_type, key: sent}]}
            await self.send("response.output_item.done", response_id=rid, output_index=index, item=item)
            await self.send("conversation.item.done", previous_item_id=_prev(self.items), item=item)
            raise _Cancelled(item) from None
        item |= {"status": "completed", "content": [part]}
        event_part = {
            "type": part_type.removeprefix("output_"),
            **{k: v for k, v in part.items() if k != "type"},
        }
        await self.send("response.content_part.done", **where, content_index=0, part=event_part)
        await self.send("response.output_item.done", response_id=rid, output_index=index, item=item)
        await self.send("conversation.item.done", previous_item_id=_prev(self.items), item=item)
        return item

    async def _function_call(self, rid: str, index: int, call: ToolCall) -> dict[str, Any]:
        item: dict[str, Any] = {
            "id": new_id("item_"),
            "object": "realtime.item",
            "type": "function_call",
            "status": "in_progress",
            "call_id": call.id,
            "name": call.name,
            "arguments": "",
        }
        await self.send("response.output_item.added", response_id=rid, output_index=index, item=dict(item))
        self.items.append(item)
        await self.send("conversation.item.added", previous_item_id=_prev(self.items), item=dict(item))
        where = {"response_id": rid, "item_id": item["id"], "output_index": index, "call_id": call.id}
        for piece in split_arguments(call.arguments):
            await self._step()
            await self.send("response.function_call_arguments.delta", **where, delta=piece)
        await self.send(
            "response.function_call_arguments.done", **where, name=call.name, arguments=call.arguments
        )
        item |= {"status": "completed", "arguments": call.arguments}
        await self.send("response.output_item.done", response_id=rid, output_index=index, item=item)
        await self.send("conversation.item.done", previous_item_id=_prev(self.items), item=item)
        return item


class _Cancelled(Exception):
    def __init__(self, item: dict[str, Any] | None = None) -> None:
        super().__init__("cancelled")
        self.item = item


def _compact(obj: dict[str, Any]) -> dict[str, Any]:
    """Without the ``None`` fields (the spec types them as objects, not nullable)."""
    return {k: v for k, v in obj.items() if v is not None}


def _prev(items: list[dict[str, Any]]) -> str | None:
    return items[-2]["id"] if len(items) > 1 else None


def _decode_audio(value: Any, param: str) -> bytes:
    if not isinstance(value, str):
        raise EventError(
            f"Missing required parameter: '{param}' (base64 pcm16 audio).",
            code="missing_required_parameter",
            param=param,
        )
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise EventError(f"Invalid '{param}': not valid base64.", param=param) from None
    if len(data) % 2:
        raise EventError(f"Invalid '{param}': pcm16 audio has an even number of bytes.", param=param)
    return data


def _transcribe(pcm: bytes) -> str:
    import numpy as np

    samples = np.frombuffer(pcm, dtype="<i2").copy()
    text = audio.extract(samples)
    return text if text is not None else audio.invented_text(pcm, len(samples) / audio.RATE)


def _turns(items: list[dict[str, Any]]) -> list[Turn]:
    turns: list[Turn] = []
    for item in items:
        kind = item["type"]
        if kind == "message":
            turns.append(Turn(item["role"], _text_of(item)))
        elif kind == "function_call":
            call = ToolCall(id=item["call_id"], name=item["name"], arguments=item["arguments"])
            turns.append(Turn("assistant", tool_calls=[call]))
        elif kind == "function_call_output":
            turns.append(Turn("tool", item["output"], tool_call_id=item["call_id"]))
    return turns


HANDLERS = {
    "session.update": Session.session_update,
    "conversation.item.create": Session.item_create,
    "conversation.item.retrieve": Session.item_retrieve,
    "conversation.item.delete": Session.item_delete,
    "conversation.item.truncate": Session.item_truncate,
    "input_audio_buffer.append": Session.buffer_append,
    "input_audio_buffer.commit": Session.buffer_commit,
    "input_audio_buffer.clear": Session.buffer_clear,
    "response.create": Session.response_create,
    "response.cancel": Session.response_cancel,
}


async def endpoint(websocket: WebSocket) -> None:
    state: ServerState = websocket.app.state.server
    if not _authorized(websocket, state.settings.api_key):
        body = orjson.dumps(
            RequestError(
                401, "Incorrect or missing API key for the realtime session.", code="invalid_api_key"
            ).body()
        )
        if "websocket.http.response" in websocket.scope.get("extensions", {}):
            await websocket.send_denial_response(
                Response(body, status_code=401, media_type="application/json")
            )
        else:
            await websocket.close(code=1008, reason="invalid_api_key")
        return
    offered = [p.strip() for p in websocket.headers.get("sec-websocket-protocol", "").split(",") if p.strip()]
    await websocket.accept(subprotocol="realtime" if "realtime" in offered else None)
    session = Session(state, websocket, websocket.query_params.get("model") or "gpt-realtime")
    await session.send("session.created", session=session.session)
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            raw = message.get("text")
            if raw is None and message.get("bytes") is not None:
                raw = message["bytes"].decode("utf-8", "replace")
            await session.handle(raw or "")
    except WebSocketDisconnect:
        pass
    finally:
        if session.response_task is not None and not session.response_task.done():
            session.response_task.cancel()
            await asyncio.gather(session.response_task, return_exceptions=True)


ROUTES = [WebSocketRoute("/realtime", endpoint)]
