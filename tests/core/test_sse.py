"""The SSE decoder (pure) and streams over a real socket."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

import openai_kit
from openai_kit import ServerSentEvent, SSEDecoder

from .httpserver import Conn, LocalHTTPServer, Req

STREAM = (
    b"\xef\xbb\xbf: keep-alive\r\n"
    b'event: delta\r\nid: 7\r\ndata: {"a":\r\ndata:  1}\r\n\r\n'
    b"data:plain\rretry: 1500\r\r"
    b"event: x\nid: bad\0id\ndata\n\n"
    b"data: caf\xc3\xa9\n\n"
    b"event: ignored-no-data\n\n"
    b"id\ndata: last\n\n"
)
EXPECTED = [
    ServerSentEvent('{"a":\n 1}', "delta", "7", None),
    ServerSentEvent("plain", None, "7", 1500),
    ServerSentEvent("", "x", "7", 1500),
    ServerSentEvent("café", None, "7", 1500),
    ServerSentEvent("last", None, "", 1500),
]


def decode_all(chunks: list[bytes]) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    out: list[ServerSentEvent] = []
    for c in chunks:
        out.extend(decoder.feed(c))
    assert not decoder.pending
    return out


def test_decoder_follows_the_spec_in_one_piece() -> None:
    assert decode_all([STREAM]) == EXPECTED


def test_every_single_split_point_decodes_identically() -> None:
    for i in range(len(STREAM) + 1):
        assert decode_all([STREAM[:i], STREAM[i:]]) == EXPECTED, i


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=12))
def test_any_chunking_decodes_identically(cuts: list[int]) -> None:
    points = sorted(set(cuts))
    chunks = [STREAM[a:b] for a, b in zip([0, *points], [*points, len(STREAM)], strict=True)]
    assert decode_all(chunks) == EXPECTED


RAW_STREAM = STREAM + b"data: one\n\ndata:two\n\n\n\ndata: a\ndata: b\n\n: ping\n\ndata: [DONE]\n\n"
RAW_EXPECTED = [
    ServerSentEvent('{"a":\n 1}', "delta", "7", None),
    b"plain",
    ServerSentEvent("", "x", "7", 1500),
    b"caf\xc3\xa9",
    b"last",
    b"one",
    b"two",
    b"a\nb",
    b"[DONE]",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(RAW_STREAM)), max_size=12))
def test_feed_raw_gives_unnamed_events_as_data_bytes_under_any_chunking(cuts: list[int]) -> None:
    points = sorted(set(cuts))
    chunks = [RAW_STREAM[a:b] for a, b in zip([0, *points], [*points, len(RAW_STREAM)], strict=True)]
    decoder = SSEDecoder()
    out: list[object] = []
    for c in chunks:
        out.extend(decoder.feed_raw(c))
    assert out == RAW_EXPECTED
    assert not decoder.pending
    assert decoder.comments == 2


def test_feed_raw_one_event_per_piece() -> None:
    pieces = [p + b"\n\n" for p in RAW_STREAM.split(b"\n\n")[:-1]]
    assert b"".join(pieces) == RAW_STREAM
    decoder = SSEDecoder()
    out: list[object] = []
    for piece in pieces:
        out.extend(decoder.feed_raw(piece))
    assert out == RAW_EXPECTED
    assert not decoder.pending


def test_comments_are_counted_and_pending_reports_truncation() -> None:
    d = SSEDecoder()
    assert d.feed(b": ping\n: ping\n") == []
    assert d.comments == 2
    assert d.feed(b"data: half") == []
    assert d.pending


def sse_route(
    server: LocalHTTPServer,
    path: str,
    pieces: list[bytes],
    *,
    done: bool = True,
    delay: float = 0.0,
    end: bool = True,
) -> None:
    @server.route("POST", path)
    async def handler(req: Req, conn: Conn) -> None:
        await conn.start_chunked()
        for p in pieces:
            await conn.chunk(p)
            if delay:
                await asyncio.sleep(delay)
        if done:
            await conn.chunk(b"data: [DONE]\n\n")
        if end:
            await conn.end_chunked()
        else:
            conn.abort()


class Chunk(openai_kit.BaseModel):
    i: int


def test_stream_split_across_network_chunks_is_typed(server: LocalHTTPServer) -> None:
    body = b"".join(b'data: {"i": %d, "extra": "kept"}\n\n' % i for i in range(50))
    sse_route(server, "/v1/s", [body[i : i + 7] for i in range(0, len(body), 7)])
    client = openai_kit.OpenAI(api_key="k", base_url=server.base_url)
    events = list(client.post("/s", body={}, stream=True, stream_cls=Chunk))
    assert [e.i for e in events] == list(range(50))
    assert events[0].extra == "kept"  # type: ignore[attr-defined]


def test_error_event_raises_typed_error(server: LocalHTTPServer) -> None:
    sse_route(
        server,
        "/v1/s",
        [b'data: {"i": 1}\n\n', b'data: {"error": {"message": "overloaded", "code": "server_error"}}\n\n'],
    )
    client = openai_kit.OpenAI(api_key="k", base_url=server.base_url)
    got = []
    with pytest.raises(openai_kit.APIError, match="overloaded") as info:
        for e in client.post("/s", body={}, stream=True):
            got.append(e)
    assert got == [{"i": 1}]
    assert info.value.code == "server_error"


def test_cut_mid_event_and_missing_done_are_connection_errors(server: LocalHTTPServer) -> None:
    sse_route(server, "/v1/cut", [b'data: {"i": 1}\n\ndata: {"i"'], done=False, end=False)
    sse_route(server, "/v1/nodone", [b'data: {"i": 1}\n\n'], done=False, end=True)
    client = openai_kit.OpenAI(api_key="k", base_url=server.base_url)
    with pytest.raises(openai_kit.APIConnectionError):
        list(client.post("/cut", body={}, stream=True))
    with pytest.raises(openai_kit.APIConnectionError, match="DONE"):
        list(client.post("/nodone", body={}, stream=True))


def test_named_event_streams_may_end_without_done(server: LocalHTTPServer) -> None:
    sse_route(
        server,
        "/v1/r",
        [b'event: response.created\ndata: {"i": 1}\n\n', b'event: response.completed\ndata: {"i": 2}\n\n'],
        done=False,
    )
    client = openai_kit.OpenAI(api_key="k", base_url=server.base_url)
    assert [e["i"] for e in client.post("/r", body={}, stream=True)] == [1, 2]


def test_early_break_discards_connection_and_client_keeps_working(server: LocalHTTPServer) -> None:
    sse_route(server, "/v1/long", [b'data: {"i": %d}\n\n' % i for i in range(1000)], delay=0.001)
    sse_route(server, "/v1/short", [b'data: {"i": 0}\n\n'])
    client = openai_kit.OpenAI(api_key="k", base_url=server.base_url)
    stream = client.post("/long", body={}, stream=True)
    for e in stream:
        if e["i"] == 3:
            break
    stream.close()
    started = time.monotonic()
    assert list(client.post("/short", body={}, stream=True)) == [{"i": 0}]
    assert time.monotonic() - started < 1.0
    assert server.connections == 2  # the abandoned connection was not reused


def test_completed_stream_returns_connection_to_pool(server: LocalHTTPServer) -> None:
    sse_route(server, "/v1/s", [b'data: {"i": 0}\n\n'])
    client = openai_kit.OpenAI(api_key="k", base_url=server.base_url)
    for _ in range(5):
        assert list(client.post("/s", body={}, stream=True)) == [{"i": 0}]
    assert server.connections == 1


def test_stalled_stream_with_only_pings_hits_idle_timeout(server: LocalHTTPServer) -> None:
    @server.route("POST", "/v1/pings")
    async def pings(req: Req, conn: Conn) -> None:
        await conn.start_chunked()
        await conn.chunk(b'data: {"i": 0}\n\n')
        for _ in range(100):
            await conn.chunk(b": keep-alive\n\n")
            await asyncio.sleep(0.05)
        await conn.end_chunked()

    client = openai_kit.OpenAI(
        api_key="k", base_url=server.base_url, timeout=openai_kit.Timeout(stream_idle=0.4)
    )
    started = time.monotonic()
    got = []
    with pytest.raises(openai_kit.APITimeoutError):
        for e in client.post("/pings", body={}, stream=True):
            got.append(e)
    assert got == [{"i": 0}]
    assert time.monotonic() - started < 2.0


def test_silent_stream_hits_idle_timeout(server: LocalHTTPServer) -> None:
    @server.route("POST", "/v1/silent")
    async def silent(req: Req, conn: Conn) -> None:
        await conn.start_chunked()
        await asyncio.sleep(5)

    client = openai_kit.OpenAI(
        api_key="k", base_url=server.base_url, max_retries=0, timeout=openai_kit.Timeout(stream_idle=0.3)
    )
    started = time.monotonic()
    with pytest.raises(openai_kit.APITimeoutError):
        list(client.post("/silent", body={}, stream=True))
    assert time.monotonic() - started < 2.0


def test_callback_style(server: LocalHTTPServer) -> None:
    sse_route(server, "/v1/s", [b'data: {"i": %d}\n\n' % i for i in range(3)])
    client = openai_kit.OpenAI(api_key="k", base_url=server.base_url)
    seen: list[int] = []
    client.post("/s", body={}, stream=True, stream_cls=Chunk).for_each(lambda c: seen.append(c.i))
    assert seen == [0, 1, 2]


async def test_async_stream_reuse_cancel_and_callback(server: LocalHTTPServer) -> None:
    sse_route(server, "/v1/s", [b'data: {"i": %d}\n\n' % i for i in range(3)])
    sse_route(server, "/v1/slow", [b'data: {"i": %d}\n\n' % i for i in range(500)], delay=0.005)
    client = openai_kit.AsyncOpenAI(api_key="k", base_url=server.base_url)
    for _ in range(3):
        assert [c.i async for c in await client.post("/s", body={}, stream=True, stream_cls=Chunk)] == [
            0,
            1,
            2,
        ]
    assert server.connections == 1
    seen: list[int] = []

    async def cb(c: Chunk) -> None:
        seen.append(c.i)

    await (await client.post("/s", body={}, stream=True, stream_cls=Chunk)).for_each(cb)
    assert seen == [0, 1, 2]

    async def consume() -> None:
        async with await client.post("/slow", body={}, stream=True) as stream:
            async for _ in stream:
                pass

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [c.i async for c in await client.post("/s", body={}, stream=True, stream_cls=Chunk)] == [0, 1, 2]
    await client.close()


def test_gzip_compressed_stream_is_decoded(server: LocalHTTPServer) -> None:
    import gzip

    body = gzip.compress(b"".join(b'data: {"i": %d}\n\n' % i for i in range(20)) + b"data: [DONE]\n\n")

    @server.route("POST", "/v1/gz")
    async def gz(req: Req, conn: Conn) -> None:
        await conn.start_chunked(headers={"content-encoding": "gzip"})
        for i in range(0, len(body), 9):
            await conn.chunk(body[i : i + 9])
        await conn.end_chunked()

    client = openai_kit.OpenAI(api_key="k", base_url=server.base_url)
    assert [e["i"] for e in client.post("/gz", body={}, stream=True)] == list(range(20))
    assert [e["i"] for e in client.post("/gz", body={}, stream=True)] == list(range(20))
    assert server.connections == 1


async def test_async_gzip_compressed_stream_is_decoded(server: LocalHTTPServer) -> None:
    import gzip

    body = gzip.compress(b"".join(b'data: {"i": %d}\n\n' % i for i in range(20)) + b"data: [DONE]\n\n")

    @server.route("POST", "/v1/gz")
    async def gz(req: Req, conn: Conn) -> None:
        await conn.start_chunked(headers={"content-encoding": "gzip"})
        for i in range(0, len(body), 9):
            await conn.chunk(body[i : i + 9])
        await conn.end_chunked()

    client = openai_kit.AsyncOpenAI(api_key="k", base_url=server.base_url)
    assert [e["i"] async for e in await client.post("/gz", body={}, stream=True)] == list(range(20))
    await client.close()


async def test_async_idle_timeout_counts_only_the_wait_for_data(server: LocalHTTPServer) -> None:
    """The async transport's own idle timer: a stream stalled mid-body or before its first event times out;
    a stream that trickles events faster than the limit, or a reader slower than the limit, does not."""

    @server.route("POST", "/v1/stall")
    async def stall(req: Req, conn: Conn) -> None:
        await conn.start_chunked()
        await conn.chunk(b'data: {"i": 0}\n\n')
        await asyncio.sleep(5)

    @server.route("POST", "/v1/mute")
    async def mute(req: Req, conn: Conn) -> None:
        await conn.start_chunked()
        await asyncio.sleep(5)

    sse_route(server, "/v1/trickle", [b'data: {"i": %d}\n\n' % i for i in range(8)], delay=0.1)
    sse_route(server, "/v1/three", [b'data: {"i": %d}\n\n' % i for i in range(3)])
    client = openai_kit.AsyncOpenAI(
        api_key="k", base_url=server.base_url, max_retries=0, timeout=openai_kit.Timeout(stream_idle=0.3)
    )
    for path, before in (("/stall", [{"i": 0}]), ("/mute", [])):
        got = []
        started = time.monotonic()
        with pytest.raises(openai_kit.APITimeoutError):
            async for event in await client.post(path, body={}, stream=True):
                got.append(event)
        assert got == before
        assert 0.25 < time.monotonic() - started < 2.0
    trickled = [e async for e in await client.post("/trickle", body={}, stream=True)]
    assert trickled == [{"i": i} for i in range(8)]  # 0.8 s in all, never 0.3 s without data
    slow = []
    async for event in await client.post("/three", body={}, stream=True):
        slow.append(event)
        await asyncio.sleep(0.4)  # longer than the limit, but the server is not the one being slow
    assert slow == [{"i": 0}, {"i": 1}, {"i": 2}]
    before = server.connections
    assert [e async for e in await client.post("/three", body={}, stream=True)] == slow
    assert server.connections == before  # a clean stream still gives its connection back
    await client.close()


async def test_async_stream_closes_its_reader_and_keeps_no_read(server: LocalHTTPServer) -> None:
    """The transport's chunk reader is closed when the stream ends, before the connection is released, not
    left for the loop's finalizer (until then it holds its last read; with many streams that added up)."""
    sse_route(server, "/v1/s", [b'data: {"i": %d}\n\n' % i for i in range(3)])
    client = openai_kit.AsyncOpenAI(api_key="k", base_url=server.base_url)

    async def reader_open_at_release(stop_early: bool) -> list[bool]:
        stream = await client.post("/s", body={}, stream=True)
        response = stream.response
        made: list[Any] = []  # strong references: only an explicit close ends the reader now
        open_at_release: list[bool] = []
        original, original_close = response._aiter, response._aclose
        assert original is not None and original_close is not None

        def is_open() -> bool:
            return made[0].ag_frame is not None

        def recording() -> Any:
            reader = original()
            made.append(reader)
            return reader

        async def releasing(drain: bool) -> Any:
            open_at_release.append(is_open())
            return await original_close(drain)

        response._aiter, response._aclose = recording, releasing
        seen = []
        async for event in stream:
            seen.append(event)
            assert is_open()  # the check sees the reader while the stream reads
            if stop_early:
                break
        await stream.close()
        assert seen == ([{"i": 0}] if stop_early else [{"i": 0}, {"i": 1}, {"i": 2}])
        return open_at_release

    assert await reader_open_at_release(stop_early=False) == [False]
    assert await reader_open_at_release(stop_early=True) == [False]
    await client.close()
