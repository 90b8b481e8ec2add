"""File objects and their bytes on disk, shared by files, uploads, batches and vector stores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .crud import Stored
from .ids import new_id, now
from .state import ServerState

KIND = "file"
UPLOAD_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
FILES = Stored(
    KIND,
    "file",
    "file_id",
    deleted="file",
    on_delete=lambda state, p: blob(state, p["file_id"]).unlink(missing_ok=True),
)


def new_file_id() -> str:
    return new_id("file-")


def blob(state: ServerState, file_id: str) -> Path:
    return state.store.blob_path(file_id)


def register(
    state: ServerState, file_id: str, filename: str, purpose: str, size: int, expires_at: int | None = None
) -> dict[str, Any]:
    """Record a file whose bytes are already at ``blob(state, file_id)``."""
    obj: dict[str, Any] = {
        "id": file_id,
        "object": "file",
        "bytes": size,
        "created_at": now(),
        "filename": filename,
        "purpose": purpose,
        "status": "processed",
    }
    if expires_at is not None:
        obj["expires_at"] = expires_at
    return state.store.insert(KIND, obj)


def write(state: ServerState, data: bytes, filename: str, purpose: str) -> dict[str, Any]:
    file_id = new_file_id()
    blob(state, file_id).write_bytes(data)
    return register(state, file_id, filename, purpose, len(data))


def read_text(state: ServerState, file_id: str) -> str:
    return blob(state, file_id).read_bytes().decode("utf-8", errors="replace")
