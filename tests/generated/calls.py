"""Building a valid call of any generated operation from the spec, and checking its result."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pydantic

from codegen.operations import Operation

from .conftest import Catalog
from .spec_server import SpecServer

FILE = ("input.jsonl", b'{"prompt": "hi"}\n', "application/octet-stream")
STREAM_KEYS = ("stream", "stream_format")


@dataclass
class Call:
    op: Operation
    args: list[Any]
    kwargs: dict[str, Any]
    stream: bool


def target(client: Any, op: Operation) -> Any:
    obj = client
    for seg in op.resource:
        obj = getattr(obj, seg)
    return getattr(obj, op.name)


def build_call(cat: Catalog, op: Operation, *, stream: bool = False, required_only: bool = False) -> Call:
    w = cat.world
    kwargs: dict[str, Any] = {}
    args: list[Any] = []
    for i, p in enumerate(op.path_params):
        value = f"{p.wire}_abc"
        if i == len(op.path_params) - 1:
            args.append(value)
        else:
            kwargs[p.py] = value
    route = next(r for r in w.routes if r.op_id == op.op_id)
    qschemas = {p["name"]: p.get("schema", {}) for p in route.params if p.get("in") == "query"}
    for p in op.query_params:
        if (required_only and not p.required) or p.wire == op.stream_flag:
            continue
        kwargs[p.py] = w.example(qschemas[p.wire], hint=p.wire)
    if stream and op.stream_flag in {p.wire for p in op.query_params}:
        kwargs[op.stream_flag] = True
    hschemas = {p["name"]: p.get("schema", {}) for p in route.params if p.get("in") == "header"}
    for p in op.header_params:
        if required_only and not p.required:
            continue
        kwargs[p.py] = w.example(hschemas[p.wire], hint=p.wire)
    if op.body_kind:
        rb = w.deref(route.op["requestBody"])
        ct = (
            "multipart/form-data"
            if op.body_kind == "multipart"
            else ("application/json" if op.body_kind == "json" else next(iter(rb["content"])))
        )
        schema = rb["content"][ct]["schema"]
        body = w.example(schema, hint="body", required_only=required_only)
        if op.body_params:
            by_wire = {p.wire: p for p in op.body_params}
            for key in STREAM_KEYS:
                body.pop(key, None)
            if stream:
                if op.stream_flag == "stream_format":
                    body["stream_format"] = "sse"
                else:
                    body["stream"] = True
            for wire, value in body.items():
                p = by_wire[wire]
                if p.kind == "file":
                    value = [FILE] if isinstance(value, list) else FILE
                kwargs[p.py] = value
            # required files the generator left as strings
            for p in op.body_params:
                if p.kind == "file" and p.required and p.py not in kwargs:
                    kwargs[p.py] = FILE
        else:
            kwargs["body"] = body
    return Call(op, args, kwargs, stream)


def dump(value: Any) -> Any:
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if isinstance(value, list):
        return [dump(v) for v in value]
    if isinstance(value, dict):
        return {k: dump(v) for k, v in value.items()}
    return value


def same_json(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=False))
    if (
        isinstance(a, (int, float))
        and isinstance(b, (int, float))
        and not isinstance(a, bool)
        and not isinstance(b, bool)
    ):
        return float(a) == float(b)
    return a == b


def check_result(server: SpecServer, call: Call, result: Any, *, binary_body: bytes | None = None) -> None:
    """The server saw a valid request for this operation and the client parsed its answer faithfully."""
    op = call.op
    hit = server.last(op.op_id)
    assert not hit.problems, hit.problems
    expected = hit.response
    kind = op.response_kind
    if call.stream:
        events = list(result)
        assert len(events) == len(expected)
        for ev, exp in zip(events, expected, strict=False):
            assert same_json(dump(ev), exp), (dump(ev), exp)
            # every event the spec lists parses to its own class, not to the unknown-variant fallback
            assert type(ev).__name__ != "UnknownObject", exp
        return
    if kind == "model":
        if op.op_id == "createEmbedding":
            return
        assert isinstance(result, (pydantic.BaseModel, list, dict, str, int, float)), type(result)
        assert same_json(dump(result), expected), (dump(result), expected)
    elif kind == "page":
        items = result.data
        assert same_json(dump(items), expected["data"]), (dump(items), expected["data"])
    elif kind == "binary":
        assert binary_body is not None
        if isinstance(expected, bytes):
            assert binary_body == expected
        elif isinstance(expected, str):  # a JSON string, or a text body (realtime.calls.create's SDP)
            assert binary_body in (__import__("json").dumps(expected).encode(), expected.encode())
        else:
            assert binary_body == (b"" if expected is None else __import__("json").dumps(expected).encode())
    elif kind == "text":
        assert result == expected
    else:
        assert result is None
