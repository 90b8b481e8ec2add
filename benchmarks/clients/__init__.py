"""The clients under test: one adapter module per client family, all exposing the same operations.

Every adapter class implements the operations of `benchmarks.clients.base.SyncAdapter` (or `AsyncAdapter`):
`construct`, `close`, `chat`, `stream`, `embeddings`, `list_files`, `upload`, `download`. The scenario loops
themselves live in `benchmarks.worker`, written once, so every client runs exactly the same loop.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ClientSpec:
    id: str
    label: str
    module: str  # under benchmarks.clients
    cls: str
    kind: str  # "sync" | "async"
    family: str  # "openai-kit" | "openai" | "floor"
    import_stmt: str  # what the import scenario measures
    baseline: str  # the official-SDK client its ratios are computed against


CLIENTS: dict[str, ClientSpec] = {
    spec.id: spec
    for spec in (
        ClientSpec(
            "openai-kit",
            "openai-kit",
            "kit",
            "Sync",
            "sync",
            "openai-kit",
            "from openai_kit import OpenAI",
            "openai",
        ),
        ClientSpec(
            "openai-kit-async",
            "openai-kit async",
            "kit",
            "Async",
            "async",
            "openai-kit",
            "from openai_kit import AsyncOpenAI",
            "openai-async",
        ),
        ClientSpec(
            "openai", "openai", "openai_sdk", "Sync", "sync", "openai", "from openai import OpenAI", "openai"
        ),
        ClientSpec(
            "openai-async",
            "openai async (httpx)",
            "openai_sdk",
            "Async",
            "async",
            "openai",
            "from openai import AsyncOpenAI",
            "openai-async",
        ),
        ClientSpec(
            "openai-async-aiohttp",
            "openai async (aiohttp)",
            "openai_sdk",
            "AsyncAiohttp",
            "async",
            "openai",
            "from openai import AsyncOpenAI, DefaultAioHttpClient",
            "openai-async",
        ),
        ClientSpec(
            "httpx", "httpx+orjson", "httpx_floor", "Sync", "sync", "floor", "import httpx, orjson", "openai"
        ),
        ClientSpec(
            "urllib3",
            "urllib3+orjson",
            "urllib3_floor",
            "Sync",
            "sync",
            "floor",
            "import urllib3, orjson",
            "openai",
        ),
        ClientSpec(
            "httpx-async",
            "httpx async+orjson",
            "httpx_floor",
            "Async",
            "async",
            "floor",
            "import httpx, orjson",
            "openai-async",
        ),
        ClientSpec(
            "urllib3-pydantic",
            "urllib3+pydantic (typed floor)",
            "urllib3_floor",
            "Sync",
            "sync",
            "floor",
            "import urllib3, orjson, pydantic",
            "openai",
        ),
        ClientSpec(
            "aiohttp-pydantic",
            "aiohttp+pydantic (typed floor)",
            "typed_floor",
            "Async",
            "async",
            "floor",
            "import aiohttp, pydantic",
            "openai-async",
        ),
        ClientSpec(
            "aiohttp",
            "aiohttp+orjson",
            "aiohttp_floor",
            "Async",
            "async",
            "floor",
            "import aiohttp, orjson",
            "openai-async",
        ),
    )
}
