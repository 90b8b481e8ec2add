"""``/evals``: evals (a data source config and testing criteria), their runs and the runs' output items.

A run goes queued -> in_progress -> completed (or failed / canceled) in the background: it reads its
data source's rows (inline ``file_content`` or a JSONL file), samples the run's model for ``completions`` /
``responses`` data sources (the server's chat model, from the rendered ``input_messages``), grades every
row with every testing criterion (``server/graders.py``) and stores one output item per row, with the result
counts, per-criterion results and per-model usage. Unfinished runs start over after a restart.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import filestore, graders
from ..crud import Stored
from ..errors import RequestError, invalid, missing
from ..ids import new_id, now
from ..models import GenerationRequest, Turn
from ..models.base import off_loop
from ..pagination import paginate
from ..params import metadata, opt_bool, opt_dict, opt_enum, opt_int, opt_list, opt_num, opt_str, req_str
from ..state import ServerState, json_body, ok, state_of
from ..tokens import count_tokens

Doc = dict[str, Any]
log = logging.getLogger("openai_kit.server")

KIND = "eval"
RUN_KIND = "eval_run"
ITEM_KIND = "eval_run_output_item"
CRITERIA = ("label_model", "string_check", "text_similarity", "python", "score_model")
RUN_FINAL = ("completed", "failed", "canceled")
RUN_STATUSES = ("queued", "in_progress", "completed", "canceled", "failed")
MAX_ROWS = 1000
PROGRESS_SECONDS = 0.2


def _eval_view(state: ServerState, doc: Doc) -> Doc:
    return {k: v for k, v in doc.items() if k != "updated_at"}


EVALS = Stored(KIND, "eval", "eval_id", view=_eval_view)
RUNS = Stored(RUN_KIND, "eval run", "run_id", parent=EVALS, parent_field="eval_id", children=(ITEM_KIND,))
ITEMS = Stored(ITEM_KIND, "output item", "output_item_id", parent=RUNS, parent_field="run_id")

_SAMPLE_SCHEMA: Doc = {
    "type": "object",
    "properties": {
        "model": {"type": "string"},
        "choices": {"type": "array"},
        "output_text": {"type": "string"},
        "output_json": {"type": "object"},
    },
    "required": ["model", "choices"],
}


# -- evals ---------------------------------------------------------------------------------------


def _data_source_config(body: Doc) -> Doc:
    config = opt_dict(body, "data_source_config")
    if config is None:
        raise missing("data_source_config")
    kind = opt_enum(config, "type", ("custom", "logs", "stored_completions"), path="data_source_config.type")
    if kind is None:
        raise missing("data_source_config.type")
    if kind == "custom":
        item_schema = opt_dict(config, "item_schema", path="data_source_config.item_schema")
        if item_schema is None:
            raise missing("data_source_config.item_schema")
        properties: Doc = {"item": item_schema}
        required = ["item"]
        if opt_bool(config, "include_sample_schema"):
            properties["sample"] = _SAMPLE_SCHEMA
            required.append("sample")
        return {
            "type": "custom",
            "schema": {"type": "object", "properties": properties, "required": required},
        }
    meta = metadata(config)
    schema: Doc = {
        "type": "object",
        "properties": {"item": {"type": "object"}, "sample": _SAMPLE_SCHEMA},
        "required": ["item", "sample"],
    }
    return {"type": kind, "metadata": meta, "schema": schema}


def _criteria(state: ServerState, body: Doc) -> list[Doc]:
    criteria = opt_list(body, "testing_criteria", max_items=100)
    if criteria is None:
        raise missing("testing_criteria")
    if not criteria:
        raise invalid("testing_criteria", "Invalid 'testing_criteria': at least one grader is needed.")
    checked = [
        graders.check_grader(c, f"testing_criteria[{i}]", allowed=CRITERIA, eval_criterion=True)
        for i, c in enumerate(criteria)
    ]
    for i, criterion in enumerate(checked):
        graders.check_models(state, criterion, f"testing_criteria[{i}]")
    names = [c["name"] for c in checked]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise invalid(
                f"testing_criteria[{i}].name",
                f"Invalid 'testing_criteria[{i}].name': the name '{name}' is used twice.",
            )
    return checked


async def create_eval(request: Request) -> Response:
    state = state_of(request)
    body = await json_body(request)
    config = _data_source_config(body)
    criteria = _criteria(state, body)
    eval_id = new_id("eval_")
    created = now()
    doc: Doc = {
        "object": "eval",
        "id": eval_id,
        "name": opt_str(body, "name", max_len=256) or f"Eval {eval_id[-6:]}",
        "data_source_config": config,
        "testing_criteria": criteria,
        "created_at": created,
        "metadata": metadata(body) or {},
        "updated_at": time.time(),  # private, for order_by=updated_at: finer than the seconds shown
    }
    state.store.insert(KIND, doc)
    return ok(_eval_view(state, doc), status=201)


async def update_eval(request: Request) -> Response:
    state = state_of(request)
    body = await json_body(request)
    name = opt_str(body, "name", max_len=256)
    if name == "":
        raise invalid("name", "Invalid 'name': empty string.", code="empty_string")
    meta = metadata(body)
    EVALS.require(state, request.path_params)

    def change(doc: Doc) -> None:
        if name is not None:
            doc["name"] = name
        if meta is not None:
            doc["metadata"] = meta
        doc["updated_at"] = time.time()

    doc = state.store.update(KIND, request.path_params["eval_id"], change)
    if doc is None:
        raise RequestError(404, "The eval was deleted meanwhile.", param="eval_id", code="not_found")
    return ok(_eval_view(state, doc))


async def list_evals(request: Request) -> Response:
    state = state_of(request)
    order_by = request.query_params.get("order_by") or "created_at"
    if order_by not in ("created_at", "updated_at"):
        raise invalid(
            "order_by",
            f"Invalid value: '{order_by}'. Supported values are: 'created_at' and 'updated_at'.",
            code="invalid_value",
        )
    items = state.store.list(KIND)
    if order_by == "updated_at":
        items.sort(
            key=lambda d: float(d.get("updated_at") or d["created_at"])
        )  # stable: ties keep creation order
    page = paginate([_eval_view(state, d) for d in items], request.query_params, default_order="asc")
    return ok(page)


async def delete_eval(request: Request) -> Response:
    state = state_of(request)
    EVALS.require(state, request.path_params)
    eval_id = request.path_params["eval_id"]
    for run in state.store.list(RUN_KIND, parent=eval_id):
        state.store.delete_children(ITEM_KIND, run["id"])
    state.store.delete_children(RUN_KIND, eval_id)
    state.store.delete(KIND, eval_id)
    return ok({"object": "eval.deleted", "deleted": True, "eval_id": eval_id})


# -- runs: checking the data source --------------------------------------------------------------


def _source(state: ServerState, source: Any, kind: str) -> Doc:
    path = "data_source.source"
    if source is None:
        raise missing(path)
    if not isinstance(source, dict):
        raise invalid(path, f"Invalid type for '{path}': expected an object.", code="invalid_type")
    allowed = {
        "jsonl": ("file_content", "file_id"),
        "completions": ("file_content", "file_id", "stored_completions"),
    }
    types = allowed.get(kind, ("file_content", "file_id", "responses"))
    stype = opt_enum(source, "type", types, path=f"{path}.type")
    if stype is None:
        raise missing(f"{path}.type")
    if stype == "file_content":
        content = opt_list(source, "content", path=f"{path}.content", max_items=MAX_ROWS)
        if content is None:
            raise missing(f"{path}.content")
        for i, row in enumerate(content):
            where = f"{path}.content[{i}]"
            if not isinstance(row, dict):
                raise invalid(where, f"Invalid type for '{where}': expected an object.", code="invalid_type")
            if not isinstance(row.get("item"), dict):
                raise missing(f"{where}.item")
            opt_dict(row, "sample", path=f"{where}.sample")
        return {"type": "file_content", "content": content}
    if stype == "file_id":
        file_id = req_str(source, "id", path=f"{path}.id")
        if state.store.get(filestore.KIND, file_id) is None:
            raise invalid(f"{path}.id", f"No file found with id '{file_id}'.", code="invalid_file")
        return {"type": "file_id", "id": file_id}
    out: Doc = {"type": stype}
    meta = metadata(source)
    if meta is not None:
        out["metadata"] = meta
    for name in ("created_after", "created_before"):
        value = opt_int(source, name, lo=0, path=f"{path}.{name}")
        if value is not None:
            out[name] = value
    out["limit"] = opt_int(source, "limit", lo=1, hi=MAX_ROWS, path=f"{path}.limit")
    out["model"] = opt_str(source, "model", path=f"{path}.model")
    return out


def _input_messages(value: Any) -> Doc | None:
    path = "data_source.input_messages"
    if value is None:
        return None
    if not isinstance(value, dict):
        raise invalid(path, f"Invalid type for '{path}': expected an object.", code="invalid_type")
    kind = opt_enum(value, "type", ("template", "item_reference"), path=f"{path}.type")
    if kind == "item_reference":
        return {
            "type": kind,
            "item_reference": req_str(value, "item_reference", path=f"{path}.item_reference"),
        }
    if kind is None:
        raise missing(f"{path}.type")
    template = graders.check_messages(value.get("template"), f"{path}.template")
    return {"type": "template", "template": template}


def _data_source(state: ServerState, body: Doc) -> Doc:
    source = opt_dict(body, "data_source")
    if source is None:
        raise missing("data_source")
    kind = opt_enum(source, "type", ("jsonl", "completions", "responses"), path="data_source.type")
    if kind is None:
        raise missing("data_source.type")
    out: Doc = {"type": kind, "source": _source(state, source.get("source"), kind)}
    if kind == "jsonl":
        return out
    model = req_str(source, "model", path="data_source.model")
    state.models.chat(model, "data_source.model")
    out["model"] = model
    messages = _input_messages(source.get("input_messages"))
    if messages is None:
        raise missing("data_source.input_messages")
    out["input_messages"] = messages
    params = opt_dict(source, "sampling_params", path="data_source.sampling_params") or {}
    sampling: Doc = {}
    for name, lo, hi in (("temperature", 0.0, 2.0), ("top_p", 0.0, 1.0)):
        value = opt_num(params, name, lo=lo, hi=hi)
        if value is not None:
            sampling[name] = value
    for name, low in (("max_completion_tokens", 1), ("seed", None)):
        number = opt_int(params, name, lo=low, path=f"data_source.sampling_params.{name}")
        if number is not None:
            sampling[name] = number
    out["sampling_params"] = sampling
    return out


# -- runs: routes --------------------------------------------------------------------------------


def _counts() -> Doc:
    return {"total": 0, "errored": 0, "failed": 0, "passed": 0}


async def create_run(request: Request) -> Response:
    state = state_of(request)
    body = await json_body(request)
    evaluation = EVALS.require(state, request.path_params)
    source = _data_source(state, body)
    run_id = new_id("evalrun_")
    model = source.get("model", "")
    run: Doc = {
        "object": "eval.run",
        "id": run_id,
        "eval_id": evaluation["id"],
        "status": "queued",
        "model": model,
        "name": opt_str(body, "name", max_len=256) or f"{model or source['type']}-run-{run_id[-6:]}",
        "created_at": now(),
        "report_url": f"{str(request.url.replace(query='')).rstrip('/')}/{run_id}",
        "result_counts": _counts(),
        "per_model_usage": [],
        "per_testing_criteria_results": [
            {"testing_criteria": c["name"], "passed": 0, "failed": 0} for c in evaluation["testing_criteria"]
        ],
        "data_source": source,
        "metadata": metadata(body) or {},
        "error": {"code": "", "message": ""},
    }
    state.store.insert(RUN_KIND, run, parent=evaluation["id"])
    state.spawn(_run(state, run_id))
    return ok(run, status=201)


async def list_runs(request: Request) -> Response:
    state = state_of(request)
    EVALS.require(state, request.path_params)
    status = request.query_params.get("status")
    if status is not None and status not in RUN_STATUSES:
        raise invalid(
            "status",
            f"Invalid value: '{status}'. Supported values are: "
            + ", ".join(f"'{s}'" for s in RUN_STATUSES)
            + ".",
            code="invalid_value",
        )
    runs = state.store.list(RUN_KIND, parent=request.path_params["eval_id"])
    if status:
        runs = [r for r in runs if r["status"] == status]
    return ok(paginate(runs, request.query_params, default_order="asc"))


async def cancel_run(request: Request) -> Response:
    state = state_of(request)
    run = RUNS.require(state, request.path_params)
    if run["status"] in RUN_FINAL:
        raise RequestError(
            400, f"Cannot cancel a run with status '{run['status']}'.", param="run_id", code="invalid_state"
        )
    _advance(state, run["id"], {"status": "canceled"})
    return ok(RUNS.require(state, request.path_params))


async def delete_run(request: Request) -> Response:
    state = state_of(request)
    RUNS.require(state, request.path_params)
    run_id = request.path_params["run_id"]
    state.store.delete(RUN_KIND, run_id)
    state.store.delete_children(ITEM_KIND, run_id)
    return ok({"object": "eval.run.deleted", "deleted": True, "run_id": run_id})


async def list_items(request: Request) -> Response:
    state = state_of(request)
    RUNS.require(state, request.path_params)
    status = request.query_params.get("status")
    if status is not None and status not in ("fail", "pass"):
        raise invalid(
            "status",
            f"Invalid value: '{status}'. Supported values are: 'fail' and 'pass'.",
            code="invalid_value",
        )
    items = state.store.list(ITEM_KIND, parent=request.path_params["run_id"])
    if status:
        items = [i for i in items if i["status"] == status]
    return ok(paginate(items, request.query_params, default_order="asc"))


# -- runs: the work ------------------------------------------------------------------------------


class RowError(Exception):
    pass


def _advance(state: ServerState, run_id: str, fields: Doc) -> bool:
    """Apply ``fields`` unless the run has reached a final status (e.g. was canceled meanwhile)."""
    moved = False

    def change(doc: Doc) -> None:
        nonlocal moved
        if doc["status"] not in RUN_FINAL:
            doc.update(fields)
            moved = True

    state.store.update(RUN_KIND, run_id, change)
    return moved


def _rows(state: ServerState, source: Doc) -> list[Doc]:
    """``{"item", "sample"}`` rows of the data source."""
    stype = source["type"]
    if stype == "file_content":
        return list(source["content"])
    if stype == "file_id":
        if state.store.get(filestore.KIND, source["id"]) is None:
            raise RowError(f"File {source['id']} was deleted before the run could read it.")
        rows = []
        for number, line in enumerate(filestore.read_text(state, source["id"]).splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = orjson.loads(line)
            except orjson.JSONDecodeError:
                raise RowError(f"File {source['id']}, line {number}: not valid JSON.") from None
            if not isinstance(row, dict):
                raise RowError(f"File {source['id']}, line {number}: each line must be a JSON object.")
            rows.append(row if isinstance(row.get("item"), dict) else {"item": row})
            if len(rows) > MAX_ROWS:
                raise RowError(f"File {source['id']} has more than {MAX_ROWS} rows.")
        return rows
    if stype == "stored_completions":
        from . import chat

        found = []
        for doc in state.store.list(chat.KIND):
            meta = source.get("metadata") or {}
            if any((doc.get("metadata") or {}).get(k) != v for k, v in meta.items()):
                continue
            if source.get("model") and doc.get("model") != source["model"]:
                continue
            if source.get("created_after") and doc["created"] < source["created_after"]:
                continue
            if source.get("created_before") and doc["created"] > source["created_before"]:
                continue
            messages = state.store.list(chat.MESSAGE_KIND, parent=doc["id"])
            text = (doc["choices"][0]["message"].get("content") or "") if doc.get("choices") else ""
            item = {"input": [{"role": m["role"], "content": m.get("content") or ""} for m in messages]}
            found.append({"item": item, "sample": {"output_text": text, "model": doc.get("model", "")}})
        return found[: source.get("limit") or MAX_ROWS]
    from . import responses

    found = []
    for doc in state.store.list(responses.KIND):
        if source.get("model") and doc.get("model") != source["model"]:
            continue
        meta = source.get("metadata") or {}
        if any((doc.get("metadata") or {}).get(k) != v for k, v in meta.items()):
            continue
        text = "".join(
            part.get("text", "")
            for out in doc.get("output") or []
            if out.get("type") == "message"
            for part in out.get("content") or []
        )
        found.append({"item": {"response_id": doc["id"]}, "sample": {"output_text": text}})
    return found[: source.get("limit") or MAX_ROWS]


def _check_item(schema: Doc, item: Doc, index: int) -> None:
    """The item against the eval's ``item_schema``: its required properties and their JSON types."""
    item_schema = (schema.get("properties") or {}).get("item") or {}
    for name in item_schema.get("required") or []:
        if name not in item:
            raise RowError(f"Row {index}: the item has no '{name}', which the eval's item_schema requires.")
    types: dict[str, type | tuple[type, ...]] = {
        "string": str,
        "number": (int, float),
        "integer": int,
        "boolean": bool,
        "object": dict,
        "array": list,
    }
    for name, prop in (item_schema.get("properties") or {}).items():
        wanted = prop.get("type") if isinstance(prop, dict) else None
        if name in item and isinstance(wanted, str) and wanted in types:
            value = item[name]
            ok_type = isinstance(value, types[wanted]) and not (
                wanted != "boolean" and isinstance(value, bool)
            )
            if not ok_type:
                raise RowError(f"Row {index}: item.{name} is not of type {wanted} as the item_schema says.")


def _usage_add(usage: dict[str, Doc], model: str, prompt: int, completion: int, calls: int = 1) -> None:
    entry = usage.setdefault(
        model,
        {
            "model_name": model,
            "invocation_count": 0,
            "prompt_tokens": 0,
            "completion_tokens": 0,
            "total_tokens": 0,
            "cached_tokens": 0,
        },
    )
    entry["invocation_count"] += calls
    entry["prompt_tokens"] += prompt
    entry["completion_tokens"] += completion
    entry["total_tokens"] += prompt + completion


async def _sample(state: ServerState, source: Doc, row: Doc, usage: dict[str, Doc]) -> tuple[Doc, Doc]:
    """(the grading namespace ``sample``, the output item's ``sample``) for one row."""
    params = source.get("sampling_params") or {}
    base = {
        "temperature": params.get("temperature", 1.0),
        "max_completion_tokens": params.get("max_completion_tokens", 0),
        "top_p": params.get("top_p", 1.0),
        "seed": params.get("seed", 42),
        "error": {"code": "", "message": ""},
    }
    if source["type"] == "jsonl" or "input_messages" not in source:
        given: Doc = row["sample"] if isinstance(row.get("sample"), dict) else {}
        text = given.get("output_text")
        if not isinstance(text, str):
            choices = given.get("choices")
            message = (
                choices[0].get("message")
                if isinstance(choices, list) and choices and isinstance(choices[0], dict)
                else None
            )
            text = message.get("content") if isinstance(message, dict) else None
        text = text if isinstance(text, str) else ""
        shown = {
            **base,
            "input": [],
            "output": [{"role": "assistant", "content": text}],
            "finish_reason": "stop",
            "model": str(given.get("model", "")),
            "usage": {"total_tokens": 0, "completion_tokens": 0, "prompt_tokens": 0, "cached_tokens": 0},
        }
        return graders.sample_namespace(text, given), shown
    context = {"item": row["item"]}
    spec = source["input_messages"]
    if spec["type"] == "item_reference":
        try:
            messages = graders.lookup(context, spec["item_reference"])
        except graders.TemplateError:
            raise RowError(
                f"The item has no '{spec['item_reference']}' (input_messages.item_reference)."
            ) from None
        if isinstance(messages, str):
            messages = [{"role": "user", "content": messages}]
        if not isinstance(messages, list) or not all(isinstance(m, dict) and "role" in m for m in messages):
            raise RowError(f"'{spec['item_reference']}' is not a list of messages.")
    else:
        messages = spec["template"]
    turns = []
    for m in messages:
        try:
            text = graders.message_text(m.get("content", ""), "input_messages")
        except RequestError as exc:
            raise RowError(exc.message) from None
        turns.append(Turn(role=str(m["role"]), content=graders.render(text, context, strict=False)))
    model = state.models.chat(source["model"], "data_source.model")
    request = GenerationRequest(turns=turns, max_tokens=params.get("max_completion_tokens"))
    reply = await off_loop(model, lambda: model.generate(request), request)
    text = reply.text or ""
    prompt = sum(count_tokens(t.content) for t in turns)
    completion = count_tokens(text)
    _usage_add(usage, source["model"], prompt, completion)
    shown = {
        **base,
        "input": [{"role": t.role, "content": t.content} for t in turns],
        "output": [{"role": "assistant", "content": text}],
        "finish_reason": reply.finish_reason,
        "model": source["model"],
        "usage": {
            "total_tokens": prompt + completion,
            "completion_tokens": completion,
            "prompt_tokens": prompt,
            "cached_tokens": 0,
        },
    }
    choices = [
        {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": reply.finish_reason}
    ]
    return graders.sample_namespace(text, {"model": source["model"], "choices": choices}), shown


async def _run(state: ServerState, run_id: str) -> None:
    try:
        await _work(state, run_id)
    except Exception as exc:  # a bug must not leave the run in progress forever
        log.exception("eval run %s failed", run_id)
        error = {"code": "server_error", "message": f"The run failed: {type(exc).__name__}."}
        _advance(state, run_id, {"status": "failed", "error": error})


async def _work(state: ServerState, run_id: str) -> None:
    run = state.store.get(RUN_KIND, run_id)
    if run is None:
        return
    evaluation = state.store.get(KIND, run["eval_id"])
    if evaluation is None:
        return
    await state.pause()
    if not _advance(state, run_id, {"status": "in_progress"}):
        return
    criteria = evaluation["testing_criteria"]
    counts = _counts()
    per = {c["name"]: {"testing_criteria": c["name"], "passed": 0, "failed": 0} for c in criteria}
    usage: dict[str, Doc] = {}
    try:
        rows = _rows(state, run["data_source"]["source"])
        if evaluation["data_source_config"]["type"] == "custom":
            for index, row in enumerate(rows):
                _check_item(evaluation["data_source_config"]["schema"], row["item"], index)
    except RowError as exc:
        _advance(
            state, run_id, {"status": "failed", "error": {"code": "invalid_data_source", "message": str(exc)}}
        )
        return
    await state.pause()

    def progress() -> Doc:
        return {
            "result_counts": dict(counts),
            "per_testing_criteria_results": list(per.values()),
            "per_model_usage": list(usage.values()),
        }

    # progress is written (and a cancel or delete noticed) every PROGRESS_SECONDS, not per row: a write
    # copies the whole run, whose data source may hold a thousand rows
    last = time.monotonic()
    for index, row in enumerate(rows):
        if time.monotonic() - last >= PROGRESS_SECONDS:
            last = time.monotonic()
            if not _advance(state, run_id, progress()):
                _drop_orphans(state, run_id)
                return
        error: Doc | None = None
        try:
            ns, shown = await _sample(state, run["data_source"], row, usage)
        except RowError as exc:
            ns, shown = graders.sample_namespace(""), None
            error = {"code": "sample_error", "message": str(exc)}
        context = {"item": row["item"], "sample": ns}
        results = []
        errored = error is not None
        all_passed = not errored
        for criterion in criteria:
            outcome = await graders.grade(state, criterion, context)
            for model, used in outcome.usage.items():
                _usage_add(
                    usage, model, used["prompt_tokens"], used["completion_tokens"], used["invocation_count"]
                )
            good = graders.passed(criterion, outcome)
            errored = errored or outcome.failed
            all_passed = all_passed and good
            per[criterion["name"]]["passed" if good else "failed"] += 1
            result: Doc = {
                "name": criterion["name"],
                "type": criterion["type"],
                "score": outcome.score,
                "passed": good,
                "sample": None,
            }
            if outcome.label is not None:
                result["label"] = outcome.label
            if outcome.failed:
                result["error"] = outcome.detail or ", ".join(outcome.errors)
            results.append(result)
        counts["total"] += 1
        counts["errored" if errored else "passed" if all_passed else "failed"] += 1
        if shown is None:
            shown = {
                "input": [],
                "output": [],
                "finish_reason": "error",
                "model": run["model"],
                "usage": {"total_tokens": 0, "completion_tokens": 0, "prompt_tokens": 0, "cached_tokens": 0},
                "error": error,
                "temperature": 1.0,
                "max_completion_tokens": 0,
                "top_p": 1.0,
                "seed": 42,
            }
        item = {
            "object": "eval.run.output_item",
            "id": new_id("outputitem_"),
            "run_id": run_id,
            "eval_id": run["eval_id"],
            "created_at": now(),
            "status": "pass" if all_passed else "fail",
            "datasource_item_id": index,
            "datasource_item": row["item"],
            "results": results,
            "sample": shown,
        }
        state.store.insert(ITEM_KIND, item, parent=run_id)
    if not _advance(state, run_id, {**progress(), "status": "completed"}):
        _drop_orphans(state, run_id)


def _drop_orphans(state: ServerState, run_id: str) -> None:
    """The output items written for a run deleted while it was working."""
    if state.store.get(RUN_KIND, run_id) is None:
        state.store.delete_children(ITEM_KIND, run_id)


def _restart(run: Doc) -> None:
    run.update(status="queued", result_counts=_counts(), per_model_usage=[])
    for entry in run["per_testing_criteria_results"]:
        entry.update(passed=0, failed=0)


def resume(state: ServerState) -> None:
    """Start over the runs a previous process left unfinished."""
    for run in state.store.list(RUN_KIND):
        if run["status"] not in RUN_FINAL:
            state.store.delete_children(ITEM_KIND, run["id"])
            state.store.update(RUN_KIND, run["id"], _restart)
            state.spawn(_run(state, run["id"]))


ROUTES = [
    Route("/evals", create_eval, methods=["POST"]),
    Route("/evals", list_evals, methods=["GET"]),
    Route("/evals/{eval_id}", EVALS.retrieve, methods=["GET"]),
    Route("/evals/{eval_id}", update_eval, methods=["POST"]),
    Route("/evals/{eval_id}", delete_eval, methods=["DELETE"]),
    Route("/evals/{eval_id}/runs", create_run, methods=["POST"]),
    Route("/evals/{eval_id}/runs", list_runs, methods=["GET"]),
    Route("/evals/{eval_id}/runs/{run_id}", RUNS.retrieve, methods=["GET"]),
    Route("/evals/{eval_id}/runs/{run_id}", cancel_run, methods=["POST"]),
    # the official client's path for the same operation
    Route("/evals/{eval_id}/runs/{run_id}/cancel", cancel_run, methods=["POST"]),
    Route("/evals/{eval_id}/runs/{run_id}", delete_run, methods=["DELETE"]),
    Route("/evals/{eval_id}/runs/{run_id}/output_items", list_items, methods=["GET"]),
    Route("/evals/{eval_id}/runs/{run_id}/output_items/{output_item_id}", ITEMS.retrieve, methods=["GET"]),
]
