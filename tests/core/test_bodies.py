"""Multipart uploads, large uploads with flat memory, downloads, pagination and raw responses."""

from __future__ import annotations

import io
import os
import tracemalloc
from pathlib import Path

import pytest

import openai_kit

from .httpserver import Conn, LocalHTTPServer, Req


def boundary_of(req: Req) -> str:
    ctype = req.headers["content-type"]
    assert ctype.startswith("multipart/form-data; boundary=")
    return ctype.split("boundary=", 1)[1]


def test_multipart_body_byte_for_byte(server: LocalHTTPServer, tmp_path: Path) -> None:
    @server.route("POST", "/v1/files")
    async def upload(req: Req, conn: Conn) -> None:
        await conn.json({"ok": True})

    path = tmp_path / "data.jsonl"
    path.write_bytes(b'{"a": 1}\n')
    client = openai_kit.OpenAI(api_key="k", base_url=server.base_url)
    client.post(
        "/files",
        body={
            "purpose": "batch",
            "flag": True,
            "n": 3,
            "tags": ["x", "y"],
            "meta": {"k": "v"},
            "skip": openai_kit.NOT_GIVEN,
            "none": None,
        },
        files={"file": path, "extra": ("notes.txt", b"hi", "text/plain"), "blob": io.BytesIO(b"\x00\x01")},
    )
    req = server.requests[-1]
    b = boundary_of(req)

    def field(name: str, value: str) -> str:
        return f'--{b}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'

    expected = (
        field("purpose", "batch")
        + field("flag", "true")
        + field("n", "3")
        + field("tags[]", "x")
        + field("tags[]", "y")
        + field("meta[k]", "v")
        + f'--{b}\r\nContent-Disposition: form-data; name="file"; filename="data.jsonl"\r\n'
        f'Content-Type: application/octet-stream\r\n\r\n{{"a": 1}}\n\r\n'
        + f'--{b}\r\nContent-Disposition: form-data; name="extra"; filename="notes.txt"\r\n'
        f"Content-Type: text/plain\r\n\r\nhi\r\n"
        + f'--{b}\r\nContent-Disposition: form-data; name="blob"; filename="blob"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n\x00\x01\r\n" + f"--{b}--\r\n"
    ).encode()
    assert req.body == expected
    assert req.headers["content-length"] == str(len(expected))


def test_multipart_upload_is_retried_with_the_same_bytes(server: LocalHTTPServer, tmp_path: Path) -> None:
    @server.route("POST", "/v1/files")
    async def flaky(req: Req, conn: Conn) -> None:
        if len(server.requests) == 1:
            await conn.json({"error": {"message": "busy"}}, status=503)
        else:
            await conn.json({"ok": True})

    path = tmp_path / "f.bin"
    path.write_bytes(os.urandom(300_000))
    client = openai_kit.OpenAI(
        api_key="k", base_url=server.base_url, retry_policy=openai_kit.RetryPolicy(initial_delay=0.01)
    )
    assert client.post("/files", body={"purpose": "x"}, files={"file": path}) == {"ok": True}
    first, second = server.requests
    assert len(first.body) > 300_000
    assert first.body.replace(boundary_of(first).encode(), b"B") == second.body.replace(
        boundary_of(second).encode(), b"B"
    )


def test_missing_upload_file_is_a_clear_error(server: LocalHTTPServer, tmp_path: Path) -> None:
    client = openai_kit.OpenAI(api_key="k", base_url=server.base_url)
    with pytest.raises(FileNotFoundError, match=r"no-such\.bin"):
        client.post("/files", files={"file": tmp_path / "no-such.bin"})
    assert server.requests == []


def test_large_upload_streams_from_disk_with_flat_memory(server: LocalHTTPServer, tmp_path: Path) -> None:
    server.discard_paths.add("/v1/uploads")

    @server.route("POST", "/v1/uploads")
    async def sink(req: Req, conn: Conn) -> None:
        await conn.json({"received": int(req.headers["x-received-bytes"])})

    size = 256 * 1024 * 1024
    path = tmp_path / "big.bin"
    with open(path, "wb") as f:
        f.truncate(size)  # sparse: no disk cost
    client = openai_kit.OpenAI(api_key="k", base_url=server.base_url)
    tracemalloc.start()
    try:
        out = client.post("/uploads", body={"purpose": "batch"}, files={"file": path})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert out["received"] > size
    assert peak < 20 * 1024 * 1024, f"peak traced memory {peak / 2**20:.1f} MiB"


async def test_async_large_upload_streams(server: LocalHTTPServer, tmp_path: Path) -> None:
    server.discard_paths.add("/v1/uploads")

    @server.route("POST", "/v1/uploads")
    async def sink(req: Req, conn: Conn) -> None:
        await conn.json({"received": int(req.headers["x-received-bytes"])})

    path = tmp_path / "big.bin"
    with open(path, "wb") as f:
        f.truncate(64 * 1024 * 1024)
    client = openai_kit.AsyncOpenAI(api_key="k", base_url=server.base_url)
    out = await client.post("/uploads", body={"purpose": "batch"}, files={"file": path})
    assert out["received"] > 64 * 1024 * 1024
    await client.close()


def download_route(server: LocalHTTPServer, size: int, cut: bool = False) -> bytes:
    data = os.urandom(1 << 16) * (size // (1 << 16))

    @server.route("GET", "/v1/files/f1/content")
    async def content(req: Req, conn: Conn) -> None:
        await conn.start_chunked(content_type="application/octet-stream")
        for i in range(0, len(data), 1 << 20):
            await conn.chunk(data[i : i + (1 << 20)])
            if cut and i > len(data) // 2:
                conn.abort()
                return
        await conn.end_chunked()

    return data


def test_download_streams_to_path(server: LocalHTTPServer, tmp_path: Path) -> None:
    data = download_route(server, 8 * 1024 * 1024)
    client = openai_kit.OpenAI(api_key="k", base_url=server.base_url)
    target = tmp_path / "out.bin"
    written = client.get("/files/f1/content", cast_to=openai_kit.BinaryResponse).write_to_file(target)
    assert written == len(data)
    assert target.read_bytes() == data


def test_failed_download_leaves_nothing_half_written(server: LocalHTTPServer, tmp_path: Path) -> None:
    download_route(server, 8 * 1024 * 1024, cut=True)
    client = openai_kit.OpenAI(api_key="k", base_url=server.base_url)
    target = tmp_path / "out.bin"
    with pytest.raises(openai_kit.APIConnectionError):
        client.get("/files/f1/content", cast_to=openai_kit.BinaryResponse).write_to_file(target)
    assert list(tmp_path.iterdir()) == []


async def test_async_download(server: LocalHTTPServer, tmp_path: Path) -> None:
    data = download_route(server, 4 * 1024 * 1024)
    client = openai_kit.AsyncOpenAI(api_key="k", base_url=server.base_url)
    response = await client.get("/files/f1/content", cast_to=openai_kit.BinaryResponse)
    assert await response.write_to_file(tmp_path / "o.bin") == len(data)
    assert (tmp_path / "o.bin").read_bytes() == data
    await client.close()


class Item(openai_kit.BaseModel):
    id: str


def paged_routes(server: LocalHTTPServer) -> None:
    ids = [f"file-{i}" for i in range(23)]

    @server.route("GET", "/v1/cursor")
    async def cursor(req: Req, conn: Conn) -> None:
        limit = int(req.query["limit"][0])
        start = ids.index(req.query["after"][0]) + 1 if "after" in req.query else 0
        page = ids[start : start + limit]
        await conn.json(
            {
                "object": "list",
                "data": [{"id": i} for i in page],
                "first_id": page[0],
                "last_id": page[-1],
                "has_more": start + limit < len(ids),
            }
        )

    @server.route("GET", "/v1/noid")  # has_more without last_id: the last item's id is the cursor
    async def noid(req: Req, conn: Conn) -> None:
        start = ids.index(req.query["after"][0]) + 1 if "after" in req.query else 0
        page = ids[start : start + 10]
        await conn.json(
            {"object": "list", "data": [{"id": i} for i in page], "has_more": start + 10 < len(ids)}
        )

    @server.route("GET", "/v1/usage")  # next_page token style
    async def usage(req: Req, conn: Conn) -> None:
        n = int(req.query.get("page", ["0"])[0])
        page = ids[n * 10 : (n + 1) * 10]
        more = (n + 1) * 10 < len(ids)
        await conn.json(
            {
                "object": "page",
                "data": [{"id": i} for i in page],
                "has_more": more,
                "next_page": str(n + 1) if more else None,
            }
        )


def test_pagination_walks_every_style_lazily(server: LocalHTTPServer) -> None:
    paged_routes(server)
    client = openai_kit.OpenAI(api_key="k", base_url=server.base_url)
    expected = [f"file-{i}" for i in range(23)]
    page = client.get_api_list("/cursor", model=Item, query={"limit": 5})
    assert [i.id for i in page.data] == expected[:5] and page.has_more
    assert len(server.requests) == 1  # lazy: nothing fetched beyond the first page yet
    assert [i.id for i in page] == expected
    assert len(server.requests) == 5
    assert [i.id for i in client.get_api_list("/noid", model=Item)] == expected
    assert [i.id for i in client.get_api_list("/usage", model=Item)] == expected
    assert [len(p.data) for p in client.get_api_list("/usage", model=Item).iter_pages()] == [10, 10, 3]


async def test_async_pagination(server: LocalHTTPServer) -> None:
    paged_routes(server)
    client = openai_kit.AsyncOpenAI(api_key="k", base_url=server.base_url)
    expected = [f"file-{i}" for i in range(23)]
    assert [i.id async for i in client.get_api_list("/cursor", model=Item, query={"limit": 4})] == expected
    first = await client.get_api_list("/usage", model=Item)
    assert len(first.data) == 10 and first.has_more
    await client.close()


def test_raw_and_streaming_response_access(server: LocalHTTPServer) -> None:
    @server.route("GET", "/v1/models/m1")
    async def model(req: Req, conn: Conn) -> None:
        await conn.json(
            {"id": "m1", "object": "model"},
            headers={"x-request-id": "req_9", "x-ratelimit-remaining-requests": "99"},
        )

    client = openai_kit.OpenAI(api_key="k", base_url=server.base_url)
    raw = client.with_raw_response.get("/models/m1", cast_to=Item)
    assert raw.status_code == 200
    assert raw.headers["x-ratelimit-remaining-requests"] == "99"
    assert raw.request_id == "req_9"
    assert raw.json() == {"id": "m1", "object": "model"}
    assert raw.parse().id == "m1"
    with client.with_streaming_response.get("/models/m1") as resp:
        assert b"".join(resp.iter_bytes()) == b'{"id":"m1","object":"model"}'
    assert client.get("/models/m1", cast_to=Item).id == "m1"  # the parent client is unchanged


def test_raw_response_of_a_list_parses_into_a_paginating_page(server: LocalHTTPServer) -> None:
    paged_routes(server)
    client = openai_kit.OpenAI(api_key="k", base_url=server.base_url)
    raw = client.with_raw_response.get_api_list("/usage", model=Item)
    assert raw.status_code == 200 and raw.json()["next_page"] == "1"
    assert len([i.id for i in raw.parse()]) == 23


async def test_async_raw_response_of_a_list(server: LocalHTTPServer) -> None:
    paged_routes(server)
    client = openai_kit.AsyncOpenAI(api_key="k", base_url=server.base_url)
    raw = await client.with_raw_response.get_api_list("/usage", model=Item)
    assert raw.status_code == 200
    page = await raw.parse()
    assert len([i.id async for i in page]) == 23
    await client.close()
