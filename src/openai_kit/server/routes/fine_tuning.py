"""``/fine_tuning/jobs``: jobs that move through validating_files -> queued -> running -> succeeded
(or failed / cancelled) with events, metrics, checkpoints and a results file; the training file's JSONL is
checked as the API checks it. A finished job's ``ft:...`` model is listed by ``/models``, answers in chat
(served by the built-in it was trained from, ``echo`` for any other base) and is deleted with
``DELETE /models/{id}``. Steps are ``work_delay`` apart; everything is kept in the store."""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import filestore
from ..crud import Stored
from ..errors import RequestError, invalid
from ..ids import new_id, now
from ..pagination import list_body, paginate
from ..params import metadata, opt_dict, opt_int, opt_str, req_str
from ..state import ServerState, json_body, ok, state_of
from ..tokens import count_tokens

KIND = "fine_tuning_job"
JOBS = Stored(KIND, "fine-tuning job", "fine_tuning_job_id")
EVENT_KIND = "fine_tuning_job_event"
CHECKPOINT_KIND = "fine_tuning_job_checkpoint"
MODEL_KIND = "fine_tuned_model"
FINAL = ("succeeded", "failed", "cancelled")
MIN_EXAMPLES = 10
MAX_STEPS = 30
CHAT_ROLES = ("system", "developer", "user", "assistant", "tool", "function")
_SUFFIX = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


# -- the training file ---------------------------------------------------------------------------


class TrainingFileError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _check_messages(messages: Any, where: str) -> None:
    if not isinstance(messages, list) or not messages:
        raise TrainingFileError(f"{where}: 'messages' must be a non-empty array.")
    for i, msg in enumerate(messages):
        if not isinstance(msg, dict):
            raise TrainingFileError(f"{where}: messages[{i}] must be an object.")
        role = msg.get("role")
        if role not in CHAT_ROLES:
            raise TrainingFileError(f"{where}: messages[{i}] has an invalid role {role!r}.")
        content = msg.get("content")
        if content is None and not (
            role == "assistant" and (msg.get("tool_calls") or msg.get("function_call"))
        ):
            raise TrainingFileError(f"{where}: messages[{i}] is missing 'content'.")
        if content is not None and not isinstance(content, (str, list)):
            raise TrainingFileError(f"{where}: messages[{i}].content must be a string or an array.")


def validate_examples(text: str, method: str, legacy: bool, label: str) -> tuple[int, int]:
    """(examples, tokens) of a JSONL training file; ``TrainingFileError`` names the first bad line."""
    examples = tokens = 0
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{label}, line {number}"
        try:
            example = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise TrainingFileError(f"{where}: not valid JSON.") from None
        if not isinstance(example, dict):
            raise TrainingFileError(f"{where}: each line must be a JSON object.")
        if legacy:
            if not isinstance(example.get("prompt"), str) or not isinstance(example.get("completion"), str):
                raise TrainingFileError(f"{where}: expected string 'prompt' and 'completion' fields.")
        elif method == "dpo":
            inp = example.get("input")
            if not isinstance(inp, dict):
                raise TrainingFileError(f"{where}: missing 'input' object with 'messages'.")
            _check_messages(inp.get("messages"), where)
            for key in ("preferred_output", "non_preferred_output"):
                _check_messages(example.get(key), f"{where} ({key})")
        else:
            messages: list[dict[str, Any]] = example.get("messages")  # type: ignore[assignment]
            _check_messages(messages, where)
            if method == "supervised" and not any(m.get("role") == "assistant" for m in messages):
                raise TrainingFileError(f"{where}: each example needs at least one assistant message.")
        examples += 1
        tokens += count_tokens(line)
    if examples < MIN_EXAMPLES:
        raise TrainingFileError(
            f"{label} has {examples} example(s), but must have at least {MIN_EXAMPLES} examples."
        )
    return examples, tokens


# -- jobs ----------------------------------------------------------------------------------------


def _file(state: ServerState, file_id: str, param: str) -> dict[str, Any]:
    obj = state.store.get(filestore.KIND, file_id)
    if obj is None:
        raise invalid(
            param, f"Invalid file format or file not found: no file with id '{file_id}'.", code="invalid_file"
        )
    if obj["purpose"] != "fine-tune":
        raise invalid(
            param,
            f"File {file_id} has purpose '{obj['purpose']}'; files for fine-tuning must have purpose 'fine-tune'.",
            code="invalid_file_purpose",
        )
    return obj


def _method(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The method type and its hyperparameters (``method`` or the older top-level ``hyperparameters``)."""
    method = opt_dict(body, "method")
    if method is None:
        return "supervised", opt_dict(body, "hyperparameters") or {}
    kind = req_str(method, "type", path="method.type")
    if kind not in ("supervised", "dpo", "reinforcement"):
        raise invalid(
            "method.type",
            f"Invalid value: '{kind}'. Supported values are: 'supervised', 'dpo' and 'reinforcement'.",
            code="invalid_value",
        )
    detail = opt_dict(method, kind, path=f"method.{kind}") or {}
    return kind, opt_dict(detail, "hyperparameters", path=f"method.{kind}.hyperparameters") or {}


def _hyper(value: Any, name: str, kind: type, lo: float, hi: float) -> Any:
    if value is None or value == "auto":
        return "auto"
    numeric = (int, float) if kind is float else (int,)
    if not isinstance(value, numeric) or isinstance(value, bool) or not lo <= value <= hi:
        raise invalid(
            f"hyperparameters.{name}",
            f"Invalid 'hyperparameters.{name}': expected 'auto' or a number from {lo} to {hi}.",
            code="invalid_value",
        )
    return value


async def create(request: Request) -> Response:
    state = state_of(request)
    body = await json_body(request)
    model = req_str(body, "model")
    training = req_str(body, "training_file")
    _file(state, training, "training_file")
    validation = opt_str(body, "validation_file")
    if validation:
        _file(state, validation, "validation_file")
    suffix = opt_str(body, "suffix")
    if suffix is not None and not _SUFFIX.match(suffix):
        raise invalid(
            "suffix", "Invalid 'suffix': use up to 64 letters, digits, '-' or '_'.", code="invalid_value"
        )
    seed = opt_int(body, "seed", lo=0, hi=2147483647)
    method, hp = _method(body)
    hyper = {
        "n_epochs": _hyper(hp.get("n_epochs"), "n_epochs", int, 1, 50),
        "batch_size": _hyper(hp.get("batch_size"), "batch_size", int, 1, 256),
        "learning_rate_multiplier": _hyper(
            hp.get("learning_rate_multiplier"), "learning_rate_multiplier", float, 0.0001, 100
        ),
    }
    if method == "dpo":
        hyper["beta"] = _hyper(hp.get("beta"), "beta", float, 0.0001, 2)
    job: dict[str, Any] = {
        "id": new_id("ftjob-"),
        "object": "fine_tuning.job",
        "created_at": now(),
        "error": None,
        "fine_tuned_model": None,
        "finished_at": None,
        "hyperparameters": hyper,
        "model": model,
        "organization_id": "org-openai-kit",
        "result_files": [],
        "seed": seed if seed is not None else secrets.randbelow(2**31),
        "status": "validating_files",
        "trained_tokens": None,
        "training_file": training,
        "validation_file": validation,
        "integrations": [],
        "estimated_finish": None,
        "metadata": metadata(body),
        "method": {"type": method, method: {"hyperparameters": hyper}},
        "user_provided_suffix": suffix,
    }
    state.store.insert(KIND, job)
    _event(state, job["id"], f"Created fine-tuning job: {job['id']}")
    state.spawn(_run(state, job["id"]))
    return ok(job)


def _event(
    state: ServerState, job_id: str, message: str, level: str = "info", data: dict[str, Any] | None = None
) -> None:
    event: dict[str, Any] = {
        "id": new_id("ftevent-"),
        "object": "fine_tuning.job.event",
        "created_at": now(),
        "level": level,
        "message": message,
        "type": "metrics" if data else "message",
    }
    if data:
        event["data"] = data
    state.store.insert(EVENT_KIND, event, parent=job_id)


def _advance(state: ServerState, job_id: str, fields: dict[str, Any]) -> bool:
    """Apply ``fields`` unless the job has reached a final status (e.g. was cancelled meanwhile)."""
    moved = False

    def change(doc: dict[str, Any]) -> None:
        nonlocal moved
        if doc["status"] not in FINAL:
            doc.update(fields)
            moved = True

    state.store.update(KIND, job_id, change)
    return moved


def _fail(state: ServerState, job_id: str, message: str, code: str, param: str | None) -> None:
    error = {"code": code, "message": message, "param": param}
    if _advance(state, job_id, {"status": "failed", "error": error, "finished_at": now()}):
        _event(state, job_id, message, level="error")


def _loss(seed: int, step: int, total: int) -> float:
    jitter = hashlib.sha256(f"{seed}:{step}".encode()).digest()[0] / 255 * 0.08
    return round(2.2 * math.exp(-3.0 * step / total) + 0.15 + jitter, 4)


async def _run(state: ServerState, job_id: str) -> None:
    job = state.store.get(KIND, job_id)
    if job is None:
        return
    await state.pause()
    _event(state, job_id, f"Validating training file: {job['training_file']}")
    method = job["method"]["type"]
    legacy = job["model"].startswith(("babbage-", "davinci-"))
    files = [("training_file", job["training_file"])]
    if job["validation_file"]:
        files.append(("validation_file", job["validation_file"]))
    counts: dict[str, tuple[int, int]] = {}
    for param, file_id in files:
        try:
            if state.store.get(filestore.KIND, file_id) is None:
                raise TrainingFileError(f"File {file_id} was deleted before the job could read it.")
            label = "Training file" if param == "training_file" else "Validation file"
            text = filestore.read_text(state, file_id)
            counts[param] = validate_examples(text, method, legacy, f"{label} {file_id}")
        except TrainingFileError as exc:
            _fail(state, job_id, exc.message, f"invalid_{param}", param)
            return
    examples, tokens = counts["training_file"]
    hyper = dict(job["hyperparameters"])
    if hyper["n_epochs"] == "auto":
        hyper["n_epochs"] = 3
    if hyper["batch_size"] == "auto":
        hyper["batch_size"] = 1
    if hyper["learning_rate_multiplier"] == "auto":
        hyper["learning_rate_multiplier"] = 1.8
    if hyper.get("beta") == "auto":
        hyper["beta"] = 0.1
    if not _advance(state, job_id, {"status": "queued"}):
        return
    _event(state, job_id, "Files validated, moving job to queued state")
    await state.pause()
    epochs = int(hyper["n_epochs"])
    per_epoch = max(1, math.ceil(examples / int(hyper["batch_size"])))
    total = min(MAX_STEPS, per_epoch * epochs)
    estimated = now() + max(1, round(state.settings.work_delay * (epochs + 2)))
    fields = {"status": "running", "hyperparameters": hyper, "estimated_finish": estimated}
    fields["method"] = {"type": method, method: {"hyperparameters": hyper}}
    if not _advance(state, job_id, fields):
        return
    _event(state, job_id, "Fine-tuning job started")
    base = job["model"].split(":")[1] if job["model"].startswith("ft:") else job["model"]
    suffix = job["user_provided_suffix"]
    model_id = f"ft:{base}:openai-kit{':' + suffix if suffix else ''}:{job_id[-8:]}"
    rows = ["step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy"]
    for epoch in range(1, epochs + 1):
        await state.pause()
        current = state.store.get(KIND, job_id)
        if current is None or current["status"] != "running":
            return
        first, last = (epoch - 1) * total // epochs + 1, epoch * total // epochs
        metrics: dict[str, Any] = {}
        for step in range(first, last + 1):
            loss = _loss(job["seed"], step, total)
            accuracy = round(min(0.99, 1.1 - loss / 2.5), 4)
            metrics = {
                "step": step,
                "train_loss": loss,
                "train_mean_token_accuracy": accuracy,
                "total_steps": total,
            }
            valid = ""
            if "validation_file" in counts:
                metrics["valid_loss"] = round(loss * 1.05, 4)
                metrics["valid_mean_token_accuracy"] = round(accuracy * 0.97, 4)
                valid = f"{metrics['valid_loss']},{metrics['valid_mean_token_accuracy']}"
            rows.append(f"{step},{loss},{accuracy},{valid or ','}")
            _event(state, job_id, f"Step {step}/{total}: training loss={loss:.4f}", data=metrics)
        if last >= first:
            state.store.insert(
                CHECKPOINT_KIND,
                {
                    "id": new_id("ftckpt_"),
                    "object": "fine_tuning.job.checkpoint",
                    "created_at": now(),
                    "fine_tuned_model_checkpoint": f"{model_id}:ckpt-step-{last}",
                    "step_number": last,
                    "metrics": {k: v for k, v in metrics.items() if k != "total_steps"},
                    "fine_tuning_job_id": job_id,
                },
                parent=job_id,
            )
            _event(state, job_id, f"Checkpoint created at step {last}")
    results = filestore.write(
        state, ("\n".join(rows) + "\n").encode(), "step_metrics.csv", "fine-tune-results"
    )
    done = {
        "status": "succeeded",
        "fine_tuned_model": model_id,
        "finished_at": now(),
        "trained_tokens": tokens * epochs,
        "result_files": [results["id"]],
        "estimated_finish": None,
    }
    if not _advance(state, job_id, done):
        return
    builtin = base if base in state.models.chat_models else "echo"
    state.store.insert(MODEL_KIND, {"id": model_id, "builtin": builtin, "job": job_id, "created": now()})
    state.models.add_alias(model_id, builtin)
    _event(state, job_id, f"New fine-tuned model created: {model_id}")
    _event(state, job_id, "The job has successfully completed")


def resume(state: ServerState) -> None:
    """Serve the fine-tuned models again, and start over the jobs a previous process left unfinished."""
    for model in state.store.list(MODEL_KIND):
        state.models.add_alias(model["id"], model["builtin"])
    for job in state.store.list(KIND):
        if job["status"] not in FINAL:
            state.store.update(KIND, job["id"], lambda doc: doc.update(status="validating_files"))
            state.store.delete_children(CHECKPOINT_KIND, job["id"])
            _event(state, job["id"], "The server restarted: the job starts again")
            state.spawn(_run(state, job["id"]))


async def list_jobs(request: Request) -> Response:
    state = state_of(request)
    jobs = state.store.list(KIND)
    wanted = {
        k[len("metadata[") : -1]: v for k, v in request.query_params.items() if k.startswith("metadata[")
    }
    if wanted:
        jobs = [j for j in jobs if all((j.get("metadata") or {}).get(k) == v for k, v in wanted.items())]
    page = paginate(jobs, request.query_params, default_order="desc", ordered=False)
    return ok({"object": "list", "data": page["data"], "has_more": page["has_more"]})


async def cancel(request: Request) -> Response:
    state = state_of(request)
    job_id = request.path_params["fine_tuning_job_id"]
    job = JOBS.find(state, job_id)
    if job["status"] in FINAL:
        raise RequestError(
            400, f"Cannot cancel a job with status '{job['status']}'.", param="fine_tuning_job_id"
        )
    if _advance(state, job_id, {"status": "cancelled", "finished_at": now(), "estimated_finish": None}):
        _event(state, job_id, "Job cancelled")
    return ok(JOBS.find(state, job_id))


async def list_events(request: Request) -> Response:
    state = state_of(request)
    job_id = request.path_params["fine_tuning_job_id"]
    JOBS.find(state, job_id)
    page = paginate(state.store.list(EVENT_KIND, parent=job_id), request.query_params, ordered=False)
    return ok({"object": "list", "data": page["data"], "has_more": page["has_more"]})


async def list_checkpoints(request: Request) -> Response:
    state = state_of(request)
    job_id = request.path_params["fine_tuning_job_id"]
    JOBS.find(state, job_id)
    items = state.store.list(CHECKPOINT_KIND, parent=job_id)
    page = paginate(items, request.query_params, ordered=False, default_limit=10)
    return ok(list_body(page["data"], page["has_more"]))


async def delete_model(request: Request) -> Response:
    """``DELETE /models/{model}``: only fine-tuned models can be deleted."""
    state = state_of(request)
    model_id = request.path_params["model"]
    if state.store.get(MODEL_KIND, model_id) is None:
        if state.models.info(model_id) is not None:
            raise RequestError(
                403,
                f"The model '{model_id}' is built in and cannot be deleted; only fine-tuned models can.",
                type="invalid_request_error",
                param="model",
                code="model_not_deletable",
            )
        raise RequestError(
            404, f"The model '{model_id}' does not exist.", param="model", code="model_not_found"
        )
    state.store.delete(MODEL_KIND, model_id)
    state.models.remove_alias(model_id)
    return ok({"id": model_id, "object": "model", "deleted": True})


ROUTES = [
    Route("/fine_tuning/jobs", create, methods=["POST"]),
    Route("/fine_tuning/jobs", list_jobs, methods=["GET"]),
    Route("/fine_tuning/jobs/{fine_tuning_job_id}", JOBS.retrieve, methods=["GET"]),
    Route("/fine_tuning/jobs/{fine_tuning_job_id}/cancel", cancel, methods=["POST"]),
    Route("/fine_tuning/jobs/{fine_tuning_job_id}/events", list_events, methods=["GET"]),
    Route("/fine_tuning/jobs/{fine_tuning_job_id}/checkpoints", list_checkpoints, methods=["GET"]),
    Route("/models/{model:path}", delete_model, methods=["DELETE"]),
]
