"""Exactly once: no call reaches the server twice, and no response reads another one's bytes.

A real socket server (tests/core/httpserver.py) numbers its TCP connections and records every request,
so each test asserts on the server side: how many requests arrived, and on which connection. Every
access pattern of ``with_streaming_response`` (and of binary bodies and SSE streams) is followed by a
POST, with ``max_retries=0`` and with retries: exactly one POST arrives per call, and it reuses the
previous connection when (and only when) the previous response was read cleanly to its end.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import openai_kit

from .httpserver import Conn, LocalHTTPServer, Req

MSG = [{"role": "user", "content": "hi"}]
BLOB = bytes(range(256)) * 400  # 100 KiB: several reads


def chunk_event(text: str) -> bytes:
    obj = {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}],
    }
    return b"data: " + orjson.dumps(obj) + b"\n\n"


def install_routes(server: LocalHTTPServer) -> None:
    @server.route("GET", "/v1/models/m")
    async def model(req: Req, conn: Conn) -> None:
        await conn.json({"id": "m", "object": "model", "created": 1, "owned_by": "x"})

    @server.route("GET", "/v1/files/f/content")
    async def content(req: Req, conn: Conn) -> None:
        await conn.respond(200, BLOB, content_type="application/octet-stream")

    @server.route("GET", "/v1/files/chunked/content")
    async def chunked(req: Req, conn: Conn) -> None:
        await conn.start_chunked(content_type="application/octet-stream")
        for i in range(0, len(BLOB), 30_000):
            await conn.chunk(BLOB[i : i + 30_000])
        await conn.end_chunked()

    @server.route("GET", "/v1/files/cut/content")
    async def cut(req: Req, conn: Conn) -> None:
        # announces 100 KiB, sends 1 KiB, closes: a body cut short
        head = b"HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: 102400\r\n\r\n"
        await conn.send(head + BLOB[:1024])
        conn.abort()

    @server.route("POST", "/v1/chat/completions")
    async def chat(req: Req, conn: Conn) -> None:
        body = req.json()
        n = sum(1 for r in server.requests if r.path == "/v1/chat/completions")
        if body.get("stream"):
            await conn.start_chunked()
            for word in ("a", "b", "c"):
                await conn.chunk(chunk_event(word))
            if body.get("metadata", {}).get("truncate") != "yes":
                await conn.chunk(b"data: [DONE]\n\n")
            await conn.end_chunked()
            return
        await conn.json(
            {
                "id": f"cc-{n}",
                "object": "chat.completion",
                "created": 1,
                "model": "m",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": req.headers["x-call"], "refusal": None},
                        "finish_reason": "stop",
                        "logprobs": None,
                    }
                ],
            }
        )


@pytest.fixture
def srv() -> Iterator[LocalHTTPServer]:
    server = LocalHTTPServer()
    install_routes(server)
    yield server
    server.close()


class Boom(Exception):
    pass


# -- access patterns: each reads one response and says whether it read it cleanly to its end ------------
# (a pattern returns True when the connection may be reused afterwards)

SyncPattern = Callable[[openai_kit.OpenAI, Path], bool]


def _raises(fn: Callable[[], object]) -> None:
    with pytest.raises(Boom):
        fn()


def p_model_iter_bytes(c: openai_kit.OpenAI, tmp: Path) -> bool:
    with c.models.with_streaming_response.retrieve("m") as r:
        assert orjson.loads(b"".join(r.iter_bytes()))["id"] == "m"
    return True


def p_model_iter_lines(c: openai_kit.OpenAI, tmp: Path) -> bool:
    with c.models.with_streaming_response.retrieve("m") as r:
        assert orjson.loads("".join(r.iter_lines()))["owned_by"] == "x"
    return True


def p_model_read(c: openai_kit.OpenAI, tmp: Path) -> bool:
    with c.models.with_streaming_response.retrieve("m") as r:
        assert orjson.loads(r.read())["id"] == "m"
    return True


def p_model_parse(c: openai_kit.OpenAI, tmp: Path) -> bool:
    with c.models.with_streaming_response.retrieve("m") as r:
        assert r.parse().id == "m"
    return True


def p_model_unread(c: openai_kit.OpenAI, tmp: Path) -> bool:
    with c.models.with_streaming_response.retrieve("m") as r:
        assert r.status_code == 200
    return False


def p_model_raise(c: openai_kit.OpenAI, tmp: Path) -> bool:
    def body() -> None:
        with c.models.with_streaming_response.retrieve("m"):
            raise Boom

    _raises(body)
    return False


def p_raw_get_iter_bytes(c: openai_kit.OpenAI, tmp: Path) -> bool:
    with c.with_streaming_response.get("/models/m") as r:
        assert b"".join(r.iter_bytes())
    return True


def p_content_iter_bytes(c: openai_kit.OpenAI, tmp: Path) -> bool:
    with c.files.with_streaming_response.content("f") as r:
        assert b"".join(r.iter_bytes()) == BLOB
    return True


def p_content_break(c: openai_kit.OpenAI, tmp: Path) -> bool:
    with c.files.with_streaming_response.content("f") as r:
        for chunk in r.iter_bytes():
            assert chunk
            break
    return False


def p_content_raise_midway(c: openai_kit.OpenAI, tmp: Path) -> bool:
    def body() -> None:
        with c.files.with_streaming_response.content("f") as r:
            for _ in r.iter_bytes():
                raise Boom

    _raises(body)
    return False


def p_binary_write_to_file(c: openai_kit.OpenAI, tmp: Path) -> bool:
    out = tmp / "blob.bin"
    c.files.content("f").write_to_file(out)
    assert out.read_bytes() == BLOB
    return True


def p_binary_chunked_read(c: openai_kit.OpenAI, tmp: Path) -> bool:
    assert c.files.content("chunked").read() == BLOB
    return True


def p_binary_iter_text_partial(c: openai_kit.OpenAI, tmp: Path) -> bool:
    b = c.files.content("f")
    it = b.iter_text()
    assert next(it)
    b.close()
    return False


def p_binary_cut(c: openai_kit.OpenAI, tmp: Path) -> bool:
    with pytest.raises(openai_kit.APIConnectionError):
        c.files.content("cut").read()
    return False


def p_stream_full(c: openai_kit.OpenAI, tmp: Path) -> bool:
    text = "".join(
        ch.choices[0].delta.content or ""
        for ch in c.chat.completions.create(
            model="m", messages=MSG, stream=True, extra_headers={"x-call": "s"}
        )
    )
    assert text == "abc"
    return True


def p_stream_streaming_response_parse(c: openai_kit.OpenAI, tmp: Path) -> bool:
    with c.chat.completions.with_streaming_response.create(
        model="m", messages=MSG, stream=True, extra_headers={"x-call": "s"}
    ) as r:
        assert [ch.choices[0].delta.content for ch in r.parse()] == ["a", "b", "c"]
    return True


def p_stream_break(c: openai_kit.OpenAI, tmp: Path) -> bool:
    with c.chat.completions.create(model="m", messages=MSG, stream=True, extra_headers={"x-call": "s"}) as s:
        for _ in s:
            break
    return False


def p_stream_truncated(c: openai_kit.OpenAI, tmp: Path) -> bool:
    # well framed, but without [DONE]: the stream is reported truncated and its connection discarded
    with pytest.raises(openai_kit.APIConnectionError, match="without \\[DONE\\]"):
        for _ in c.chat.completions.create(
            model="m", messages=MSG, stream=True, metadata={"truncate": "yes"}, extra_headers={"x-call": "s"}
        ):
            pass
    return False


SYNC_PATTERNS: dict[str, SyncPattern] = {
    name.removeprefix("p_"): fn for name, fn in globals().items() if name.startswith("p_")
}


def post(c: openai_kit.OpenAI, call: str) -> None:
    reply = c.chat.completions.create(model="m", messages=MSG, extra_headers={"x-call": call})
    assert reply.choices[0].message.content == call  # its own response, not bytes of another one


def check_follow_up(srv: LocalHTTPServer, before: int, call: str, clean: bool | None) -> None:
    """Exactly one POST for ``call`` reached the server, on the previous connection iff ``clean``
    (``None``: either may happen, see the async patterns)."""
    posts = [r for r in srv.requests[before:] if r.headers.get("x-call") == call]
    assert len(posts) == 1, f"{call}: the server received {len(posts)} requests"
    previous = srv.requests[before - 1]
    if clean is None:
        return
    assert (posts[0].conn_id == previous.conn_id) is clean, (
        f"{call}: previous on connection {previous.conn_id}, POST on {posts[0].conn_id}, clean={clean}"
    )


@pytest.mark.parametrize("retries", [0, 2])
@pytest.mark.parametrize("pattern", sorted(SYNC_PATTERNS))
def test_sync_pattern_then_post(srv: LocalHTTPServer, tmp_path: Path, pattern: str, retries: int) -> None:
    with openai_kit.OpenAI(api_key="k", base_url=srv.base_url, max_retries=retries) as c:
        post(c, "warm-up")
        clean = SYNC_PATTERNS[pattern](c, tmp_path)
        before = len(srv.requests)
        post(c, "after")
        check_follow_up(srv, before, "after", clean)
        assert sum(1 for r in srv.requests if r.headers.get("x-call") == "warm-up") == 1


@pytest.mark.parametrize("pattern", sorted(SYNC_PATTERNS))
def test_sync_pattern_then_post_through_httpx(srv: LocalHTTPServer, tmp_path: Path, pattern: str) -> None:
    """The httpx adapter: httpcore's h11 state machine decides reuse, by the framing alone; so a well
    framed stream without [DONE] may keep its connection (None), everything else as with urllib3."""
    with (
        httpx.Client() as http,
        openai_kit.OpenAI(api_key="k", base_url=srv.base_url, max_retries=2, http_client=http) as c,
    ):
        post(c, "warm-up")
        clean = SYNC_PATTERNS[pattern](c, tmp_path)
        before = len(srv.requests)
        post(c, "after")
        check_follow_up(srv, before, "after", None if pattern == "stream_truncated" else clean)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(st.sampled_from(sorted(SYNC_PATTERNS)), min_size=1, max_size=6), st.sampled_from([0, 2]))
def test_any_sequence_of_calls_is_exactly_once(
    srv: LocalHTTPServer, tmp_path: Path, sequence: list[str], retries: int
) -> None:
    with openai_kit.OpenAI(api_key="k", base_url=srv.base_url, max_retries=retries) as c:
        for i, pattern in enumerate(sequence):
            clean = SYNC_PATTERNS[pattern](c, tmp_path)
            before = len(srv.requests)
            call = f"{id(sequence)}-{i}"
            post(c, call)
            check_follow_up(srv, before, call, clean)


# -- async: the same rule on aiohttp ------------------------------------------------------------------
# aiohttp's own HTTP parser hands a connection back as soon as it has received a complete, well-framed
# body, whether or not the application read it; so after an unread or abandoned small body the
# connection may be reused (None: either is right). A body cut short is never reused (False).

AsyncPattern = Callable[[openai_kit.AsyncOpenAI, Path], Awaitable[bool | None]]


async def a_model_iter_bytes(c: openai_kit.AsyncOpenAI, tmp: Path) -> bool:
    r = await c.models.with_streaming_response.retrieve("m")
    async with r:
        assert orjson.loads(b"".join([b async for b in r.iter_bytes()]))["id"] == "m"
    return True


async def a_model_read(c: openai_kit.AsyncOpenAI, tmp: Path) -> bool:
    r = await c.models.with_streaming_response.retrieve("m")
    async with r:
        assert orjson.loads(await r.read())["id"] == "m"
    return True


async def a_model_parse(c: openai_kit.AsyncOpenAI, tmp: Path) -> bool:
    r = await c.models.with_streaming_response.retrieve("m")
    async with r:
        assert (await r.parse()).id == "m"
    return True


async def a_model_unread(c: openai_kit.AsyncOpenAI, tmp: Path) -> bool | None:
    r = await c.models.with_streaming_response.retrieve("m")
    async with r:
        assert r.status_code == 200
    return None


async def a_content_iter_bytes(c: openai_kit.AsyncOpenAI, tmp: Path) -> bool:
    b = await c.files.content("f")
    assert b"".join([x async for x in b.iter_bytes()]) == BLOB
    return True


async def a_content_break(c: openai_kit.AsyncOpenAI, tmp: Path) -> bool | None:
    b = await c.files.content("f")
    async for chunk in b.iter_bytes():
        assert chunk
        break
    await b.close()
    return None


async def a_content_write_to_file(c: openai_kit.AsyncOpenAI, tmp: Path) -> bool:
    out = tmp / "a.bin"
    await (await c.files.content("chunked")).write_to_file(out)
    assert out.read_bytes() == BLOB
    return True


async def a_content_raise(c: openai_kit.AsyncOpenAI, tmp: Path) -> bool | None:
    b = await c.files.content("f")
    with pytest.raises(Boom):
        async with b:
            async for _ in b.iter_bytes():
                raise Boom
    return None


async def a_binary_cut(c: openai_kit.AsyncOpenAI, tmp: Path) -> bool:
    with pytest.raises(openai_kit.APIConnectionError):
        await (await c.files.content("cut")).read()
    return False


async def a_stream_full(c: openai_kit.AsyncOpenAI, tmp: Path) -> bool:
    s = await c.chat.completions.create(model="m", messages=MSG, stream=True, extra_headers={"x-call": "s"})
    assert [ch.choices[0].delta.content async for ch in s] == ["a", "b", "c"]
    return True


async def a_stream_break(c: openai_kit.AsyncOpenAI, tmp: Path) -> bool | None:
    s = await c.chat.completions.create(model="m", messages=MSG, stream=True, extra_headers={"x-call": "s"})
    async with s:
        async for _ in s:
            break
    return None


async def a_stream_truncated(c: openai_kit.AsyncOpenAI, tmp: Path) -> bool | None:
    s = await c.chat.completions.create(
        model="m", messages=MSG, stream=True, metadata={"truncate": "yes"}, extra_headers={"x-call": "s"}
    )
    with pytest.raises(openai_kit.APIConnectionError, match="without \\[DONE\\]"):
        async for _ in s:
            pass
    return None


ASYNC_PATTERNS: dict[str, AsyncPattern] = {
    name.removeprefix("a_"): fn for name, fn in globals().items() if name.startswith("a_")
}


@pytest.mark.parametrize("retries", [0, 2])
@pytest.mark.parametrize("pattern", sorted(ASYNC_PATTERNS))
async def test_async_pattern_then_post(
    srv: LocalHTTPServer, tmp_path: Path, pattern: str, retries: int
) -> None:
    async with openai_kit.AsyncOpenAI(api_key="k", base_url=srv.base_url, max_retries=retries) as c:
        await c.chat.completions.create(model="m", messages=MSG, extra_headers={"x-call": "warm-up"})
        clean = await ASYNC_PATTERNS[pattern](c, tmp_path)
        await asyncio.sleep(0)  # let aiohttp see a closed transport, as it would between real calls
        before = len(srv.requests)
        reply = await c.chat.completions.create(model="m", messages=MSG, extra_headers={"x-call": "after"})
        assert reply.choices[0].message.content == "after"
        check_follow_up(srv, before, "after", clean)


@pytest.mark.parametrize("pattern", sorted(ASYNC_PATTERNS))
async def test_async_pattern_then_post_through_httpx(
    srv: LocalHTTPServer, tmp_path: Path, pattern: str
) -> None:
    async with (
        httpx.AsyncClient() as http,
        openai_kit.AsyncOpenAI(api_key="k", base_url=srv.base_url, max_retries=2, http_client=http) as c,
    ):
        await c.chat.completions.create(model="m", messages=MSG, extra_headers={"x-call": "warm-up"})
        clean = await ASYNC_PATTERNS[pattern](c, tmp_path)
        before = len(srv.requests)
        reply = await c.chat.completions.create(model="m", messages=MSG, extra_headers={"x-call": "after"})
        assert reply.choices[0].message.content == "after"
        check_follow_up(srv, before, "after", clean)


# -- the retry rule --------------------------------------------------------------------------------------


def test_post_is_not_resent_after_the_server_received_it(srv: LocalHTTPServer) -> None:
    @srv.route("POST", "/v1/batches")
    async def reset(req: Req, conn: Conn) -> None:
        conn.abort()  # received, maybe executed, then the connection breaks

    c = openai_kit.OpenAI(api_key="k", base_url=srv.base_url, max_retries=3)
    with pytest.raises(openai_kit.APIConnectionError) as info:
        c.post("/batches", body={"input_file_id": "f"})
    assert info.value.request_sent
    assert sum(1 for r in srv.requests if r.path == "/v1/batches") == 1
    # the caller's own idempotency key makes a resend safe: the server can deduplicate it
    with pytest.raises(openai_kit.APIConnectionError):
        c.post("/batches", body={"input_file_id": "f"}, options={"idempotency_key": "job-7"})
    keyed = [r for r in srv.requests if r.headers.get("idempotency-key") == "job-7"]
    assert len(keyed) == 4


async def test_async_post_is_not_resent_after_the_server_received_it(srv: LocalHTTPServer) -> None:
    @srv.route("POST", "/v1/batches")
    async def reset(req: Req, conn: Conn) -> None:
        conn.abort()

    async with openai_kit.AsyncOpenAI(api_key="k", base_url=srv.base_url, max_retries=3) as c:
        with pytest.raises(openai_kit.APIConnectionError) as info:
            await c.post("/batches", body={"input_file_id": "f"})
    assert info.value.request_sent
    assert sum(1 for r in srv.requests if r.path == "/v1/batches") == 1


def test_a_request_that_never_left_is_retried_whatever_its_method() -> None:
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens: connection refused
    tries: list[str] = []
    c = openai_kit.OpenAI(
        api_key="k",
        base_url=f"http://127.0.0.1:{port}/v1",
        max_retries=2,
        retry_policy=openai_kit.RetryPolicy(initial_delay=0.001, max_delay=0.001),
        event_hooks={"request": [lambda r: tries.append(r.method)]},
    )
    with pytest.raises(openai_kit.APIConnectionError) as info:
        c.post("/batches", body={})
    assert not info.value.request_sent
    assert tries == ["POST"] * 3


def test_timeouts_and_protocol_errors_discard_the_connection(srv: LocalHTTPServer) -> None:
    @srv.route("POST", "/v1/completions")
    async def stalls(req: Req, conn: Conn) -> None:
        await conn.start_chunked()
        await conn.chunk(b'data: {"id": "x"}\n\n')
        await asyncio.sleep(1.5)  # longer than the client's idle timeout
        await conn.chunk(b"data: [DONE]\n\n")
        await conn.end_chunked()

    @srv.route("GET", "/v1/garbage")
    async def garbage(req: Req, conn: Conn) -> None:
        await conn.send(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}NOT HTTP AT ALL\r\n\r\n")

    c = openai_kit.OpenAI(
        api_key="k", base_url=srv.base_url, max_retries=0, timeout=openai_kit.Timeout(stream_idle=0.3)
    )
    post(c, "first")
    with pytest.raises(openai_kit.APITimeoutError):
        for _ in c.post("/completions", body={"stream": True}, stream=True):
            pass
    before = len(srv.requests)
    post(c, "after-timeout")
    check_follow_up(srv, before, "after-timeout", False)

    # two responses to one request: the extra bytes must never become the next call's response
    assert c.get("/garbage") == {}
    before = len(srv.requests)
    post(c, "after-garbage")
    posts = [r for r in srv.requests[before:] if r.headers.get("x-call") == "after-garbage"]
    assert len(posts) == 1
