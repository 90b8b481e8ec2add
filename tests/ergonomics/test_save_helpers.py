"""Saving downloads: ``write_to_file`` / ``stream_to_file`` / ``save`` into a directory (name from
Content-Disposition or the id), atomic writes, and ``ImagesResponse.save(directory)``."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import openai_kit
from openai_kit._binary import safe_filename
from openai_kit.server.testing import run_server
from openai_kit.types.images import ImagesResponse
from tests.core.httpserver import Conn, LocalHTTPServer, Req

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0" + b"\x01" * 40


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with run_server() as url:
        yield url


@pytest.fixture
def http() -> Iterator[LocalHTTPServer]:
    server = LocalHTTPServer()

    @server.route("GET", "/v1/files/file-abc/content")
    async def no_name(req: Req, conn: Conn) -> None:
        await conn.respond(200, b'{"a": 1}\n', content_type="application/jsonl")

    @server.route("GET", "/v1/files/file-evil/content")
    async def evil(req: Req, conn: Conn) -> None:
        await conn.respond(
            200, b"x", headers={"content-disposition": 'attachment; filename="../../etc/.passwd"'}
        )

    @server.route("GET", "/v1/files/file-cut/content")
    async def cut(req: Req, conn: Conn) -> None:
        await conn.send(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 1000\r\n\r\npartial")
        conn.abort()

    @server.route("GET", "/img/a.png")
    async def image(req: Req, conn: Conn) -> None:
        await conn.respond(200, JPEG, content_type="image/jpeg")

    @server.route("GET", "/img/missing.png")
    async def missing(req: Req, conn: Conn) -> None:
        await conn.respond(404, b"gone", content_type="text/plain")

    yield server
    server.close()


def test_write_to_file_into_a_directory_uses_content_disposition(base_url: str, tmp_path: Path) -> None:
    client = openai_kit.OpenAI(api_key="k", base_url=base_url)
    src = tmp_path / "report data.jsonl"
    src.write_bytes(b'{"x": 1}\n')
    uploaded = client.files.create(file=src, purpose="batch")
    out = tmp_path / "out"
    out.mkdir()
    assert client.files.content(uploaded.id).write_to_file(out) == 9
    assert (out / "report data.jsonl").read_bytes() == b'{"x": 1}\n'
    path = client.files.content(uploaded.id).save(out / "renamed.jsonl")
    assert path == out / "renamed.jsonl" and path.read_bytes() == b'{"x": 1}\n'
    assert sorted(os.listdir(out)) == ["renamed.jsonl", "report data.jsonl"]


def test_name_from_the_id_unsafe_names_and_atomic_failure(http: LocalHTTPServer, tmp_path: Path) -> None:
    client = openai_kit.OpenAI(api_key="k", base_url=http.base_url, max_retries=0)
    assert client.files.content("file-abc").save(tmp_path) == tmp_path / "file-abc.jsonl"
    client.files.content("file-abc").stream_to_file(tmp_path / "again.jsonl")
    assert (tmp_path / "again.jsonl").read_bytes() == b'{"a": 1}\n'
    # a hostile name in the header cannot leave the directory or hide the file
    assert client.files.content("file-evil").save(tmp_path) == tmp_path / "passwd"
    before = sorted(os.listdir(tmp_path))
    (tmp_path / "keep.txt").write_text("old")
    with pytest.raises(openai_kit.APIError):
        client.files.content("file-cut").write_to_file(tmp_path / "keep.txt")
    assert (tmp_path / "keep.txt").read_text() == "old", "the old file is untouched"
    assert sorted(os.listdir(tmp_path)) == sorted([*before, "keep.txt"]), "no temporary file left"


async def test_async_save_into_a_directory(http: LocalHTTPServer, tmp_path: Path) -> None:
    client = openai_kit.AsyncOpenAI(api_key="k", base_url=http.base_url, max_retries=0)
    content = await client.files.content("file-abc")
    assert await content.save(tmp_path) == tmp_path / "file-abc.jsonl"
    assert await (await client.files.content("file-abc")).write_to_file(tmp_path) == 9
    with pytest.raises(openai_kit.APIError):
        await (await client.files.content("file-cut")).write_to_file(tmp_path)
    assert os.listdir(tmp_path) == ["file-abc.jsonl"]
    await client.close()


def test_images_saved_to_a_directory(http: LocalHTTPServer, tmp_path: Path) -> None:
    response = ImagesResponse.model_validate(
        {
            "created": 1700000000,
            "data": [
                {"b64_json": base64.b64encode(PNG).decode()},
                {"url": f"http://127.0.0.1:{http.port}/img/a.png"},
            ],
        }
    )
    paths = response.save(tmp_path / "imgs", prefix="cat")
    assert [p.name for p in paths] == ["cat-1700000000-0.png", "cat-1700000000-1.jpeg"]
    assert paths[0].read_bytes() == PNG and paths[1].read_bytes() == JPEG
    bad = ImagesResponse.model_validate(
        {"created": 1, "data": [{"url": f"http://127.0.0.1:{http.port}/img/missing.png"}]}
    )
    with pytest.raises(OSError, match="HTTP 404"):
        bad.save(tmp_path / "imgs")
    with pytest.raises(ValueError, match="neither b64_json nor url"):
        ImagesResponse.model_validate({"created": 1, "data": [{}]}).save(tmp_path)
    assert sorted(os.listdir(tmp_path / "imgs")) == ["cat-1700000000-0.png", "cat-1700000000-1.jpeg"]
    assert response.model_dump()["created"] == 1700000000  # still the plain data model


async def test_images_asave(tmp_path: Path) -> None:
    response = ImagesResponse.model_validate(
        {"created": 5, "output_format": "webp", "data": [{"b64_json": base64.b64encode(b"????").decode()}]}
    )
    assert [p.name for p in await response.asave(tmp_path)] == ["image-5-0.webp"]


def test_safe_filename() -> None:
    assert safe_filename("../../a/b.txt") == "b.txt"
    assert safe_filename("..\\x\\..\\.hidden") == "hidden"
    assert safe_filename("a:b*c?.png") == "a_b_c_.png"


def test_generated_images_saved_from_the_local_server(base_url: str, tmp_path: Path) -> None:
    client = openai_kit.OpenAI(api_key="k", base_url=base_url)
    images = client.images.generate(model="gpt-image-1", prompt="a red square", n=2)
    paths = images.save(tmp_path, prefix="square")
    assert [p.name for p in paths] == [f"square-{images.created}-0.png", f"square-{images.created}-1.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in paths)
