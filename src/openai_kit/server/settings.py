"""Server settings: one frozen dataclass shared by the app, the CLI and the test helpers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

MiB = 1024 * 1024


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    #: where state survives a restart (SQLite metadata + file blobs); ``None`` keeps it in memory
    data_dir: Path | None = None
    #: when set, every request must carry ``Authorization: Bearer <api_key>``
    api_key: str | None = None
    #: when set, ``/organization`` (the admin API) takes this key (or an admin key created through it)
    #: instead of ``api_key``
    admin_api_key: str | None = None
    #: a JSON file of replies for the ``scripted`` model
    script_path: Path | None = None
    #: serve a real language model (llama.cpp): a GGUF path, or "smollm2" for the packaged SmolLM2
    llm: str | None = None
    #: real model names answered by a chosen built-in (``{"gpt-4o": "tool-caller"}``); other real names
    #: get the default built-in of their kind (chat names: ``echo``)
    model_map: Mapping[str, str] = field(default_factory=dict)
    #: largest JSON request body accepted
    max_body_bytes: int = 32 * MiB
    #: largest file upload (``/files``, ``/uploads/{id}/parts``) accepted
    max_upload_bytes: int = 512 * MiB
    #: pause between the steps of background work (batches, runs) so clients can watch the statuses move
    work_delay: float = 0.0
