"""The local server against hostile input (issue 14, findings 8-11): deep nesting, oversized values,
schemas that cannot be satisfied or ask for huge values, malformed multipart and HTTP framing.

Raw HTTP (httpx with hand-made bodies) or raw sockets wherever the SDK would refuse to send the
request. Every bad request must get a 4xx in the API's error format, never a 500 or plain text, and
the server must keep answering afterwards.
"""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from openai_kit.server import limits
from openai_kit.server.errors import RequestError
from openai_kit.server.store import Store
from openai_kit.server.testing import run_server

pytestmark = pytest.mark.filterwarnings("ignore:.*Assistants API.*:DeprecationWarning")

USER = [{"role": "user", "content": "hi"}]


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with run_server() as base:
        yield base


def nested_schema(levels: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(levels):
        schema = {"type": "object", "properties": {"a": schema}}
    return schema


def nested_list(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return value


def api_error(r: httpx.Response, status: int, param: str | None = None) -> dict[str, Any]:
    """The error object of ``r``, after checking the status and the API's error shape."""
    assert r.status_code == status, (r.status_code, r.text[:500])
    assert r.headers["content-type"].startswith("application/json")
    error: dict[str, Any] = r.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert isinstance(error["message"], str) and error["message"]
    if param is not None:
        assert error["param"] == param, error
    return error


def chat_schema(schema: Any) -> dict[str, Any]:
    return {
        "model": "echo",
        "messages": USER,
        "response_format": {"type": "json_schema", "json_schema": {"name": "out", "schema": schema}},
    }


def function_tool(parameters: Any) -> dict[str, Any]:
    return {"type": "function", "function": {"name": "f", "parameters": parameters}}


# -- finding 8: nesting depth ----------------------------------------------------------------


def test_deeply_nested_tool_schema_cannot_break_listing(url: str) -> None:
    # 124 schema levels are 249 JSON levels inside the request: refused at create, naming where
    for levels in (124, 200):
        r = httpx.post(
            f"{url}/assistants", json={"model": "echo", "tools": [function_tool(nested_schema(levels))]}
        )
        error = api_error(r, 400)
        assert error["param"].startswith("tools[0].function.parameters"), error
        assert error["code"] == "nesting_too_deep"
    # a schema well inside the limit is stored, and listing stays fine
    ok = httpx.post(f"{url}/assistants", json={"model": "echo", "tools": [function_tool(nested_schema(25))]})
    assert ok.status_code == 200, ok.text
    listed = httpx.get(f"{url}/assistants", params={"limit": 100})
    assert listed.status_code == 200
    assert ok.json()["id"] in [a["id"] for a in listed.json()["data"]]


def test_body_nesting_limit_is_exact_and_applies_everywhere(url: str) -> None:
    # the body object itself is level 1: a list nested 63 deep under a key is level 64
    at_limit = {
        "model": "echo",
        "messages": USER,
        "user": "u",
        "extra": nested_list(limits.MAX_BODY_DEPTH - 1),
    }
    assert httpx.post(f"{url}/chat/completions", json=at_limit).status_code == 200
    too_deep = {**at_limit, "extra": nested_list(limits.MAX_BODY_DEPTH)}
    error = api_error(httpx.post(f"{url}/chat/completions", json=too_deep), 400)
    assert error["param"].startswith("extra") and error["code"] == "nesting_too_deep"
    # deeper than the JSON parser's own limit (1024): the same error, not "invalid JSON"
    raw = b'{"model": "echo", "x": ' + b"[" * 2000 + b"]" * 2000 + b"}"
    r = httpx.post(f"{url}/embeddings", content=raw, headers={"content-type": "application/json"})
    assert api_error(r, 400)["code"] == "nesting_too_deep"


def test_store_never_writes_a_document_too_deep_to_serve() -> None:
    store = Store()
    try:
        store.insert("thing", {"id": "ok", "v": nested_list(limits.STORED_DEPTH - 1)})
        with pytest.raises(RequestError) as info:
            store.insert("thing", {"id": "deep", "v": nested_list(limits.STORED_DEPTH)})
        assert info.value.status == 400 and (info.value.param or "").startswith("v[0]")
        with pytest.raises(RequestError):
            store.put("thing", {"id": "ok", "v": nested_list(200)})
        assert [d["id"] for d in store.list("thing")] == ["ok"]
        assert orjson.dumps({"data": store.list("thing")})  # a page of them serialises
    finally:
        store.close()


def test_bad_object_left_by_an_older_version_is_quarantined_on_restart(tmp_path: Path) -> None:
    with run_server(data_dir=tmp_path) as base:
        good = httpx.post(f"{base}/assistants", json={"model": "echo", "name": "good"}).json()
    # what an older version could store: 249 levels (every list of it failed), and a torn write
    deep = {"id": "asst_deep", "object": "assistant", "tools": [function_tool(nested_schema(124))]}
    db = sqlite3.connect(tmp_path / "state.sqlite3")
    db.execute(
        "INSERT INTO docs (kind, id, parent, seq, data) VALUES ('assistant', 'asst_deep', NULL, 1000, ?)",
        (orjson.dumps(deep),),
    )
    db.execute(
        "INSERT INTO docs (kind, id, parent, seq, data) VALUES ('assistant', 'asst_torn', NULL, 1001, ?)",
        (b'{"id": "asst_torn", "obj',),
    )
    db.commit()
    db.close()
    with run_server(data_dir=tmp_path) as base:
        listed = httpx.get(f"{base}/assistants")
        assert listed.status_code == 200, listed.text[:300]
        assert [a["id"] for a in listed.json()["data"]] == [good["id"]]
        assert httpx.get(f"{base}/assistants/asst_deep").status_code == 404
        assert httpx.get(f"{base}/assistants/{good['id']}").json()["name"] == "good"
    db = sqlite3.connect(tmp_path / "state.sqlite3")
    kept = dict(db.execute("SELECT id, reason FROM quarantine").fetchall())
    db.close()
    assert kept == {"asst_deep": "nested too deeply", "asst_torn": "not valid JSON"}


# -- findings 9 and 11: schemas that are malformed or cannot be satisfied --------------------

BAD_SCHEMAS = [
    ({"type": "array", "minItems": "many"}, "minItems"),
    ({"type": "array", "minItems": -1}, "minItems"),
    ({"type": "string", "maxLength": 1.5}, "maxLength"),
    ({"type": "integer", "minimum": 10, "maximum": 1}, "no integer satisfies"),
    ({"type": "integer", "multipleOf": 0}, "multipleOf"),
    ({"type": "number", "multipleOf": -2}, "multipleOf"),
    ({"type": "integer", "minimum": 1, "maximum": 1, "multipleOf": 0.3}, "no integer satisfies"),
    ({"type": "integer", "minimum": 1e29}, "no integer satisfies"),
    ({"type": "number", "minimum": 1e308, "multipleOf": 1e-300}, "satisfies"),
    ({"type": "string", "minLength": 5, "maxLength": 2}, "minLength"),
    ({"type": "array", "minItems": 3, "maxItems": 1}, "minItems"),
    ({"type": "array", "items": {"enum": [1, 2]}, "minItems": 3, "uniqueItems": True}, "distinct"),
    ({"type": "object", "properties": ["a"]}, "properties"),
    ({"type": "object", "required": [1]}, "required"),
    ({"enum": "abc"}, "enum"),
    ({"anyOf": {}}, "anyOf"),
    ({"$ref": 5}, "$ref"),
    ({"type": "integer", "minimum": "ten"}, "minimum"),
    # asking for more than the local server generates
    ({"type": "array", "minItems": 2_000_000}, "limit"),
    ({"type": "string", "minLength": 100_000_000}, "limit"),
    ({"type": "string", "pattern": "a{1000000000}"}, "longer than"),
    ({"type": "string", "pattern": "(a{10000}){10000}"}, "longer than"),
    ({"type": "object", "minProperties": 10_000_000}, "limit"),
    # catastrophic backtracking: the stdlib's re took 8 s at a{25} (minutes at a{30}), holding the GIL
    ({"type": "string", "pattern": r"(a|aa)*a{40}\B-"}, "took too long"),
    ({"type": "string", "pattern": r"(a*)*a{30}\B-"}, "cannot generate"),
]


@pytest.mark.parametrize(("schema", "words"), BAD_SCHEMAS, ids=[str(s)[:50] for s, _ in BAD_SCHEMAS])
def test_bad_output_schema_is_a_400(url: str, schema: Any, words: str) -> None:
    started = time.monotonic()
    r = httpx.post(f"{url}/chat/completions", json=chat_schema(schema), timeout=30)
    error = api_error(r, 400, "response_format.json_schema.schema")
    assert words in error["message"], error
    assert error["type"] == "invalid_request_error"
    assert time.monotonic() - started < 5
    assert len(r.content) < 2000


def test_bad_tool_schema_is_a_400_on_every_endpoint(url: str) -> None:
    bad = {"type": "object", "properties": {"n": {"type": "integer", "minimum": 10, "maximum": 1}}}
    r = httpx.post(
        f"{url}/chat/completions",
        json={"model": "tool-caller", "messages": USER, "tools": [function_tool(bad)]},
    )
    assert "no integer" in api_error(r, 400, "tools[0].function.parameters")["message"]
    r = httpx.post(
        f"{url}/responses",
        json={
            "model": "tool-caller",
            "input": "hi",
            "tools": [{"type": "function", "name": "f", "parameters": bad}],
        },
    )
    assert api_error(r, 400)["param"] == "tools[0].parameters"
    r = httpx.post(
        f"{url}/responses",
        json={
            "model": "echo",
            "input": "hi",
            "text": {
                "format": {"type": "json_schema", "name": "o", "schema": {"type": "array", "minItems": "x"}}
            },
        },
    )
    api_error(r, 400)


def test_generation_is_bounded_across_choices(url: str) -> None:
    # each choice alone fits (400,000 bytes), 128 of them would be 51 MB: one budget per request
    schema = {"type": "string", "minLength": 400_000}
    body = {**chat_schema(schema), "n": 128}
    started = time.monotonic()
    r = httpx.post(f"{url}/chat/completions", json=body, timeout=60)
    assert "limit" in api_error(r, 400, "response_format.json_schema.schema")["message"]
    assert time.monotonic() - started < 10
    one = httpx.post(f"{url}/chat/completions", json={**body, "n": 2}, timeout=60)
    assert one.status_code == 200
    assert [len(c["message"]["content"]) for c in one.json()["choices"]] == [400_002, 400_002]


@pytest.mark.parametrize(
    ("schema", "status"),
    [
        ({"type": "array", "minItems": 90_000, "items": {"type": "integer"}}, 200),
        ({"type": "string", "pattern": r"(a|aa)*a{40}\B-"}, 400),  # a slow match releases the GIL
    ],
    ids=["large-value", "slow-pattern"],
)
def test_generation_runs_off_the_event_loop(url: str, schema: dict[str, Any], status: int) -> None:
    """While one request generates a large value, other requests are answered."""
    slow = chat_schema(schema)
    done: dict[str, float] = {}

    def send_slow() -> None:
        r = httpx.post(f"{url}/chat/completions", json=slow, timeout=60)
        done["slow"] = time.monotonic()
        done["status"] = r.status_code

    thread = threading.Thread(target=send_slow)
    sent = time.monotonic()
    thread.start()
    answered: list[tuple[float, float]] = []
    with httpx.Client() as c:
        while thread.is_alive():
            t0 = time.monotonic()
            assert c.get(f"{url}/models").status_code == 200
            answered.append((t0, time.monotonic()))
            time.sleep(0.005)
    thread.join()
    assert done["status"] == status
    assert done["slow"] - sent > 0.1, "the slow request was too fast to show anything"
    # some request sent after the slow one was answered well before the slow one finished
    assert any(t0 > sent + 0.02 and t1 < done["slow"] - 0.05 for t0, t1 in answered), answered[:5]


# -- finding 11: documented limits and invalid values ----------------------------------------


@pytest.mark.parametrize(
    ("field", "limit"),
    [("name", 256), ("description", 512), ("instructions", 256_000)],
)
def test_assistant_text_limits(url: str, field: str, limit: int) -> None:
    at_limit = httpx.post(f"{url}/assistants", json={"model": "echo", field: "x" * limit})
    assert at_limit.status_code == 200 and at_limit.json()[field] == "x" * limit
    over = httpx.post(f"{url}/assistants", json={"model": "echo", field: "x" * (limit + 1)})
    assert api_error(over, 400, field)["code"] == "string_above_max_length"
    # the update path checks the same, and the stored object is unchanged
    aid = at_limit.json()["id"]
    api_error(httpx.post(f"{url}/assistants/{aid}", json={field: "y" * (10 * 1024 * 1024)}), 400, field)
    assert httpx.get(f"{url}/assistants/{aid}").json()[field] == "x" * limit


def test_run_instructions_limit(url: str) -> None:
    aid = httpx.post(f"{url}/assistants", json={"model": "echo"}).json()["id"]
    tid = httpx.post(f"{url}/threads", json={}).json()["id"]
    for field in ("instructions", "additional_instructions"):
        r = httpx.post(f"{url}/threads/{tid}/runs", json={"assistant_id": aid, field: "x" * 256_001})
        api_error(r, 400, field)


@pytest.mark.parametrize(
    ("metadata", "param"),
    [
        ({f"k{i}": "v" for i in range(17)}, "metadata"),
        ({"k" * 65: "v"}, "metadata." + "k" * 65),
        ({"k": "v" * 513}, "metadata.k"),
        ({"k": 1}, "metadata.k"),
    ],
)
def test_metadata_limits(url: str, metadata: dict[str, Any], param: str) -> None:
    for path in ("/assistants", "/vector_stores", "/threads"):
        body: dict[str, Any] = {"metadata": metadata}
        if path == "/assistants":
            body["model"] = "echo"
        api_error(httpx.post(url + path, json=body), 400, param)


@pytest.mark.parametrize(
    ("expires_after", "param"),
    [
        ({"anchor": "last_active_at", "days": -1}, "expires_after.days"),
        ({"anchor": "last_active_at", "days": 0}, "expires_after.days"),
        ({"anchor": "last_active_at", "days": 366}, "expires_after.days"),
        ({"anchor": "last_active_at", "days": "7"}, "expires_after.days"),
        ({"anchor": "created_at", "days": 7}, "expires_after.anchor"),
        ({"days": 7}, "expires_after.anchor"),
        ({"anchor": "last_active_at"}, "expires_after.days"),
    ],
)
def test_vector_store_expiry_checked(url: str, expires_after: dict[str, Any], param: str) -> None:
    api_error(httpx.post(f"{url}/vector_stores", json={"expires_after": expires_after}), 400, param)
    vsid = httpx.post(f"{url}/vector_stores", json={}).json()["id"]
    api_error(httpx.post(f"{url}/vector_stores/{vsid}", json={"expires_after": expires_after}), 400, param)
    good = httpx.post(f"{url}/vector_stores", json={"expires_after": {"anchor": "last_active_at", "days": 2}})
    assert good.json()["expires_at"] == good.json()["created_at"] + 2 * 86400


def test_list_query_checked(url: str) -> None:
    for path in ("/batches", "/assistants", "/files", "/vector_stores", "/chat/completions"):
        api_error(httpx.get(url + path, params={"order": "sideways"}), 400, "order")
        api_error(httpx.get(url + path, params={"limit": "many"}), 400, "limit")
    assert httpx.get(f"{url}/batches", params={"order": "asc"}).status_code == 200


def test_search_filter_types_checked(url: str) -> None:
    vsid = httpx.post(f"{url}/vector_stores", json={}).json()["id"]
    for filters, param in [
        ({"type": ["eq"], "key": "a", "value": 1}, "filters.type"),
        ({"type": {"x": 1}}, "filters.type"),
        ({"type": "and", "filters": [{"type": 5}]}, "filters.filters[0].type"),
    ]:
        r = httpx.post(f"{url}/vector_stores/{vsid}/search", json={"query": "q", "filters": filters})
        api_error(r, 400, param)


def test_objects_are_found_only_under_their_parent(url: str) -> None:
    """The one retrieve / update / delete helper checks the parent of nested objects."""
    t1 = httpx.post(f"{url}/threads", json={"messages": USER}).json()["id"]
    t2 = httpx.post(f"{url}/threads", json={}).json()["id"]
    mid = httpx.get(f"{url}/threads/{t1}/messages").json()["data"][0]["id"]
    for method, body in (("GET", None), ("POST", {"metadata": {"a": "b"}}), ("DELETE", None)):
        r = httpx.request(method, f"{url}/threads/{t2}/messages/{mid}", json=body)
        api_error(r, 404, "message_id")
    api_error(httpx.get(f"{url}/threads/thread_nope/messages/{mid}"), 404, "thread_id")
    updated = httpx.post(f"{url}/threads/{t1}/messages/{mid}", json={"metadata": {"a": "b"}})
    assert updated.json()["metadata"] == {"a": "b"}
    deleted = httpx.delete(f"{url}/threads/{t1}/messages/{mid}").json()
    assert deleted == {"id": mid, "object": "thread.message.deleted", "deleted": True}
    api_error(httpx.get(f"{url}/threads/{t1}/messages/{mid}"), 404, "message_id")
    # chat completions need the metadata they update
    cid = httpx.post(
        f"{url}/chat/completions", json={"model": "echo", "messages": USER, "store": True}
    ).json()["id"]
    api_error(httpx.post(f"{url}/chat/completions/{cid}", json={}), 400, "metadata")


# -- finding 9: multipart --------------------------------------------------------------------


def multipart(boundary: str) -> tuple[bytes, dict[str, str]]:
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.jsonl"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n{{}}\r\n--{boundary}--\r\n"
    ).encode()
    return body, {"content-type": f"multipart/form-data; boundary={boundary}"}


def test_multipart_boundary_length(url: str) -> None:
    for length in (71, 300, 5000):
        body, headers = multipart("b" * length)
        error = api_error(httpx.post(f"{url}/files", content=body, headers=headers), 400)
        assert "boundary" in error["message"]
        part, headers = multipart("b" * length)
        uid = httpx.post(
            f"{url}/uploads",
            json={"filename": "a", "purpose": "batch", "bytes": 2, "mime_type": "text/plain"},
        ).json()["id"]
        api_error(httpx.post(f"{url}/uploads/{uid}/parts", content=part, headers=headers), 400)
    body, headers = multipart("b" * 70)
    assert httpx.post(f"{url}/files", content=body, headers=headers).status_code == 200


# -- uvicorn's own errors, over raw sockets ---------------------------------------------------


def raw(url: str, data: bytes, piece: int = 0) -> tuple[int, dict[str, str], bytes]:
    """Send ``data`` (in ``piece``-byte writes, when given) and read the answer until the server closes."""
    host, port = url.split("//")[1].split("/")[0].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        try:
            for i in range(0, len(data), piece or len(data)):
                s.sendall(data[i : i + (piece or len(data))])
                if piece:
                    time.sleep(0.001)
        except OSError:
            pass  # the server may answer and close before reading everything
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            out += chunk
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), headers, body


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /v1/models/" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET /v1/models?" + b"q=1&" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET /v1/models HTTP/9.9\r\nHost: x\r\n\r\n", 400),
        (b"GET /v1/mod\x00els HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"GET /v1/models HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", 400),
        (b"POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400),
        (b"POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n\r\n", 400),
        (b"GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n", 431),
        (b"GET /v1/models HTTP/1.1\r\nHost: x\r\n" + b"X-Many: a\r\n" * 20_000 + b"\r\n", 431),
        (b"GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Endless: " + b"a" * 100_000, 431),  # never ends
    ],
    ids=[
        "long-path",
        "long-query",
        "garbage",
        "version",
        "nul",
        "header-line",
        "content-length",
        "chunked",
        "big-header",
        "many-headers",
        "endless-header",
    ],
)
def test_http_errors_are_api_errors(url: str, request_bytes: bytes, status: int) -> None:
    for piece in (0, 8192):  # in one write, and in pieces (the parser sees it whole, or growing)
        got, headers, body = raw(url, request_bytes, piece)
        assert got == status, body[:300]
        assert headers["content-type"] == "application/json"
        assert int(headers["content-length"]) == len(body)
        error = orjson.loads(body)["error"]
        assert set(error) == {"message", "type", "param", "code"} and error["type"] == "invalid_request_error"
    assert httpx.get(f"{url}/models").status_code == 200  # still serving


class _Transport(asyncio.Transport):
    """Collects what the protocol writes (a socket stand-in: the head arrives in one read)."""

    def __init__(self) -> None:
        super().__init__()
        self.written = b""
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += bytes(data)

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /v1/" + b"a" * 20_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n", 431),
    ],
    ids=["url", "header"],
)
def test_limits_hold_when_the_head_arrives_in_one_read(request_bytes: bytes, status: int) -> None:
    import uvicorn
    from uvicorn.server import ServerState

    from openai_kit.server.app import create_app
    from openai_kit.server.protocol import http_protocol

    loop = asyncio.new_event_loop()
    try:
        config = uvicorn.Config(create_app(), http=http_protocol(), log_level="critical")
        config.load()
        protocol: Any = http_protocol()(config=config, server_state=ServerState(), app_state={}, _loop=loop)
        transport = _Transport()
        protocol.connection_made(transport)
        protocol.data_received(request_bytes)
        assert transport.written.startswith(b"HTTP/1.1 %d " % status), transport.written[:100]
        assert transport.closed
        body = transport.written.partition(b"\r\n\r\n")[2]
        assert set(orjson.loads(body)["error"]) == {"message", "type", "param", "code"}
    finally:
        loop.close()


def test_h11_protocol_errors_are_api_errors() -> None:
    """Without httptools uvicorn parses with h11: its errors are JSON too. (h11 limits a head to 16 KiB
    while it arrives in pieces; the exact 414 / 431 limits are the httptools protocol's.)"""
    import uvicorn

    from openai_kit.server.app import create_app
    from openai_kit.server.protocol import H11JSONProtocol

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(), log_level="critical", http=H11JSONProtocol, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        base = f"http://127.0.0.1:{port}/v1"
        assert httpx.get(f"{base}/models").status_code == 200
        for request_bytes in (
            b"GARBAGE\r\n\r\n",
            b"GET /v1/models/" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        ):
            status, headers, body = raw(base, request_bytes, piece=4096)
            assert status == 400 and headers["content-type"] == "application/json", body[:200]
            assert set(orjson.loads(body)["error"]) == {"message", "type", "param", "code"}
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def test_limits_leave_ordinary_requests_alone(url: str) -> None:
    long_but_fine = "a" * 8000
    api_error(httpx.get(f"{url}/models/{long_but_fine}"), 404, "model")
    headers = {f"x-h{i}": "v" * 100 for i in range(200)}  # 20 KB of headers
    assert httpx.get(f"{url}/models", headers=headers).status_code == 200
    # pipelined requests on one connection are each answered
    two = b"GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/models HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    host, port = url.split("//")[1].split("/")[0].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(two)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    assert out.count(b"HTTP/1.1 200 OK") == 2
