"""A faulty upstream behind the proxy: responses that must not be passed on as they are, and the real key
in every place an upstream could reflect it (bodies of any length and framing, split across chunks,
headers)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from openai_kit.proxy import ProxyConfig
from openai_kit.proxy.forward import Redactor, mask

from .hostile import FaultyUpstream, connect, get, read_response, request, response
from .support import TOKEN, UPSTREAM_KEY, proxy_server

KEY = UPSTREAM_KEY.encode()


async def two_responses(w: asyncio.StreamWriter) -> None:
    # Two complete responses to one request, in one write.
    w.write(response(200, b'{"n":1}') + response(200, b'{"leak":true}', "X-Second: yes"))


async def ok(w: asyncio.StreamWriter) -> None:
    w.write(response(200, b'{"ok":true}'))


async def late_second_response(w: asyncio.StreamWriter) -> None:
    # The second response comes a little later, while the connection would be idle in the pool.
    w.write(response(200, b'{"n":1}'))
    await w.drain()
    await asyncio.sleep(0.05)
    w.write(response(200, b'{"leak":true}'))


async def huge_header(w: asyncio.StreamWriter) -> None:
    w.write(b"HTTP/1.1 200 OK\r\nX-Big: ")
    block = b"b" * (1024 * 1024)
    for _ in range(50):  # 50 MiB, as in the finding; the proxy gives up after 64 KiB
        w.write(block)
        await w.drain()
    w.write(b"\r\nContent-Length: 0\r\n\r\n")


async def key_in_headers(w: asyncio.StreamWriter) -> None:
    w.write(response(200, b"{}", f"X-Echo: Bearer {UPSTREAM_KEY}", f"X-Other: key={UPSTREAM_KEY};"))


async def key_after_300k(w: asyncio.StreamWriter) -> None:
    body = b'{"error":{"message":"' + b"x" * 300_000 + b" Incorrect API key provided: " + KEY + b'"}}'
    w.write(response(400, body))


async def key_split_across_chunks(w: asyncio.StreamWriter) -> None:
    w.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n")
    half = len(KEY) // 2
    for part in (b"before " + KEY[:half], KEY[half:] + b" after " + KEY[:3], KEY[3:] + b" end"):
        w.write(b"%x\r\n%b\r\n" % (len(part), part))
        await w.drain()
        await asyncio.sleep(0.05)  # separate reads at the proxy
    w.write(b"0\r\n\r\n")


async def key_in_long_download(w: asyncio.StreamWriter) -> None:
    # Content-Length framed, longer than anything buffered whole, the key across a write boundary.
    body = b"z" * 700_000 + KEY + b"z" * 700_000
    w.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n")
    w.write(b"Content-Length: %d\r\n\r\n" % len(body))
    w.write(body[:700_010])
    await w.drain()
    await asyncio.sleep(0.05)
    w.write(body[700_010:])


async def sse_with_length(w: asyncio.StreamWriter) -> None:
    first, second = b'data: {"n":1}\n\n', b"data: [DONE]\n\n"
    w.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: %d\r\n\r\n"
        % (len(first) + len(second))
    )
    w.write(first)
    await w.drain()
    await asyncio.sleep(1.0)
    w.write(second)


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FaultyUpstream, int]]:
    tokens = tmp_path_factory.mktemp("faulty") / "tokens"
    tokens.write_text(TOKEN + "\n")
    handlers = {
        "/v1/two": two_responses,
        "/v1/late": late_second_response,
        "/v1/ok": ok,
        "/v1/huge-header": huge_header,
        "/v1/key-headers": key_in_headers,
        "/v1/key-late": key_after_300k,
        "/v1/key-split": key_split_across_chunks,
        "/v1/key-download": key_in_long_download,
        "/v1/sse": sse_with_length,
    }
    with FaultyUpstream(handlers=handlers) as up:
        config = ProxyConfig(
            api_key=UPSTREAM_KEY,
            upstream_url=f"http://127.0.0.1:{up.port}/v1",
            token_file=str(tokens),
            read_timeout=5,
        )
        with proxy_server(config) as server:
            yield up, server.port


def test_two_responses_to_one_request_give_one_and_never_leak(faulty: tuple[FaultyUpstream, int]) -> None:
    up, port = faulty
    for path in ("/v1/two", "/v1/late"):
        with connect(port) as sock:  # one client connection, several requests on it
            sock.sendall(get(path, TOKEN))
            first = read_response(sock)
            assert (first.status, first.body) == (200, b'{"n":1}')
            assert len(first.header("content-length")) == 1 and first.header("x-second") == []
            time.sleep(0.1)
            for _ in range(5):
                sock.sendall(get("/v1/ok", TOKEN))
                r = read_response(sock)
                assert (r.status, r.body) == (200, b'{"ok":true}'), (path, r.body)
        # The connection that carried the extra response was never used again.
        conn_of_fault = next(n for n, p in reversed(up.requests) if p == path)
        later = up.requests[[i for i, (_, p) in enumerate(up.requests) if p == path][-1] + 1 :]
        assert later and all(n != conn_of_fault for n, _ in later), up.requests


def test_huge_upstream_header_is_502(faulty: tuple[FaultyUpstream, int]) -> None:
    _, port = faulty
    start = time.monotonic()
    r = request(port, get("/v1/huge-header", TOKEN))
    assert r.status == 502 and r.json()["error"] == {
        "message": "The upstream API sent an invalid response.",
        "type": "server_error",
        "param": None,
        "code": "upstream_invalid_response",
    }
    assert time.monotonic() - start < 3
    assert request(port, get("/v1/ok", TOKEN)).status == 200


def test_key_never_reaches_the_client(faulty: tuple[FaultyUpstream, int]) -> None:
    _, port = faulty
    masked = mask(len(KEY))
    headers = request(port, get("/v1/key-headers", TOKEN))
    assert headers.status == 200
    assert headers.header("x-echo") == ["Bearer " + masked.decode()]
    assert headers.header("x-other") == [f"key={masked.decode()};"]

    late = request(port, get("/v1/key-late", TOKEN))
    assert late.status == 400 and KEY not in late.body and late.body.endswith(masked + b'"}}')
    assert int(late.header("content-length")[0]) == len(late.body)

    split = request(port, get("/v1/key-split", TOKEN))
    assert split.status == 200 and split.body == b"before " + masked + b" after " + masked + b" end"

    download = request(port, get("/v1/key-download", TOKEN))
    assert download.status == 200 and KEY not in download.body
    assert download.body == b"z" * 700_000 + masked + b"z" * 700_000
    for r in (headers, late, split, download):
        assert UPSTREAM_KEY not in str(r.headers)


def test_event_stream_with_content_length_is_not_buffered(faulty: tuple[FaultyUpstream, int]) -> None:
    _, port = faulty
    with connect(port) as sock:
        start = time.monotonic()
        sock.sendall(get("/v1/sse", TOKEN))
        data = b""
        while b'data: {"n":1}' not in data:
            data += sock.recv(65536)
        first_at = time.monotonic() - start
        r = read_response(_Prefixed(data, sock))  # type: ignore[arg-type]
    assert first_at < 0.7, first_at  # the upstream sends the rest after 1 s
    assert r.status == 200 and r.body == b'data: {"n":1}\n\ndata: [DONE]\n\n'


class _Prefixed:
    def __init__(self, data: bytes, sock: object) -> None:
        self.data, self.sock = data, sock

    def recv(self, n: int) -> bytes:
        if self.data:
            out, self.data = self.data[:n], self.data[n:]
            return out
        data: bytes = self.sock.recv(n)  # type: ignore[attr-defined]
        return data


@pytest.mark.parametrize("key", [b"sk-abc", b"sk-sk-sk-x", b"aaaa", UPSTREAM_KEY.encode()])
def test_redactor_at_every_split(key: bytes) -> None:
    text = b"x" + key + b"s" + key[:-1] + b"|" + key + key + b"sk-" + key[:2]
    expected = text.replace(key, mask(len(key)))
    for cut in range(len(text) + 1):
        for cut2 in range(cut, len(text) + 1, 3):
            r = Redactor(key)
            out = r.feed(text[:cut]) + r.feed(text[cut:cut2]) + r.feed(text[cut2:]) + r.flush()
            assert out == expected, (cut, cut2)
    # One byte at a time.
    r = Redactor(key)
    assert b"".join(r.feed(text[i : i + 1]) for i in range(len(text))) + r.flush() == expected


def test_nothing_held_back_at_the_end_of_an_event() -> None:
    r = Redactor(KEY)
    assert r.feed(b'data: {"a":1}\n\n') == b'data: {"a":1}\n\n'
