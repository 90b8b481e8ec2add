"""Parse speed of the generated models against plain ``orjson.loads`` (``python -m tests.generated.bench_parse``).

- a files list of 10 000 items (``GET /files``, parsed as the page model the client uses),
- an embeddings response of 2048 vectors x 1536 dimensions: floats on the wire (``encoding_format="float"``,
  parsed by the model) and base64 on the wire (the default: parsed, then decoded to floats).
"""

from __future__ import annotations

import array
import base64
import random
import time
from collections.abc import Callable
from typing import Any

import orjson


def best(fn: Callable[[], Any], n: int = 5) -> float:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return min(out)


def files_payload(n: int = 10_000) -> bytes:
    data = [
        {
            "id": f"file-{i:06d}",
            "object": "file",
            "bytes": 1000 + i,
            "created_at": 1700000000 + i,
            "expires_at": None,
            "filename": f"data-{i}.jsonl",
            "purpose": "fine-tune",
            "status": "processed",
            "status_details": None,
        }
        for i in range(n)
    ]
    return orjson.dumps(
        {
            "object": "list",
            "data": data,
            "first_id": "file-000000",
            "last_id": f"file-{n - 1:06d}",
            "has_more": False,
        }
    )


def embeddings_payload(rows: int = 2048, dims: int = 1536, b64: bool = False) -> bytes:
    rnd = random.Random(0)
    data = []
    for i in range(rows):
        vec = [rnd.uniform(-1, 1) for _ in range(dims)]
        emb: Any = base64.b64encode(array.array("f", vec).tobytes()).decode() if b64 else vec
        data.append({"object": "embedding", "index": i, "embedding": emb})
    return orjson.dumps(
        {
            "object": "list",
            "model": "text-embedding-3-small",
            "data": data,
            "usage": {"prompt_tokens": 1, "total_tokens": 1},
        }
    )


def main() -> dict[str, float]:
    from openai_kit.resources._helpers import decode_embedding

    from openai_kit._pagination import page_model
    from openai_kit.types.embeddings import CreateEmbeddingResponse
    from openai_kit.types.files import FileObject

    ListFilesResponse = page_model(FileObject)  # what `client.files.list()` parses each page with

    results: dict[str, float] = {}
    files = files_payload()
    ListFilesResponse.model_validate_json(files)  # build the schema once
    t_or = best(lambda: orjson.loads(files))
    t_model = best(lambda: ListFilesResponse.model_validate_json(files))
    results["files_ratio"] = t_model / t_or
    print(
        f"files list 10k:   orjson {t_or * 1000:7.1f} ms   model {t_model * 1000:7.1f} ms   x{t_model / t_or:.2f}"
    )

    floats = embeddings_payload()
    CreateEmbeddingResponse.model_validate_json(floats)
    t_or = best(lambda: orjson.loads(floats), 3)
    t_model = best(lambda: CreateEmbeddingResponse.model_validate_json(floats), 3)
    results["emb_float_ratio"] = t_model / t_or
    print(
        f"emb 2048x1536 float: orjson {t_or * 1000:7.1f} ms   model {t_model * 1000:7.1f} ms   x{t_model / t_or:.2f}"
    )

    b64 = embeddings_payload(b64=True)

    def parse_b64() -> None:
        r = CreateEmbeddingResponse.model_validate_json(b64)
        for item in r.data:
            if isinstance(item.embedding, str):
                item.embedding = decode_embedding(item.embedding)

    t_b64 = best(parse_b64, 3)
    results["emb_b64_vs_float_orjson"] = t_b64 / t_or
    print(
        f"emb 2048x1536 base64 + decode: {t_b64 * 1000:7.1f} ms   (x{t_b64 / t_or:.2f} of orjson on the float JSON; "
        f"payload {len(b64) / 1e6:.1f} MB vs {len(floats) / 1e6:.1f} MB)"
    )
    return results


if __name__ == "__main__":
    main()
