"""A mock OpenAI server driven by the OpenAPI spec: it checks requests and answers spec-valid data.

For every request it finds the operation (method + path template), then checks
- the bearer key,
- every query parameter (known name, type, required ones present),
- the body against the operation's request schema (JSON, or multipart fields and files),
and answers a response generated from the operation's response schema, itself validated against that
schema before it is sent (so the client is tested against data the spec allows). Streaming operations
answer Server-Sent Events generated from the event schema (one event per union member). Requests that
fail a check get a 400 with the list of problems, which the client raises as ``BadRequestError``.

Uses the spec repaired by ``codegen.spec.repair`` (nullable without type, duplicate required entries).
Run standalone: ``python -m tests.generated.spec_server --port 4010``.
"""

from __future__ import annotations

import copy
import email.parser
import email.policy
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from codegen.operations import STREAM_EVENTS
from codegen.spec import HTTP_METHODS, load_spec, repair

API_KEY = "sk-test-spec-server"


@dataclass
class Route:
    method: str
    template: str
    regex: re.Pattern[str]
    op: dict[str, Any]
    op_id: str
    beta: bool
    params: list[dict[str, Any]]


@dataclass
class Hit:
    op_id: str
    method: str
    path: str
    query: list[tuple[str, str]]
    body: Any
    problems: list[str]
    response: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class SpecWorld:
    """The spec, its validators and the instance generator (shared by server and tests)."""

    spec: dict[str, Any]
    routes: list[Route] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.registry = Registry().with_resource(
            "urn:spec", Resource.from_contents(self.spec, default_specification=DRAFT202012)
        )
        self._validators: dict[str, Draft202012Validator] = {}
        self._examples: dict[str, Any] = {}
        self._checked: dict[tuple[str, str], list[str]] = {}
        for raw, item in self.spec["paths"].items():
            for m in HTTP_METHODS:
                op = item.get(m)
                if not op:
                    continue
                path = raw.replace("?beta=true", "")
                rx = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", r"([^/]+)", re.escape(path)) + "$")
                params = [self.deref(p) for p in item.get("parameters", []) + op.get("parameters", [])]
                self.routes.append(
                    Route(m.upper(), path, rx, op, op["operationId"], "?beta=true" in raw, params)
                )
        # literal segments win over parameters (/threads/runs before /threads/{id})
        self.routes.sort(key=lambda r: (r.template.count("{"), -len(r.template)))

    # -- schema helpers ------------------------------------------------------------------------
    def deref(self, node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node and len(node) == 1:
            cur: Any = self.spec
            for part in node["$ref"].lstrip("#/").split("/"):
                cur = cur[part]
            node = cur
        return node

    def resolve(self, node: Any) -> Any:
        seen = 0
        while isinstance(node, dict) and "$ref" in node and seen < 64:
            cur: Any = self.spec
            for part in node["$ref"].lstrip("#/").split("/"):
                cur = cur[part]
            node = cur
            seen += 1
        return node

    def validator(self, schema: dict[str, Any]) -> Draft202012Validator:
        key = json.dumps(schema, sort_keys=True)
        v = self._validators.get(key)
        if v is None:
            wrapped = _rewrite_refs(schema)
            v = Draft202012Validator(wrapped, registry=self.registry)
            self._validators[key] = v
        return v

    def errors(self, schema: dict[str, Any], instance: Any) -> list[str]:
        # the same instance of the same schema is checked once (tests send the same calls many times)
        try:
            key = (json.dumps(schema, sort_keys=True), json.dumps(instance, sort_keys=True))
        except (TypeError, ValueError):
            return self._errors(schema, instance)
        found = self._checked.get(key)
        if found is None:
            found = self._checked[key] = self._errors(schema, instance)
        return list(found)

    def _errors(self, schema: dict[str, Any], instance: Any) -> list[str]:
        v = self.validator(schema)
        out = []
        for e in v.iter_errors(instance):
            loc = "/".join(str(x) for x in e.absolute_path)
            out.append(f"{loc or '<root>'}: {e.message[:300]}")
            if len(out) >= 8:
                break
        return out

    # -- instance generation -------------------------------------------------------------------
    def example(self, schema: dict[str, Any], *, required_only: bool = False, hint: str = "") -> Any:
        """A deterministic instance of ``schema`` that validates against it (checked)."""
        key = json.dumps(schema, sort_keys=True) + str(required_only)
        if key in self._examples:
            return copy.deepcopy(self._examples[key])
        inst = None
        for ro in (required_only,) if required_only else (False, True):
            cand = Gen(self, required_only=ro).gen(schema, 0, hint)
            if not self.errors(schema, cand):
                inst = cand
                break
        if inst is None:
            cand = Gen(self, required_only=required_only).gen(schema, 0, hint)
            raise AssertionError(f"cannot generate a valid instance: {self.errors(schema, cand)[:3]}")
        self._examples[key] = inst
        return copy.deepcopy(inst)

    def variants(self, schema: dict[str, Any]) -> list[dict[str, Any]]:
        """The members of a (possibly nested) union schema, flattened."""
        r = self.resolve(schema)
        for key in ("oneOf", "anyOf"):
            if key in r:
                out: list[dict[str, Any]] = []
                for v in r[key]:
                    rv = self.resolve(v)
                    if "oneOf" in rv or "anyOf" in rv:
                        out.extend(self.variants(v))
                    elif rv.get("type") != "null":
                        out.append(v)
                return out
        if "allOf" in r and len(r["allOf"]) >= 1:
            for part in r["allOf"]:
                rp = self.resolve(part)
                if "oneOf" in rp or "anyOf" in rp:
                    return self.variants(part)
        return [schema]

    def match(self, method: str, path: str, query: dict[str, list[str]]) -> Route | None:
        beta = query.get("beta") == ["true"]
        for r in self.routes:
            if r.method == method and r.regex.match(path) and r.beta == beta:
                return r
        for r in self.routes:
            if r.method == method and r.regex.match(path):
                return r
        return None


def _rewrite_refs(node: Any) -> Any:
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str) and v.startswith("#/"):
                out[k] = "urn:spec" + v
            else:
                out[k] = _rewrite_refs(v)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(x) for x in node]
    return node


class Gen:
    """Builds instances: every property (or only the required ones), first enum value, one array item."""

    MAX_DEPTH = 7

    def __init__(self, world: SpecWorld, *, required_only: bool) -> None:
        self.w = world
        self.required_only = required_only

    def gen(self, s: Any, depth: int, hint: str) -> Any:
        if not isinstance(s, dict):
            return None
        if "$ref" in s:
            target = self.w.resolve(s)
            extra = {k: v for k, v in s.items() if k != "$ref"}
            return self.gen(
                {**target, **{k: v for k, v in extra.items() if k in ("nullable",)}} if extra else target,
                depth,
                hint,
            )
        if "const" in s:
            return s["const"]
        if "enum" in s:
            vals = [v for v in s["enum"] if v is not None]
            return vals[0] if vals else None
        if "allOf" in s:
            flat = self.flatten(s)
            if flat is not None:
                return self.gen(flat, depth, hint)
            merged: dict[str, Any] = {}
            other = None
            for part in s["allOf"]:
                v = self.gen(part, depth, hint)
                if isinstance(v, dict):
                    merged.update(v)
                elif v is not None:
                    other = v
            own = {k: v for k, v in s.items() if k != "allOf"}
            if own.get("properties"):
                v = self.gen(own, depth, hint)
                if isinstance(v, dict):
                    merged.update(v)
            return merged if merged or other is None else other
        for key in ("oneOf", "anyOf"):
            if (
                key in s
                and s.get("properties")
                and all(
                    isinstance(v, dict)
                    and not ({"type", "properties", "$ref", "oneOf", "anyOf", "allOf"} & set(v))
                    for v in s[key]
                )
            ):
                # constraint-only variants (e.g. anyOf: [{required: [a]}, {required: [b]}])
                first = s[key][0]
                rest = {k: v for k, v in s.items() if k != key}
                rest["required"] = list(
                    dict.fromkeys([*(s.get("required") or []), *(first.get("required") or [])])
                )
                return self.gen(rest, depth, hint)
            if key in s:
                options = [v for v in s[key] if self.w.resolve(v).get("type") != "null"]
                if not options:
                    return None
                for opt in options:
                    cand = self.gen(opt, depth + 1, hint)
                    if not self.w.errors(s, cand):
                        return cand
                return self.gen(options[0], depth + 1, hint)
        t = s.get("type")
        if t is None and isinstance(s.get("items"), dict):
            t = "array"
        if isinstance(t, list):
            ts = [x for x in t if x != "null"]
            t = ts[0] if ts else "null"
        if t == "object" or (t is None and "properties" in s):
            props = s.get("properties", {}) or {}
            required = set(s.get("required", []) or [])
            out: dict[str, Any] = {}
            for name, ps in props.items():
                if name not in required and (self.required_only or depth >= self.MAX_DEPTH):
                    continue
                out[name] = (
                    self.special(name, ps, depth) if name in SPECIAL else self.gen(ps, depth + 1, name)
                )
            for name in s.get("required", []) or []:
                if name not in out:  # required but not described (a spec defect): any string
                    out[name] = f"{name}_1"
            ap = s.get("additionalProperties")
            if not props and isinstance(ap, dict) and ap and depth < self.MAX_DEPTH:
                out["key"] = self.gen(ap, depth + 1, "key")
            return out
        if t == "array":
            items = s.get("items", {})
            n = max(1, int(s.get("minItems", 1))) if depth < self.MAX_DEPTH or s.get("minItems") else 0
            vals = [self.gen(items, depth + 1, hint) for _ in range(n)]
            if s.get("uniqueItems") and len(vals) > 1:
                vals = vals[:1]
            return vals
        if t == "string":
            return self.string(s, hint)
        if t in ("integer", "number"):
            v: float = 1
            if "minimum" in s:
                v = max(v, s["minimum"])
            if "exclusiveMinimum" in s and not isinstance(s["exclusiveMinimum"], bool):
                v = max(v, s["exclusiveMinimum"] + 1)
            if "maximum" in s:
                v = min(v, s["maximum"])
            if "exclusiveMaximum" in s and not isinstance(s["exclusiveMaximum"], bool):
                v = min(v, s["exclusiveMaximum"] - (1 if t == "integer" else 0.5))
            return int(v) if t == "integer" else float(v)
        if t == "boolean":
            return False
        if t == "null":
            return None
        return {}

    def flatten(self, s: dict[str, Any]) -> dict[str, Any] | None:
        """allOf of objects as one object schema (properties and required merged)."""
        props: dict[str, Any] = {}
        required: list[str] = []
        for part in [*s["allOf"], {k: v for k, v in s.items() if k != "allOf"}]:
            r = self.w.resolve(part)
            if "allOf" in r:
                r = self.flatten(r)
                if r is None:
                    return None
            if any(k in r for k in ("oneOf", "anyOf")) or r.get("type") not in (None, "object"):
                return None
            props.update(r.get("properties", {}) or {})
            required.extend(r.get("required", []) or [])
        return {"type": "object", "properties": props, "required": list(dict.fromkeys(required))}

    def special(self, name: str, ps: dict[str, Any], depth: int) -> Any:
        r = self.w.resolve(ps)
        if name == "has_more":
            return False
        if name in ("next_page", "next"):
            return None if _nullable(r) else self.gen(ps, depth + 1, name)
        return self.gen(ps, depth + 1, name)

    @staticmethod
    def string(s: dict[str, Any], hint: str) -> str:
        fmt = s.get("format")
        if fmt == "date-time":
            return "2025-01-01T00:00:00Z"
        if fmt == "date":
            return "2025-01-01"
        if fmt in ("uri", "url"):
            return "https://example.com/x"
        if fmt == "email":
            return "user@example.com"
        if fmt == "binary":
            return "binary-data"
        if "pattern" in s:
            return _pattern_example(s["pattern"]) or "x"
        n = int(s.get("minLength", 0))
        v = (hint or "str") + "_1"
        if len(v) < n:
            v = v + "x" * (n - len(v))
        if "maxLength" in s:
            v = v[: int(s["maxLength"])] or "x"
        return v


SPECIAL = {"has_more", "next_page", "next"}


def _nullable(s: dict[str, Any]) -> bool:
    t = s.get("type")
    if isinstance(t, list) and "null" in t:
        return True
    return any(
        isinstance(v, dict) and v.get("type") == "null" for v in s.get("anyOf", []) + s.get("oneOf", [])
    )


def _pattern_example(p: str) -> str | None:
    """An example for the few patterns the spec uses on generated strings."""
    return {r"^[a-zA-Z0-9_-]+$": "abc"}.get(p)


# ------------------------------------------------------------------------------------- the server


class SpecServer:
    def __init__(self, world: SpecWorld | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.world = world or SpecWorld(repair(load_spec()))
        self.hits: list[Hit] = []
        self.lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"server_ref": self})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base_url = f"http://{host}:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="spec-server", daemon=True)

    def start(self) -> SpecServer:
        self.thread.start()
        return self

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

    def record(self, hit: Hit) -> None:
        with self.lock:
            self.hits.append(hit)

    def last(self, op_id: str) -> Hit:
        with self.lock:
            for h in reversed(self.hits):
                if h.op_id == op_id:
                    return h
        raise AssertionError(f"the server never saw {op_id}")

    # -- request checks --------------------------------------------------------------------------
    def check_query(self, route: Route, pairs: list[tuple[str, str]]) -> tuple[list[str], dict[str, Any]]:
        problems: list[str] = []
        params = {p["name"]: p for p in route.params if p.get("in") == "query"}
        got: dict[str, list[str]] = {}
        for k, v in pairs:
            got.setdefault(k, []).append(v)
        if route.beta:
            got.pop("beta", None)
        values: dict[str, Any] = {}
        for key in list(got):
            m = re.match(r"^([^\[]+)\[([^\]]+)\]$", key)
            if key in params:
                continue
            if m and m.group(1) in params:
                values.setdefault(m.group(1), {})[m.group(2)] = got.pop(key)[-1]
                continue
            problems.append(f"query: unknown parameter {key!r}")
        for name, p in params.items():
            schema = p.get("schema", {})
            if name in values:
                obj = values[name]
                rs = self.world.resolve(schema)
                props = rs.get("properties", {}) if isinstance(rs, dict) else {}
                values[name] = {
                    k: _coerce(self.world, props.get(k, {"type": "string"}), v) for k, v in obj.items()
                }
            elif name in got:
                raw = got[name]
                rs = self.world.resolve(schema)
                if _schema_type(self.world, rs) == "array":
                    values[name] = [_coerce(self.world, rs.get("items", {}), x) for x in raw]
                else:
                    if len(raw) > 1:
                        problems.append(f"query: {name!r} repeated")
                    values[name] = _coerce(self.world, schema, raw[-1])
            elif p.get("required"):
                problems.append(f"query: missing required parameter {name!r}")
                continue
            else:
                continue
            for e in self.world.errors(schema, values[name]):
                problems.append(f"query {name}: {e}")
        return problems, values

    def check_body(self, route: Route, ctype: str, raw: bytes) -> tuple[list[str], Any]:
        rb = self.world.deref(route.op.get("requestBody"))
        if not rb:
            if raw.strip() and raw.strip() not in (b"{}",):
                return [f"body: operation {route.op_id} takes no body"], None
            return [], None
        content = rb.get("content", {})
        base = ctype.split(";")[0].strip().lower()
        if not raw and not rb.get("required"):
            return [], None
        if base not in content:
            return [f"body: content type {base!r} not accepted (expected one of {sorted(content)})"], None
        schema = content[base].get("schema", {})
        if base == "application/json":
            try:
                body = json.loads(raw or b"null")
            except ValueError as e:
                return [f"body: not JSON ({e})"], None
        elif base == "multipart/form-data":
            body, probs = _parse_multipart(self.world, ctype, raw, schema)
            if probs:
                return probs, body
        else:
            body = raw.decode("utf-8", "replace")
        return [f"body: {e}" for e in self.world.errors(schema, body)], body

    # -- responses --------------------------------------------------------------------------------
    def ok_response(self, route: Route) -> tuple[int, str | None, Any]:
        responses = route.op.get("responses", {})
        code = next((c for c in sorted(responses) if c.startswith("2")), "200")
        resp = self.world.deref(responses.get(code, {}))
        return int(code), None, resp.get("content", {}) or {}

    def stream_events(self, route: Route, body: Any) -> list[tuple[str | None, Any, Any]] | None:
        """The events to stream: (SSE event name, `data` payload, what the client should parse)."""
        op = route.op
        wants = isinstance(body, dict) and (body.get("stream") is True or body.get("stream_format") == "sse")
        if not wants:
            return None
        ev = STREAM_EVENTS.get(route.op_id)
        members: list[dict[str, Any]]
        if ev:
            members = self.world.variants({"$ref": f"#/components/schemas/{ev}"})
        else:
            code = next((c for c in sorted(op["responses"]) if c.startswith("2")), "200")
            content = self.world.deref(op["responses"][code]).get("content", {})
            sch = content.get("text/event-stream", {}).get("schema")
            if sch is None:
                return None
            members = self.world.variants(sch)
        out: list[tuple[str | None, Any, Any]] = []
        for m in members:
            inst = self.world.example(m)
            if isinstance(inst, dict) and set(inst) >= {"event", "data"} and "type" not in inst:
                # assistants: `event: <name>` and the object alone as `data`; the client parses both
                # back into the {"event", "data"} envelope
                if inst["event"] in ("error", "done"):
                    continue  # error raises on the client (by design); done ends every stream below
                out.append((inst["event"], inst["data"], {"event": inst["event"], "data": inst["data"]}))
                continue
            name = inst.get("type") if isinstance(inst, dict) and isinstance(inst.get("type"), str) else None
            if name == "error":
                continue  # an error event ends the stream with an exception on the client (by design)
            out.append((name, inst, inst))
        return out


def _schema_type(world: SpecWorld, s: Any) -> str | None:
    s = world.resolve(s)
    if not isinstance(s, dict):
        return None
    t = s.get("type")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), None)
    if t is None:
        for key in ("anyOf", "oneOf"):
            for v in s.get(key, []):
                vt = _schema_type(world, v)
                if vt and vt != "null":
                    return vt
    return t


def _coerce(world: SpecWorld, schema: Any, raw: str) -> Any:
    t = _schema_type(world, schema)
    try:
        if t == "integer":
            return int(raw)
        if t == "number":
            return float(raw)
        if t == "boolean":
            return {"true": True, "false": False}.get(raw, raw)
        if t in ("object", "array"):
            return json.loads(raw)
    except ValueError:
        return raw
    return raw


def _parse_multipart(
    world: SpecWorld, ctype: str, raw: bytes, schema: dict[str, Any]
) -> tuple[Any, list[str]]:
    """Decode a form the way the client encodes it: ``a[b]`` nests objects, ``a[]`` repeats list items
    (object items JSON-encoded), scalars are text coerced by the schema, file parts become a marker."""
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + raw
    )
    if not msg.is_multipart():
        return None, ["body: not multipart"]
    fields: dict[str, Any] = {}
    probs: list[str] = []
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            probs.append("body: multipart part without a name")
            continue
        filename = part.get_filename()
        payload = part.get_payload(decode=True) or b""
        m = re.match(r"^([^\[]+)((?:\[[^\]]*\])*)$", name)
        if not m:
            probs.append(f"body: bad field name {name!r}")
            continue
        tokens = [m.group(1), *re.findall(r"\[([^\]]*)\]", m.group(2))]
        is_list = tokens[-1] == ""
        if is_list:
            tokens = tokens[:-1]
        sub = _schema_at(world, schema, tokens)
        if filename is not None:
            value: Any = "binary-data"
            if not payload:
                probs.append(f"body: file part {name!r} is empty")
            if _schema_type(world, sub) == "array":
                is_list = True
        else:
            text = payload.decode("utf-8")
            item_schema = world.resolve(sub).get("items", {}) if is_list else sub
            value = _coerce_form(world, item_schema, text)
        cur = fields
        for t in tokens[:-1]:
            cur = cur.setdefault(t, {})
        last = tokens[-1]
        if is_list:
            cur.setdefault(last, []).append(value)
        elif last in cur:
            probs.append(f"body: field {name!r} sent twice")
        else:
            cur[last] = value
    return fields, probs


def _schema_at(world: SpecWorld, schema: Any, tokens: list[str]) -> Any:
    cur = schema
    for t in tokens:
        props: dict[str, Any] = {}
        for part in _object_parts(world, cur):
            props.update(part.get("properties", {}))
        cur = props.get(t, {})
    return cur


def _object_parts(world: SpecWorld, s: dict[str, Any]) -> list[dict[str, Any]]:
    s = world.resolve(s)
    out = [s] if "properties" in s else []
    for key in ("allOf", "anyOf", "oneOf"):
        for v in s.get(key, []):
            out.extend(_object_parts(world, v))
    return out


def _coerce_form(world: SpecWorld, schema: Any, text: str) -> Any:
    t = _schema_type(world, schema)
    if t == "string":
        return text
    if t == "boolean":
        return {"true": True, "false": False}.get(text, text)
    try:
        return json.loads(text)
    except ValueError:
        return text


class _Handler(BaseHTTPRequestHandler):
    server_ref: SpecServer
    protocol_version = "HTTP/1.1"
    # headers and body go out as separate writes: without TCP_NODELAY every response waits ~40 ms for
    # the client's delayed ACK (Nagle), which made a request cost 45 ms instead of ~2
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(
        self, status: int, body: bytes, ctype: str = "application/json", headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(body)))
        self.send_header("x-request-id", "req_spec_server")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, problems: list[str], op_id: str = "") -> None:
        body = {
            "error": {
                "message": f"{op_id}: " + "; ".join(problems),
                "type": "invalid_request_error",
                "param": None,
                "code": "spec_validation",
            }
        }
        self._send(status, json.dumps(body).encode())

    def _handle(self) -> None:
        try:
            self._handle_inner()
        except Exception as e:  # report, do not drop the connection
            import traceback

            traceback.print_exc()
            self._error(500, [f"spec server crashed: {type(e).__name__}: {e}"])

    def _handle_inner(self) -> None:
        srv = self.server_ref
        url = urlsplit(self.path)
        pairs = parse_qsl(url.query, keep_blank_values=True)
        qdict: dict[str, list[str]] = {}
        for k, v in pairs:
            qdict.setdefault(k, []).append(v)
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.headers.get("authorization") != f"Bearer {API_KEY}":
            self._error(401, ["missing or wrong bearer key"])
            return
        route = srv.world.match(self.command, url.path, qdict)
        if route is None:
            self._error(404, [f"no operation for {self.command} {url.path}"])
            return
        problems, _q = srv.check_query(route, pairs)
        for p in route.params:
            if p.get("in") != "header":
                continue
            value = self.headers.get(p["name"])
            if value is None:
                if p.get("required"):
                    problems.append(f"header: missing {p['name']!r}")
                continue
            hs = srv.world.resolve(p.get("schema", {}))
            inst: Any = value.split(",") if _schema_type(srv.world, hs) == "array" else value
            problems += [f"header {p['name']}: {e}" for e in srv.world.errors(p.get("schema", {}), inst)]
        bprobs, body = srv.check_body(route, self.headers.get("content-type", ""), raw)
        problems += bprobs
        hit = Hit(
            route.op_id,
            self.command,
            url.path,
            pairs,
            body,
            problems,
            headers={k.lower(): v for k, v in self.headers.items()},
        )
        srv.record(hit)
        if problems:
            self._error(400, problems, route.op_id)
            return
        status, _, content = srv.ok_response(route)
        if body is None and ("stream", "true") in pairs:  # GET ...?stream=true (a resumed stream)
            events = srv.stream_events(route, {"stream": True})
        else:
            events = srv.stream_events(route, body)
        if events is not None:
            chunks = []
            for name, data, _ in events:
                chunk = ""
                if name:
                    chunk += f"event: {name}\n"
                chunk += "data: " + json.dumps(data) + "\n\n"
                chunks.append(chunk)
            enveloped = any(data is not parsed for _, data, parsed in events)
            chunks.append("event: done\ndata: [DONE]\n\n" if enveloped else "data: [DONE]\n\n")
            hit.response = [parsed for _, _, parsed in events]
            self._send(status, "".join(chunks).encode(), "text/event-stream")
            return
        if "application/json" in content and "schema" in content["application/json"]:
            schema = content["application/json"]["schema"]
            try:
                inst = srv.world.example(schema)
            except AssertionError as e:
                self._error(500, [str(e)], route.op_id)
                return
            hit.response = inst
            self._send(status, json.dumps(inst).encode())
            return
        if content:
            ctype = next(iter(content))
            if ctype.startswith("text/") or ctype == "application/sdp":
                hit.response = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\n"
                self._send(status, hit.response.encode(), ctype)
                return
            hit.response = b"\x00\x01binary-content\xff"
            self._send(status, hit.response, ctype)
            return
        hit.response = None
        self._send(status, b"", "application/json")

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _handle


if __name__ == "__main__":  # pragma: no cover
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=4010)
    a = ap.parse_args()
    s = SpecServer(port=a.port).start()
    print(f"spec server on {s.base_url} (key {API_KEY})")
    try:
        s.thread.join()
    except KeyboardInterrupt:
        s.close()
