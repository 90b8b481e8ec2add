"""images / audio commands against a server that answers as the API does (the local server has no such
endpoints): files written from base64 and binary bodies, the transcription text printed, the requests
carrying what the API expects."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.core.httpserver import Conn, LocalHTTPServer, Req

from .support import clean_env, control_characters, run_cli

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(200))
MP3 = b"ID3" + bytes(range(256)) * 64


@pytest.fixture
def api() -> Iterator[LocalHTTPServer]:
    server = LocalHTTPServer()

    @server.route("POST", "/v1/images/generations")
    async def images(req: Req, conn: Conn) -> None:
        n = req.json().get("n", 1)
        await conn.json({"created": 1700000000, "data": [{"b64_json": base64.b64encode(PNG).decode()}] * n})

    @server.route("POST", "/v1/audio/speech")
    async def speech(req: Req, conn: Conn) -> None:
        await conn.respond(200, MP3, content_type="audio/mpeg")

    @server.route("POST", "/v1/audio/transcriptions")
    async def transcribe(req: Req, conn: Conn) -> None:
        await conn.json({"text": "hello from the recording"})

    yield server
    server.close()


def test_images_generate_writes_files(tmp_path: Path, api: LocalHTTPServer) -> None:
    env = clean_env(tmp_path, OPENAI_BASE_URL=api.base_url, OPENAI_API_KEY="sk-x")
    result = run_cli(
        "images",
        "generate",
        "a lighthouse",
        "--out",
        "pics",
        "--n",
        "2",
        "--size",
        "1024x1024",
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    paths = result.stdout.split()
    assert len(paths) == 2 and all(p.startswith("pics/") and p.endswith(".png") for p in paths)
    assert all((tmp_path / p).read_bytes() == PNG for p in paths)
    sent = api.requests[-1].json()
    assert sent == {"prompt": "a lighthouse", "model": "gpt-image-1", "n": 2, "size": "1024x1024"}
    assert not control_characters(result.stdout + result.stderr)


def test_audio_speech_and_transcribe(tmp_path: Path, api: LocalHTTPServer) -> None:
    env = clean_env(tmp_path, OPENAI_BASE_URL=api.base_url, OPENAI_API_KEY="sk-x")
    spoken = run_cli(
        "audio", "speech", "Hello there", "--out", "hello.wav", "--voice", "verse", cwd=tmp_path, env=env
    )
    assert spoken.returncode == 0, spoken.stderr
    assert (tmp_path / "hello.wav").read_bytes() == MP3
    assert api.requests[-1].json() == {
        "model": "gpt-4o-mini-tts",
        "voice": "verse",
        "input": "Hello there",
        "response_format": "wav",
    }
    heard = run_cli("audio", "transcribe", "hello.wav", "--language", "en", cwd=tmp_path, env=env)
    assert heard.returncode == 0, heard.stderr
    assert heard.stdout == "hello from the recording\n"
    body = api.requests[-1].body
    assert b'name="model"' in body and b"gpt-4o-mini-transcribe" in body and MP3 in body
    as_json = run_cli("audio", "transcribe", "hello.wav", "--json", cwd=tmp_path, env=env)
    assert json.loads(as_json.stdout)["text"] == "hello from the recording"
