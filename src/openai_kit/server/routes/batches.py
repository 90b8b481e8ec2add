"""``/batches``: run an uploaded JSONL file against the server's own endpoints in the background.

Statuses move ``validating -> in_progress -> finalizing -> completed`` (or ``failed`` for a bad
input file, ``cancelling -> cancelled`` on request). The work runs in a task of its own, so it goes on
after the creating client disconnects; with ``--data-dir`` unfinished batches resume after a restart.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import filestore
from ..crud import Stored
from ..errors import RequestError, invalid
from ..ids import new_id, now
from ..pagination import paginate
from ..params import metadata, opt_str, req_str
from ..state import ServerState, json_body, ok, state_of
from . import chat, completions, embeddings, responses

KIND = "batch"
Handler = Callable[[ServerState, dict[str, Any]], Awaitable[dict[str, Any]]]
ENDPOINTS: dict[str, Handler] = {
    "/v1/chat/completions": chat.create_chat_completion,
    "/v1/completions": completions.create_completion,
    "/v1/embeddings": embeddings.create_embedding,
    "/v1/responses": responses.create_response,
    "/v1/moderations": embeddings.create_moderation,
}
FINAL = ("failed", "completed", "expired", "cancelled")


async def create(request: Request) -> Response:
    state = state_of(request)
    body = await json_body(request)
    input_file_id = req_str(body, "input_file_id")
    endpoint = req_str(body, "endpoint")
    if endpoint not in ENDPOINTS:
        raise invalid(
            "endpoint",
            f"Invalid value: '{endpoint}'. Supported values are: "
            + ", ".join(f"'{e}'" for e in ENDPOINTS)
            + ".",
            code="invalid_value",
        )
    window = req_str(body, "completion_window")
    if window != "24h":
        raise invalid(
            "completion_window",
            f"Invalid value: '{window}'. Supported values are: '24h'.",
            code="invalid_value",
        )
    meta = metadata(body)
    opt_str(body, "output_expires_after")
    file_obj = filestore.FILES.find(state, input_file_id, "input_file_id")
    if file_obj["purpose"] != "batch":
        raise invalid(
            "input_file_id",
            f"File {input_file_id} has purpose '{file_obj['purpose']}'; a batch input "
            "file needs purpose 'batch'.",
        )
    created = now()
    batch: dict[str, Any] = {
        "id": new_id("batch_"),
        "object": "batch",
        "endpoint": endpoint,
        "errors": None,
        "input_file_id": input_file_id,
        "completion_window": window,
        "status": "validating",
        "output_file_id": None,
        "error_file_id": None,
        "created_at": created,
        "in_progress_at": None,
        "expires_at": created + 24 * 3600,
        "finalizing_at": None,
        "completed_at": None,
        "failed_at": None,
        "expired_at": None,
        "cancelling_at": None,
        "cancelled_at": None,
        "request_counts": {"total": 0, "completed": 0, "failed": 0},
        "metadata": meta,
    }
    state.store.insert(KIND, batch)
    state.spawn(execute(state, batch["id"]))
    return ok(view(batch))


def view(batch: dict[str, Any]) -> dict[str, Any]:
    """The wire form: the spec has no nulls in a batch, unset fields are left out."""
    return {k: v for k, v in batch.items() if v is not None}


BATCHES = Stored(KIND, "batch", "batch_id", view=lambda state, doc: view(doc))


def _set(state: ServerState, batch_id: str, **changes: Any) -> dict[str, Any]:
    doc = state.store.update(KIND, batch_id, lambda d: d.update(changes))
    if doc is None:
        raise RuntimeError(f"batch {batch_id} vanished")
    return doc


def _parse_lines(text: str, endpoint: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    requests: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError:
            errors.append(
                {
                    "code": "invalid_json_line",
                    "message": "This line is not valid JSON.",
                    "param": None,
                    "line": lineno,
                }
            )
            continue
        problem: tuple[str, str, str | None] | None = None
        if not isinstance(item, dict):
            problem = ("invalid_request", "Each line must be a JSON object.", None)
        elif not isinstance(item.get("custom_id"), str):
            problem = ("missing_required_parameter", "Each line needs a string 'custom_id'.", "custom_id")
        elif item["custom_id"] in seen:
            problem = (
                "duplicate_custom_id",
                f"The custom_id '{item['custom_id']}' is used more than once.",
                "custom_id",
            )
        elif item.get("method") != "POST":
            problem = ("invalid_method", "Each line needs 'method': 'POST'.", "method")
        elif item.get("url") != endpoint:
            problem = ("mismatched_url", f"The url must be '{endpoint}', the batch's endpoint.", "url")
        elif not isinstance(item.get("body"), dict):
            problem = ("missing_required_parameter", "Each line needs an object 'body'.", "body")
        if problem is not None:
            errors.append({"code": problem[0], "message": problem[1], "param": problem[2], "line": lineno})
            continue
        seen.add(item["custom_id"])
        requests.append(item)
    if not requests and not errors:
        errors.append(
            {"code": "empty_file", "message": "The input file has no requests.", "param": None, "line": None}
        )
    return requests, errors


async def execute(state: ServerState, batch_id: str) -> None:
    batch = state.store.get(KIND, batch_id)
    if batch is None or batch["status"] in FINAL:
        return
    if batch["status"] == "cancelling":
        _set(state, batch_id, status="cancelled", cancelled_at=now())
        return
    await state.pause()
    try:
        text = filestore.read_text(state, batch["input_file_id"])
    except OSError:
        text = ""
    lines, errors = _parse_lines(text, batch["endpoint"])
    current = state.store.get(KIND, batch_id)
    if current is None:
        return
    if current["status"] == "cancelling":
        _set(state, batch_id, status="cancelled", cancelled_at=now())
        return
    if errors:
        _set(state, batch_id, status="failed", failed_at=now(), errors={"object": "list", "data": errors})
        return
    model = lines[0]["body"].get("model")
    batch = _set(
        state,
        batch_id,
        status="in_progress",
        in_progress_at=now(),
        model=model,
        request_counts={"total": len(lines), "completed": 0, "failed": 0},
    )
    handler = ENDPOINTS[batch["endpoint"]]
    out_lines: list[bytes] = []
    err_lines: list[bytes] = []
    cancelled = False
    for item in lines:
        await state.pause()
        await asyncio.sleep(0)
        current = state.store.get(KIND, batch_id)
        if current is None:
            return
        if current["status"] == "cancelling":
            cancelled = True
            break
        status, body = await _call(handler, state, item["body"])
        record = {
            "id": new_id("batch_req_"),
            "custom_id": item["custom_id"],
            "response": {"status_code": status, "request_id": "req_" + secrets.token_hex(16), "body": body},
            "error": None,
        }
        (out_lines if status == 200 else err_lines).append(orjson.dumps(record))
        counts = current["request_counts"]
        key = "completed" if status == 200 else "failed"
        _set(state, batch_id, request_counts={**counts, key: counts[key] + 1})
    if not cancelled:
        _set(state, batch_id, status="finalizing", finalizing_at=now())
        await state.pause()
    changes: dict[str, Any] = {}
    if out_lines:
        changes["output_file_id"] = filestore.write(
            state, b"\n".join(out_lines) + b"\n", f"{batch_id}_output.jsonl", "batch_output"
        )["id"]
    if err_lines:
        changes["error_file_id"] = filestore.write(
            state, b"\n".join(err_lines) + b"\n", f"{batch_id}_error.jsonl", "batch_output"
        )["id"]
    if cancelled:
        _set(state, batch_id, status="cancelled", cancelled_at=now(), **changes)
    else:
        _set(state, batch_id, status="completed", completed_at=now(), **changes)


async def _call(handler: Handler, state: ServerState, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    if body.get("stream"):
        err = RequestError(400, "Streaming is not supported in batches.", param="stream")
        return err.status, err.body()
    try:
        return 200, await handler(state, body)
    except RequestError as err:
        return err.status, err.body()


def resume(state: ServerState) -> None:
    """Restart batches a previous server process left unfinished."""
    for batch in state.store.list(KIND):
        if batch["status"] not in FINAL:
            state.spawn(execute(state, batch["id"]))


async def list_batches(request: Request) -> Response:
    state = state_of(request)
    page = paginate(state.store.list(KIND), request.query_params, default_order="desc")
    page["data"] = [view(b) for b in page["data"]]
    return ok(page)


async def cancel(request: Request) -> Response:
    state = state_of(request)
    batch_id = request.path_params["batch_id"]
    batch = BATCHES.require(state, request.path_params)
    if batch["status"] in FINAL:
        raise RequestError(409, f"Cannot cancel a batch with status '{batch['status']}'.", param="batch_id")
    if batch["status"] == "cancelling":
        return ok(view(batch))
    return ok(view(_set(state, batch_id, status="cancelling", cancelling_at=now())))


ROUTES = [
    Route("/batches", create, methods=["POST"]),
    Route("/batches", list_batches, methods=["GET"]),
    Route("/batches/{batch_id}", BATCHES.retrieve, methods=["GET"]),
    Route("/batches/{batch_id}/cancel", cancel, methods=["POST"]),
]
