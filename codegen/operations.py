"""The operations of the spec, classified into what the generated methods need."""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from typing import Any

from .naming import operation_name
from .spec import HTTP_METHODS

# Operations whose body is a file even though the spec does not say so precisely.
BINARY_OPS = frozenset(
    {
        "downloadFile",
        "RetrieveContainerFileContent",
        "RetrieveVideoContent",
        "GetSkillContent",
        "GetSkillVersionContent",
        "createSpeech",
        # the SDP answer: the official SDK returns it as binary content (`.text`, `.content`)
        "create-realtime-call",
    }
)

# Streaming operations whose SSE payload the spec does not describe in a text/event-stream response.
STREAM_EVENTS: dict[str, str] = {
    "createChatCompletion": "CreateChatCompletionStreamResponse",
    "createCompletion": "CreateCompletionResponse",
    # `event: thread.run.created` + `data: {run}`: parsed as one {"event", "data"} envelope
    "createRun": "AssistantStreamEvent",
    "createThreadAndRun": "AssistantStreamEvent",
    "submitToolOuputsToRun": "AssistantStreamEvent",
    # GET ...?stream=true resumes a background response's event stream
    "getResponse": "ResponseStreamEvent",
    "beta_getResponse": "BetaResponseStreamEvent",
}

# POST operations that return a page of results.
POST_LISTS = frozenset(
    {
        "activateOrganizationCertificates",
        "deactivateOrganizationCertificates",
        "activateProjectCertificates",
        "deactivateProjectCertificates",
        "searchVectorStore",
        "createFineTuningCheckpointPermission",
    }
)

# GET operations with a `data` array that are reports, not lists to walk.
#: list endpoints without a cursor that the official SDK still returns as an iterable page
CURSORLESS_LISTS = frozenset({"listModels"})
NOT_LISTS = frozenset({"usage-costs"}) | frozenset(
    f"usage-{x}"
    for x in [
        "audio-speeches",
        "audio-transcriptions",
        "code-interpreter-sessions",
        "completions",
        "embeddings",
        "file-search-calls",
        "images",
        "moderations",
        "vector-stores",
        "web-search-calls",
    ]
)

# Keyword names every method reserves (RequestOptions keys and our own).
RESERVED_KWARGS = frozenset(
    {
        "self",
        "options",
        "extra_headers",
        "extra_query",
        "extra_body",
        "timeout",
        "max_retries",
        "idempotency_key",
    }
)


def py_name(name: str) -> str:
    n = re.sub(r"[^A-Za-z0-9_]", "_", name).strip("_") or "value"
    if n[0].isdigit():
        n = "p_" + n
    if keyword.iskeyword(n) or n in ("None", "True", "False", "cast"):
        n += "_"
    return n


@dataclass
class Param:
    wire: str
    py: str
    schema: dict[str, Any]
    required: bool
    kind: str  # path | query | header | body | file
    style: str | None = None
    nullable: bool = False


@dataclass
class Operation:
    op_id: str
    method: str
    path: str
    beta_query: bool
    resource: tuple[str, ...]
    name: str
    summary: str
    path_params: list[Param] = field(default_factory=list)
    query_params: list[Param] = field(default_factory=list)
    header_params: list[Param] = field(default_factory=list)
    body_params: list[Param] = field(default_factory=list)
    body_kind: str | None = None  # json | multipart | text | None
    json_too: bool = False  # a multipart body the spec also accepts as JSON (sent so when no file is given)
    body_schema: dict[str, Any] | None = None  # when the body is not an object of properties
    body_schema_name: str | None = None
    response_kind: str = "none"  # model | page | binary | none | text
    response_schema: dict[str, Any] | None = None
    page_item_schema: dict[str, Any] | None = None
    stream_schema: dict[str, Any] | None = None
    stream_flag: str | None = None  # name of the body param that turns streaming on

    @property
    def dotted(self) -> str:
        return ".".join((*self.resource, self.name))

    @property
    def area(self) -> str:
        return area_of(self.resource)


def area_of(resource: tuple[str, ...]) -> str:
    if resource[0] == "beta" and len(resource) > 1:
        return "beta." + resource[1]
    return resource[0]


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while isinstance(node, dict) and "$ref" in node:
        parts = node["$ref"].lstrip("#/").split("/")
        cur: Any = spec
        for p in parts:
            cur = cur[p]
        node = cur
    return node


def collect_operations(spec: dict[str, Any], tg: Any) -> list[Operation]:
    """All operations, in spec order. ``tg`` is the TypeGen (used to flatten body objects)."""
    ops: list[Operation] = []
    for raw_path, item in spec["paths"].items():
        for method in HTTP_METHODS:
            op = item.get(method)
            if op is None:
                continue
            resource, name = operation_name(op["operationId"], method, raw_path)
            path = raw_path.replace("?beta=true", "")
            o = Operation(
                op_id=op["operationId"],
                method=method.upper(),
                path=path,
                beta_query="?beta=true" in raw_path,
                resource=resource,
                name=name,
                summary=op.get("summary", ""),
            )
            params = [_resolve(spec, p) for p in item.get("parameters", []) + op.get("parameters", [])]
            order = re.findall(r"\{([^}]+)\}", path)
            by_name = {p["name"]: p for p in params if p.get("in") == "path"}
            for n in order:
                p = by_name.get(n, {"name": n, "schema": {"type": "string"}})
                o.path_params.append(Param(n, py_name(n), p.get("schema", {"type": "string"}), True, "path"))
            for p in params:
                if p.get("in") == "query":
                    o.query_params.append(
                        Param(
                            p["name"],
                            py_name(p["name"]),
                            p.get("schema", {}),
                            bool(p.get("required")),
                            "query",
                            style=p.get("style"),
                        )
                    )
                elif p.get("in") == "header":
                    sch = p.get("schema", {})
                    pyn = sch.get("x-stainless-param") or py_name(p["name"])
                    o.header_params.append(
                        Param(p["name"], py_name(pyn), sch, bool(p.get("required")), "header")
                    )
            _classify_body(spec, o, op, tg)
            _classify_response(spec, o, op, tg)
            _dedupe_names(o)
            ops.append(o)
    return ops


def _classify_body(spec: dict[str, Any], o: Operation, op: dict[str, Any], tg: Any) -> None:
    rb = op.get("requestBody")
    if not rb:
        return
    rb = _resolve(spec, rb)
    content = rb.get("content", {})
    if "multipart/form-data" in content:
        ct, kind = "multipart/form-data", "multipart"
        o.json_too = "application/json" in content
    elif "application/json" in content:
        ct, kind = "application/json", "json"
    else:
        ct = next(iter(content))
        kind = "text"
    schema = content[ct].get("schema", {})
    o.body_kind = kind
    o.body_schema_name = tg.ref_name(schema)
    obj = tg.flatten_object(schema)
    if kind == "text" or obj is None or not obj.get("properties"):
        o.body_schema = schema
        return
    required = set(obj.get("required", []))
    for wire, ps in obj["properties"].items():
        rps = tg.resolve(ps)
        is_file = kind == "multipart" and _is_file(tg, rps)
        o.body_params.append(
            Param(
                wire,
                py_name(wire),
                ps,
                wire in required,
                "file" if is_file else "body",
                nullable=tg.is_nullable(ps),
            )
        )


def _is_file(tg: Any, s: dict[str, Any]) -> bool:
    if s.get("format") == "binary" or s.get("contentMediaType") == "application/octet-stream":
        return True
    if s.get("type") == "array" and isinstance(s.get("items"), dict):
        return _is_file(tg, tg.resolve(s["items"]))
    for key in ("oneOf", "anyOf"):
        if key in s:
            return any(_is_file(tg, tg.resolve(v)) for v in s[key])
    return False


def _classify_response(spec: dict[str, Any], o: Operation, op: dict[str, Any], tg: Any) -> None:
    responses = op.get("responses", {})
    ok = next((responses[c] for c in sorted(responses) if c.startswith("2")), None)
    ok = _resolve(spec, ok) if ok else None
    content = (ok or {}).get("content", {}) or {}
    body_props = {p.wire for p in o.body_params}
    if "text/event-stream" in content:
        o.stream_schema = content["text/event-stream"].get("schema")
    if o.op_id in STREAM_EVENTS:
        ev = STREAM_EVENTS[o.op_id]
        o.stream_schema = {"$ref": f"#/components/schemas/{ev}"}
    if o.stream_schema is not None:
        if "stream" in body_props:
            o.stream_flag = "stream"
        elif "stream_format" in body_props:
            o.stream_flag = "stream_format"
        elif "stream" in {p.wire for p in o.query_params}:
            o.stream_flag = "stream"
        else:
            o.stream_schema = None
    if o.op_id in BINARY_OPS:
        o.response_kind = "binary"
        return
    if "application/json" in content:
        schema = content["application/json"].get("schema", {})
        o.response_schema = schema
        o.response_kind = "model"
        obj = tg.flatten_object(schema)
        data = (obj or {}).get("properties", {}).get("data") if obj else None
        rdata = tg.resolve(data) if isinstance(data, dict) else None
        cursor = {"has_more", "next_page", "last_id", "first_id", "next"} & set(
            (obj or {}).get("properties", {})
        )
        if (
            rdata is not None
            and rdata.get("type") == "array"
            and (
                (o.method == "GET" and (cursor or o.op_id in CURSORLESS_LISTS) and o.op_id not in NOT_LISTS)
                or o.op_id in POST_LISTS
            )
        ):
            o.response_kind = "page"
            o.page_item_schema = rdata.get("items", {})
        return
    if not content:
        o.response_kind = "none"
        return
    ct = next(iter(content))
    if ct.startswith("text/") or ct == "application/sdp":
        o.response_kind = "text"
        return
    o.response_kind = "binary"


def _dedupe_names(o: Operation) -> None:
    seen: set[str] = set()
    for group in (o.path_params, o.query_params, o.header_params, o.body_params):
        for p in group:
            n = p.py
            if n in RESERVED_KWARGS:
                n = n + "_"
            while n in seen:
                n = n + "_"
            p.py = n
            seen.add(n)
