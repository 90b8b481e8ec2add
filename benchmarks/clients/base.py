"""The operations every client adapter implements (sync and async flavours).

An adapter is constructed with the fake server's base URL (`http://127.0.0.1:PORT/v1`) and an API key.
Each operation does one user-level action the way a user of that client would write it, touches the result
the way a user would (so lazy parsing cannot dodge the work), and returns a small number the worker checks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from benchmarks import payloads

MODEL = payloads.MODEL
EMBEDDING_MODEL = payloads.EMBEDDING_MODEL
MESSAGES = payloads.CHAT_MESSAGES
UPLOAD_PURPOSE = "batch"
MAX_PAGES = 1_000_000  # loop bound for hand-written pagination


class SyncAdapter(Protocol):
    def __init__(self, base_url: str, api_key: str) -> None: ...

    def construct(self) -> Any:
        """Build a client (the construction scenario times the first call in a fresh process)."""

    def close(self, client: Any) -> None: ...

    def chat(self, client: Any) -> str:
        """One non-streaming chat completion; returns the message content."""

    def stream(self, client: Any, chunks: int) -> int:
        """One streamed chat completion of `chunks` events; returns the number of chunks seen."""

    def embeddings(self, client: Any, inputs: list[str], encoding_format: str | None) -> int:
        """One embeddings request (`None` = parameter omitted); returns len(data) * len(data[-1].embedding)."""

    def list_files(self, client: Any, page_size: int, max_items: int) -> int:
        """Iterate the files list page by page (auto-pagination), stop after max_items; returns the count."""

    def upload(self, client: Any, path: Path) -> int:
        """Upload `path` (purpose=batch); returns the `bytes` field of the created file object."""

    def download(self, client: Any, file_id: str, dest: Path) -> int:
        """Download a file's content to `dest`; returns the number of bytes written."""


class AsyncAdapter(Protocol):
    def __init__(self, base_url: str, api_key: str) -> None: ...

    async def construct(self) -> Any: ...

    async def close(self, client: Any) -> None: ...

    async def chat(self, client: Any) -> str: ...

    async def stream(self, client: Any, chunks: int) -> int: ...

    async def embeddings(self, client: Any, inputs: list[str], encoding_format: str | None) -> int: ...

    async def list_files(self, client: Any, page_size: int, max_items: int) -> int: ...

    async def upload(self, client: Any, path: Path) -> int: ...

    async def download(self, client: Any, file_id: str, dest: Path) -> int: ...


class SSESplitter:
    """Minimal SSE framing for the floor clients: yields the `data:` payload of each event."""

    __slots__ = ("buf",)

    def __init__(self) -> None:
        self.buf = b""

    def feed(self, data: bytes) -> list[bytes]:
        buf = self.buf + data if self.buf else data
        events = buf.split(b"\n\n")
        self.buf = events.pop()
        return [ev[6:] for ev in events if ev.startswith(b"data: ")]
