"""Executing assistants runs with the built-in models.

A run goes ``queued -> in_progress``, then either ``requires_action`` (the model called a function
tool; the run waits for ``submit_tool_outputs``) or ``completed`` (the model wrote a message).
Every transition is written to the store and, for streamed runs, sent as an assistant stream event.
Execution happens in a background task, so a client that disconnects does not stop the run.
"""

from __future__ import annotations

import asyncio
from typing import Any

from .conversation import chat_response_format
from .errors import RequestError
from .ids import new_id, now
from .models import GenerationRequest, Reply, ToolCall, ToolSpec, Turn
from .models.base import off_loop
from .state import ServerState
from .tokens import stream_pieces
from .usage import prompt_tokens, reply_tokens

MESSAGE = "thread_message"
RUN = "thread_run"
STEP = "thread_run_step"
ACTIVE = ("queued", "in_progress", "requires_action", "cancelling")


class Events:
    """Assistant stream events of one run, handed from the run's task to the streaming response."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[tuple[str, Any] | None] = asyncio.Queue()

    def emit(self, name: str, data: Any) -> None:
        self.queue.put_nowait((name, data))

    def close(self) -> None:
        self.queue.put_nowait(None)


class _Silent(Events):
    def emit(self, name: str, data: Any) -> None:
        pass

    def close(self) -> None:
        pass


def _set(state: ServerState, kind: str, obj_id: str, **changes: Any) -> dict[str, Any]:
    doc = state.store.update(kind, obj_id, lambda d: d.update(changes))
    if doc is None:
        raise LookupError(obj_id)
    return doc


def _turns(state: ServerState, run: dict[str, Any]) -> list[Turn]:
    turns: list[Turn] = []
    if run.get("instructions"):
        turns.append(Turn("system", run["instructions"]))
    for msg in state.store.list(MESSAGE, parent=run["thread_id"]):
        text = "".join(p["text"]["value"] for p in msg["content"] if p.get("type") == "text")
        turns.append(Turn(msg["role"], text))
    for step in state.store.list(STEP, parent=run["id"]):
        if step["type"] != "tool_calls" or step["status"] != "completed":
            continue
        calls = step["step_details"]["tool_calls"]
        turns.append(
            Turn(
                "assistant",
                tool_calls=[
                    ToolCall(c["id"], c["function"]["name"], c["function"]["arguments"]) for c in calls
                ],
            )
        )
        turns.extend(Turn("tool", c["function"]["output"] or "", tool_call_id=c["id"]) for c in calls)
    return turns


def _generation(state: ServerState, run: dict[str, Any]) -> GenerationRequest:
    tools = [
        ToolSpec(name=t["function"]["name"], parameters=t["function"].get("parameters"))
        for t in run["tools"]
        if t["type"] == "function"
    ]
    choice = run.get("tool_choice") or "auto"
    if isinstance(choice, dict):
        choice = (
            choice.get("function", {}).get("name", "auto") if choice.get("type") == "function" else "auto"
        )
    fmt = run.get("response_format")
    output = chat_response_format(fmt if isinstance(fmt, dict) else None)
    return GenerationRequest(
        turns=_turns(state, run),
        tools=tools,
        tool_choice=str(choice),
        output=output,
        parallel_tool_calls=bool(run.get("parallel_tool_calls", True)),
        max_tokens=run.get("max_completion_tokens"),
    )


def _usage(prompt: int, completion: int) -> dict[str, int]:
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _new_step(run: dict[str, Any], kind: str, details: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": new_id("step_"),
        "object": "thread.run.step",
        "created_at": now(),
        "assistant_id": run["assistant_id"],
        "thread_id": run["thread_id"],
        "run_id": run["id"],
        "type": kind,
        "status": "in_progress",
        "cancelled_at": None,
        "completed_at": None,
        "expired_at": None,
        "failed_at": None,
        "last_error": None,
        "step_details": details,
        "usage": None,
        "metadata": {},
    }


def _cancel_if_requested(state: ServerState, run_id: str, events: Events) -> bool:
    run = state.store.get(RUN, run_id)
    if run is None:
        events.close()
        return True
    if run["status"] == "cancelling":
        run = _set(state, RUN, run_id, status="cancelled", cancelled_at=now(), expires_at=None)
        events.emit("thread.run.cancelled", run)
        events.close()
        return True
    return False


async def execute(state: ServerState, run_id: str, events: Events | None = None) -> None:
    """Drive a queued run until it needs tool outputs or ends."""
    ev = events or _Silent()
    try:
        await _execute(state, run_id, ev)
    except LookupError:
        ev.close()
    except Exception as exc:  # the run fails, the server goes on
        run = state.store.get(RUN, run_id)
        if run is not None and run["status"] in ACTIVE:
            error = {"code": "server_error", "message": str(exc) or type(exc).__name__}
            if isinstance(exc, RequestError):
                error = {"code": "invalid_prompt", "message": exc.message}
            run = _set(
                state, RUN, run_id, status="failed", failed_at=now(), last_error=error, expires_at=None
            )
            ev.emit("thread.run.failed", run)
        ev.close()


async def _execute(state: ServerState, run_id: str, ev: Events) -> None:
    await state.pause()
    if _cancel_if_requested(state, run_id, ev):
        return
    run = state.store.get(RUN, run_id)
    if run is None or run["status"] != "queued":
        ev.close()
        return
    run = _set(state, RUN, run_id, status="in_progress", started_at=run["started_at"] or now())
    ev.emit("thread.run.in_progress", run)
    await state.pause()
    generation = _generation(state, run)
    model = state.models.chat(run["model"])
    reply = await off_loop(model, lambda: model.generate(generation), generation)
    if _cancel_if_requested(state, run_id, ev):
        return
    usage = _usage(prompt_tokens(generation.turns), reply_tokens(reply))
    if reply.tool_calls:
        await _require_action(state, run, reply, usage, ev)
    else:
        await _write_message(state, run, reply, usage, ev)
    ev.close()


async def _require_action(
    state: ServerState, run: dict[str, Any], reply: Reply, usage: dict[str, int], ev: Events
) -> None:
    calls: list[dict[str, Any]] = [
        {
            "id": c.id,
            "type": "function",
            "function": {"name": c.name, "arguments": c.arguments, "output": None},
        }
        for c in reply.tool_calls
    ]
    step = _new_step(run, "tool_calls", {"type": "tool_calls", "tool_calls": calls})
    step["usage"] = usage
    state.store.insert(STEP, step, parent=run["id"])
    ev.emit("thread.run.step.created", step)
    ev.emit("thread.run.step.in_progress", step)
    delta_calls = [{"index": i, **c} for i, c in enumerate(calls)]
    ev.emit(
        "thread.run.step.delta",
        {
            "id": step["id"],
            "object": "thread.run.step.delta",
            "delta": {"step_details": {"type": "tool_calls", "tool_calls": delta_calls}},
        },
    )
    required = {
        "type": "submit_tool_outputs",
        "submit_tool_outputs": {
            "tool_calls": [
                {
                    "id": c["id"],
                    "type": "function",
                    "function": {"name": c["function"]["name"], "arguments": c["function"]["arguments"]},
                }
                for c in calls
            ]
        },
    }
    run = _set(state, RUN, run["id"], status="requires_action", required_action=required)
    ev.emit("thread.run.requires_action", run)


async def _write_message(
    state: ServerState, run: dict[str, Any], reply: Reply, usage: dict[str, int], ev: Events
) -> None:
    text = reply.text or ""
    msg: dict[str, Any] = {
        "id": new_id("msg_"),
        "object": "thread.message",
        "created_at": now(),
        "thread_id": run["thread_id"],
        "status": "in_progress",
        "incomplete_details": None,
        "completed_at": None,
        "incomplete_at": None,
        "role": "assistant",
        "content": [],
        "assistant_id": run["assistant_id"],
        "run_id": run["id"],
        "attachments": [],
        "metadata": {},
    }
    step = _new_step(
        run, "message_creation", {"type": "message_creation", "message_creation": {"message_id": msg["id"]}}
    )
    state.store.insert(STEP, step, parent=run["id"])
    ev.emit("thread.run.step.created", step)
    ev.emit("thread.run.step.in_progress", step)
    state.store.insert(MESSAGE, msg, parent=run["thread_id"])
    ev.emit("thread.message.created", msg)
    ev.emit("thread.message.in_progress", msg)
    for piece in stream_pieces(text):
        ev.emit(
            "thread.message.delta",
            {
                "id": msg["id"],
                "object": "thread.message.delta",
                "delta": {
                    "content": [{"index": 0, "type": "text", "text": {"value": piece, "annotations": []}}]
                },
            },
        )
        await asyncio.sleep(0)
    incomplete = reply.finish_reason == "length"
    done_at = now()
    msg = _set(
        state,
        MESSAGE,
        msg["id"],
        status="incomplete" if incomplete else "completed",
        completed_at=None if incomplete else done_at,
        incomplete_at=done_at if incomplete else None,
        incomplete_details={"reason": "max_tokens"} if incomplete else None,
        content=[{"type": "text", "text": {"value": text, "annotations": []}}],
    )
    ev.emit("thread.message.incomplete" if incomplete else "thread.message.completed", msg)
    step = _set(state, STEP, step["id"], status="completed", completed_at=done_at, usage=usage)
    ev.emit("thread.run.step.completed", step)
    steps = state.store.list(STEP, parent=run["id"])
    total = _usage(
        sum(s["usage"]["prompt_tokens"] for s in steps if s["usage"]),
        sum(s["usage"]["completion_tokens"] for s in steps if s["usage"]),
    )
    if incomplete:
        run = _set(
            state,
            RUN,
            run["id"],
            status="incomplete",
            usage=total,
            expires_at=None,
            incomplete_details={"reason": "max_completion_tokens"},
        )
        ev.emit("thread.run.incomplete", run)
    else:
        run = _set(
            state, RUN, run["id"], status="completed", completed_at=done_at, usage=total, expires_at=None
        )
        ev.emit("thread.run.completed", run)


def resume(state: ServerState) -> None:
    """Continue runs that a previous server process left queued or in progress."""
    for run in state.store.list(RUN):
        if run["status"] == "in_progress":
            _set(state, RUN, run["id"], status="queued")
        if run["status"] in ("queued", "in_progress", "cancelling"):
            state.spawn(execute(state, run["id"]))
