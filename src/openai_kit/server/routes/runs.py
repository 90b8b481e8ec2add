"""``/threads/{id}/runs`` (create, stream, list, retrieve, update, cancel, submit_tool_outputs),
``/threads/runs`` (create a thread and run it) and run steps."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import conversation, limits, run_engine
from ..crud import Stored
from ..errors import RequestError, invalid, missing
from ..ids import new_id, now
from ..pagination import paginate
from ..params import metadata, opt_bool, opt_dict, opt_int, opt_list, opt_num, opt_str, req_str
from ..sse import event, stream_response
from ..state import ServerState, json_body, ok, state_of
from .assistants import (
    ASSISTANTS,
    MESSAGE,
    RUN,
    STEP,
    THREADS,
    create_thread_from,
    new_message,
    parse_tools,
    response_format,
)

RUNS = Stored(RUN, "run", "run_id", parent=THREADS, parent_field="thread_id")
STEPS = Stored(STEP, "run step", "step_id", parent=RUNS, parent_field="run_id")


def _active_run(state: ServerState, thread_id: str) -> dict[str, Any] | None:
    return next(
        (r for r in state.store.list(RUN, parent=thread_id) if r["status"] in run_engine.ACTIVE), None
    )


def _new_run(state: ServerState, thread_id: str, body: dict[str, Any]) -> dict[str, Any]:
    assistant_id = req_str(body, "assistant_id")
    assistant = ASSISTANTS.find(state, assistant_id)
    model = opt_str(body, "model") or assistant["model"]
    state.models.chat(model)
    tools = parse_tools(state, body) if body.get("tools") is not None else assistant["tools"]
    function_specs = conversation.function_tools(tools, nested=True)
    choice_value = body.get("tool_choice")
    if isinstance(choice_value, dict) and choice_value.get("type") in ("file_search", "code_interpreter"):
        choice_value = None
    conversation.tool_choice(choice_value, function_specs, nested=True)
    fmt = (
        response_format(body) if body.get("response_format") is not None else assistant.get("response_format")
    )
    instructions = opt_str(body, "instructions", max_len=limits.INSTRUCTIONS_CHARS)
    if instructions is None:
        instructions = assistant.get("instructions") or ""
    extra = opt_str(body, "additional_instructions", max_len=limits.INSTRUCTIONS_CHARS)
    if extra:
        instructions = f"{instructions}\n{extra}" if instructions else extra
    additional = opt_list(body, "additional_messages") or []
    truncation = opt_dict(body, "truncation_strategy") or {"type": "auto", "last_messages": None}
    meta = metadata(body)
    temperature = opt_num(body, "temperature", assistant.get("temperature") or 1.0, lo=0, hi=2)
    top_p = opt_num(body, "top_p", assistant.get("top_p") or 1.0, lo=0, hi=1)
    max_prompt = opt_int(body, "max_prompt_tokens", lo=256)
    max_completion = opt_int(body, "max_completion_tokens", lo=16)
    parallel = opt_bool(body, "parallel_tool_calls", True)
    if _active_run(state, thread_id) is not None:
        raise RequestError(400, f"Thread {thread_id} already has an active run.", param="thread_id")
    for i, m in enumerate(additional):
        if not isinstance(m, dict):
            raise invalid(
                f"additional_messages[{i}]", "Invalid type: expected an object.", code="invalid_type"
            )
        new_message(state, thread_id, m, f"additional_messages[{i}]")
    created = now()
    run = {
        "id": new_id("run_"),
        "object": "thread.run",
        "created_at": created,
        "thread_id": thread_id,
        "assistant_id": assistant_id,
        "status": "queued",
        "required_action": None,
        "last_error": None,
        "expires_at": created + 600,
        "started_at": None,
        "cancelled_at": None,
        "failed_at": None,
        "completed_at": None,
        "incomplete_details": None,
        "model": model,
        "instructions": instructions,
        "tools": tools,
        "metadata": meta or {},
        "usage": None,
        "temperature": temperature,
        "top_p": top_p,
        "max_prompt_tokens": max_prompt,
        "max_completion_tokens": max_completion,
        "truncation_strategy": truncation,
        "tool_choice": choice_value or "auto",
        "parallel_tool_calls": parallel,
        "response_format": fmt or "auto",
    }
    return state.store.insert(RUN, run, parent=thread_id)


async def _event_stream(events: run_engine.Events) -> AsyncIterator[bytes]:
    while True:
        item = await events.queue.get()
        if item is None:
            break
        name, data = item
        yield event(data, name)
    yield event("[DONE]", "done")


def _start(
    state: ServerState, run: dict[str, Any], stream: bool, thread: dict[str, Any] | None = None
) -> Response:
    if not stream:
        state.spawn(run_engine.execute(state, run["id"]))
        return ok(run)
    events = run_engine.Events()
    if thread is not None:
        events.emit("thread.created", thread)
    events.emit("thread.run.created", run)
    events.emit("thread.run.queued", run)
    state.spawn(run_engine.execute(state, run["id"], events))
    return stream_response(_event_stream(events))


async def create_run(request: Request) -> Response:
    state = state_of(request)
    thread_id = request.path_params["thread_id"]
    body = await json_body(request)
    THREADS.require(state, request.path_params)
    run = _new_run(state, thread_id, body)
    return _start(state, run, opt_bool(body, "stream"))


async def create_thread_and_run(request: Request) -> Response:
    state = state_of(request)
    body = await json_body(request)
    req_str(body, "assistant_id")
    ASSISTANTS.find(state, body["assistant_id"])
    thread = create_thread_from(state, opt_dict(body, "thread") or {}, "thread")
    run = _new_run(state, thread["id"], body)
    return _start(state, run, opt_bool(body, "stream"), thread)


async def list_runs(request: Request) -> Response:
    state = state_of(request)
    thread_id = request.path_params["thread_id"]
    THREADS.require(state, request.path_params)
    return ok(paginate(state.store.list(RUN, parent=thread_id), request.query_params))


async def cancel_run(request: Request) -> Response:
    state = state_of(request)
    p = request.path_params
    run = RUNS.require(state, p)
    if run["status"] not in ("queued", "in_progress", "requires_action"):
        raise RequestError(400, f"Cannot cancel run with status '{run['status']}'.", param="run_id")

    def change(doc: dict[str, Any]) -> None:
        if doc["status"] == "requires_action":
            doc.update(status="cancelled", cancelled_at=now(), required_action=None, expires_at=None)
        elif doc["status"] in ("queued", "in_progress"):
            doc["status"] = "cancelling"

    return ok(state.store.update(RUN, p["run_id"], change))


async def submit_tool_outputs(request: Request) -> Response:
    state = state_of(request)
    p = request.path_params
    body = await json_body(request)
    outputs = opt_list(body, "tool_outputs")
    if outputs is None:
        raise missing("tool_outputs")
    stream = opt_bool(body, "stream")
    run = RUNS.require(state, p)
    if run["status"] != "requires_action":
        raise RequestError(
            400, f"Runs in status '{run['status']}' do not accept tool outputs.", param="run_id"
        )
    given: dict[str, str] = {}
    for i, out in enumerate(outputs):
        if not isinstance(out, dict):
            raise invalid(f"tool_outputs[{i}]", "Invalid type: expected an object.", code="invalid_type")
        call_id = req_str(out, "tool_call_id", path=f"tool_outputs[{i}].tool_call_id")
        given[call_id] = opt_str(out, "output", "", path=f"tool_outputs[{i}].output") or ""
    expected = [c["id"] for c in run["required_action"]["submit_tool_outputs"]["tool_calls"]]
    unknown = [c for c in given if c not in expected]
    if unknown:
        raise invalid("tool_outputs", f"Tool call '{unknown[0]}' is not awaiting an output in this run.")
    absent = [c for c in expected if c not in given]
    if absent:
        raise invalid("tool_outputs", f"Expected tool outputs for call_ids {expected}, got {list(given)}.")
    step = next(
        s
        for s in reversed(state.store.list(STEP, parent=run["id"]))
        if s["type"] == "tool_calls" and s["status"] == "in_progress"
    )

    def fill(doc: dict[str, Any]) -> None:
        for call in doc["step_details"]["tool_calls"]:
            call["function"]["output"] = given[call["id"]]
        doc.update(status="completed", completed_at=now())

    step = state.store.update(STEP, step["id"], fill) or step
    run = state.store.update(RUN, run["id"], lambda d: d.update(status="queued", required_action=None)) or run
    if not stream:
        state.spawn(run_engine.execute(state, run["id"]))
        return ok(run)
    events = run_engine.Events()
    events.emit("thread.run.step.completed", step)
    events.emit("thread.run.queued", run)
    state.spawn(run_engine.execute(state, run["id"], events))
    return stream_response(_event_stream(events))


async def list_steps(request: Request) -> Response:
    state = state_of(request)
    p = request.path_params
    RUNS.require(state, p)
    return ok(paginate(state.store.list(STEP, parent=p["run_id"]), request.query_params))


def resume(state: ServerState) -> None:
    run_engine.resume(state)


ROUTES = [
    Route("/threads/runs", create_thread_and_run, methods=["POST"]),
    Route("/threads/{thread_id}/runs", create_run, methods=["POST"]),
    Route("/threads/{thread_id}/runs", list_runs, methods=["GET"]),
    Route("/threads/{thread_id}/runs/{run_id}", RUNS.retrieve, methods=["GET"]),
    Route("/threads/{thread_id}/runs/{run_id}", RUNS.update_metadata, methods=["POST"]),
    Route("/threads/{thread_id}/runs/{run_id}/cancel", cancel_run, methods=["POST"]),
    Route("/threads/{thread_id}/runs/{run_id}/submit_tool_outputs", submit_tool_outputs, methods=["POST"]),
    Route("/threads/{thread_id}/runs/{run_id}/steps", list_steps, methods=["GET"]),
    Route("/threads/{thread_id}/runs/{run_id}/steps/{step_id}", STEPS.retrieve, methods=["GET"]),
]

__all__ = ["MESSAGE", "ROUTES", "resume"]
