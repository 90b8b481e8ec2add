"""``uploads.upload_file_parallel``: parts sent concurrently (bounded), each retried, memory bounded,
progress reported, the upload cancelled when a part fails; sync and async. The local server checks a real
round trip; a socket server in the test fails parts on purpose and counts concurrency."""

from __future__ import annotations

import asyncio
import os
import re
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import openai_kit
from openai_kit._parallel_upload import UploadFailedError
from openai_kit.server.testing import run_server
from tests.core.httpserver import Conn, LocalHTTPServer, Req

PART = 64 * 1024


def _file(tmp_path: Path, parts: int, size: int = PART) -> Path:
    """Each part starts with its number, so the test server knows which part it got."""
    path = tmp_path / "big.bin"
    with path.open("wb") as f:
        for i in range(parts):
            head = f"PART{i:04d}".encode()
            f.write(head + os.urandom(size - len(head)))
    return path


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with run_server() as url:
        yield url


def test_round_trip_through_the_local_server(base_url: str, tmp_path: Path) -> None:
    path = _file(tmp_path, 10)
    path.write_bytes(path.read_bytes() + b"tail")  # a short last part
    client = openai_kit.OpenAI(api_key="k", base_url=base_url)
    progress: list[tuple[int, int]] = []
    upload = client.uploads.upload_file_parallel(
        path,
        purpose="assistants",
        part_size=PART,
        max_concurrency=3,
        on_progress=lambda d, t: progress.append((d, t)),
    )
    assert upload.status == "completed" and upload.file is not None
    assert upload.filename == "big.bin" and upload.bytes == 10 * PART + 4
    assert client.files.content(upload.file.id).read() == path.read_bytes()
    assert len(progress) == 11 and progress[-1] == (10 * PART + 4, 10 * PART + 4)
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)


async def test_async_round_trip(base_url: str, tmp_path: Path) -> None:
    path = _file(tmp_path, 6)
    client = openai_kit.AsyncOpenAI(api_key="k", base_url=base_url)
    seen: list[int] = []

    async def progress(done: int, total: int) -> None:
        seen.append(done)

    with path.open("rb") as f:
        upload = await client.uploads.upload_file_parallel(
            f,
            purpose="batch",
            mime_type="application/jsonl",
            part_size=PART,
            max_concurrency=2,
            on_progress=progress,
        )
    assert upload.status == "completed" and upload.file is not None
    assert await (await client.files.content(upload.file.id)).read() == path.read_bytes()
    assert seen[-1] == 6 * PART
    await client.close()


class FlakyUploads:
    """Part ``fail_always`` always answers 500; part ``fail_once`` fails on its first attempt only."""

    def __init__(
        self, fail_always: int | None = None, fail_once: int | None = None, discard: bool = False
    ) -> None:
        self.server = LocalHTTPServer()
        self.fail_always, self.fail_once = fail_always, fail_once
        self.attempts: dict[int, int] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self.completed: list[str] | None = None
        self.cancelled = False
        if discard:
            self.server.discard_paths.add("/v1/uploads/upl_1/parts")
        s = self.server

        @s.route("POST", "/v1/uploads")
        async def create(req: Req, conn: Conn) -> None:
            body = req.json()
            await conn.json(self._upload(body["bytes"], body["filename"], "pending"))

        @s.route("POST", "/v1/uploads/upl_1/parts")
        async def part(req: Req, conn: Conn) -> None:
            m = re.search(rb"PART(\d{4})", req.body)
            index = int(m.group(1)) if m else len(self.attempts)
            self.attempts[index] = self.attempts.get(index, 0) + 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            await asyncio.sleep(0.03)
            self.in_flight -= 1
            if index == self.fail_always or (index == self.fail_once and self.attempts[index] == 1):
                error = {
                    "error": {
                        "message": "storage hiccup",
                        "type": "server_error",
                        "param": None,
                        "code": None,
                    }
                }
                await conn.json(error, status=500, headers={"retry-after-ms": "5"})
                return
            await conn.json(
                {"id": f"part_{index}", "object": "upload.part", "created_at": 1, "upload_id": "upl_1"}
            )

        @s.route("POST", "/v1/uploads/upl_1/complete")
        async def complete(req: Req, conn: Conn) -> None:
            self.completed = req.json()["part_ids"]
            await conn.json(self._upload(0, "big.bin", "completed"))

        @s.route("POST", "/v1/uploads/upl_1/cancel")
        async def cancel(req: Req, conn: Conn) -> None:
            self.cancelled = True
            await conn.json(self._upload(0, "big.bin", "cancelled"))

    @staticmethod
    def _upload(size: int, name: str, status: str) -> dict[str, Any]:
        return {
            "id": "upl_1",
            "object": "upload",
            "created_at": 1,
            "filename": name,
            "bytes": size,
            "purpose": "assistants",
            "status": status,
            "expires_at": 2,
        }

    def client(self) -> openai_kit.OpenAI:
        return openai_kit.OpenAI(api_key="k", base_url=self.server.base_url)


@pytest.fixture
def flaky() -> Iterator[list[FlakyUploads]]:
    made: list[FlakyUploads] = []
    yield made
    for f in made:
        f.server.close()


def test_a_part_failing_once_is_retried(flaky: list[FlakyUploads], tmp_path: Path) -> None:
    server = FlakyUploads(fail_once=3)
    flaky.append(server)
    upload = server.client().uploads.upload_file_parallel(
        _file(tmp_path, 12), purpose="assistants", part_size=PART, max_concurrency=4
    )
    assert upload.status == "completed"
    assert server.completed == [f"part_{i}" for i in range(12)], "part ids in file order"
    assert server.attempts[3] == 2 and all(n == 1 for i, n in server.attempts.items() if i != 3)
    assert server.max_in_flight == 4, "bounded, and really concurrent"


def test_a_part_that_keeps_failing_cancels_the_upload(flaky: list[FlakyUploads], tmp_path: Path) -> None:
    server = FlakyUploads(fail_always=5)
    flaky.append(server)
    with pytest.raises(UploadFailedError, match="part 6 of 40 failed") as info:
        server.client().uploads.upload_file_parallel(
            _file(tmp_path, 40), purpose="assistants", part_size=PART, max_concurrency=3, part_retries=2
        )
    assert info.value.upload_id == "upl_1" and isinstance(
        info.value.__cause__, openai_kit.InternalServerError
    )
    assert server.cancelled and server.completed is None
    assert server.attempts[5] == 3, "the first attempt and 2 retries"
    assert max(server.attempts) < 5 + 3 * 3, "no new parts after the failure (only those already in flight)"


async def test_async_failure_cancels(flaky: list[FlakyUploads], tmp_path: Path) -> None:
    server = FlakyUploads(fail_always=2)
    flaky.append(server)
    client = openai_kit.AsyncOpenAI(api_key="k", base_url=server.server.base_url)
    with pytest.raises(UploadFailedError, match="part 3 of 20"):
        await client.uploads.upload_file_parallel(
            _file(tmp_path, 20), purpose="assistants", part_size=PART, max_concurrency=3, part_retries=1
        )
    assert server.cancelled and server.completed is None and server.max_in_flight <= 3
    await client.close()


def test_memory_stays_bounded_by_part_size_times_concurrency(
    flaky: list[FlakyUploads], tmp_path: Path
) -> None:
    server = FlakyUploads(discard=True)  # the server throws the bytes away: only the client's memory counts
    flaky.append(server)
    part = 1024 * 1024
    path = tmp_path / "large.bin"
    with path.open("wb") as f:
        for _ in range(32):
            f.write(os.urandom(part))
    tracemalloc.start()
    try:
        server.client().uploads.upload_file_parallel(
            path, purpose="assistants", part_size=part, max_concurrency=2
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert server.completed is not None and len(server.completed) == 32
    assert peak < 8 * part, f"peak {peak / part:.1f} MB for a 32 MB file (2 parts of 1 MB in flight)"


def test_bad_arguments(tmp_path: Path) -> None:
    client = openai_kit.OpenAI(api_key="k", base_url="http://127.0.0.1:9/v1")
    path = _file(tmp_path, 1)
    with pytest.raises(ValueError, match="part_size"):
        client.uploads.upload_file_parallel(path, purpose="assistants", part_size=65 * 1024 * 1024)
    with pytest.raises(ValueError, match="max_concurrency"):
        client.uploads.upload_file_parallel(path, purpose="assistants", max_concurrency=0)
