"""Parse speed of the generated models against plain ``orjson.loads`` (``python -m tests.generated.bench_parse``).

Bodies go through ``openai_kit._models.parse_json``, what the client calls (lenient by default):

- a files list of 10 000 items (``GET /files``, parsed as the page model the client uses),
- an embeddings response of 2048 vectors x 1536 dimensions: floats on the wire (``encoding_format="float"``,
  parsed by the model) and base64 on the wire (the default: parsed, then decoded to floats),
- one chat completion and one chat stream chunk (microseconds per parse).

``--strict-vs-lenient`` compares, in one process and interleaved, the lenient default with strict
validation (the models' own validators, what every body went through before lenient parsing), in CPU time:
the comparison that stays meaningful on a busy machine.
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


CHAT = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1700000000,
    "model": "gpt-4o-mini",
    "choices": [
        {
            "index": 0,
            "finish_reason": "stop",
            "logprobs": None,
            "message": {"role": "assistant", "content": "Hello! " * 20, "refusal": None, "annotations": []},
        }
    ],
    "usage": {
        "prompt_tokens": 12,
        "completion_tokens": 40,
        "total_tokens": 52,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
    },
    "service_tier": "default",
    "system_fingerprint": "fp_1",
}

CHUNK = {
    "id": "chatcmpl-1",
    "object": "chat.completion.chunk",
    "created": 1700000000,
    "model": "gpt-4o-mini",
    "choices": [{"index": 0, "delta": {"content": "Hello"}, "logprobs": None, "finish_reason": None}],
}


def per_call_us(fn: Callable[[], Any], n: int = 3000, rounds: int = 5) -> float:
    out = []
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(n):
            fn()
        out.append((time.perf_counter() - t) / n * 1e6)
    return min(out)


def main() -> dict[str, float]:
    from openai_kit._models import parse_json
    from openai_kit._pagination import page_model
    from openai_kit._utils import decode_embedding
    from openai_kit.types.chat import ChatCompletion, ChatCompletionChunk
    from openai_kit.types.embeddings import CreateEmbeddingResponse
    from openai_kit.types.files import FileObject

    ListFilesResponse = page_model(FileObject)  # what `client.files.list()` parses each page with

    results: dict[str, float] = {}
    for name, tp, body in (("chat", ChatCompletion, CHAT), ("chunk", ChatCompletionChunk, CHUNK)):
        raw = orjson.dumps(body)
        parse_json(tp, raw)  # build the schema once
        results[f"{name}_us"] = t = per_call_us(lambda tp=tp, raw=raw: parse_json(tp, raw))
        t_or = per_call_us(lambda raw=raw: orjson.loads(raw))
        print(f"{name + ' 1 body:':<20} orjson {t_or:7.2f} us   model {t:7.2f} us   x{t / t_or:.2f}")
    files = files_payload()
    parse_json(ListFilesResponse, files)  # build the schema once
    t_or = best(lambda: orjson.loads(files))
    t_model = best(lambda: parse_json(ListFilesResponse, files))
    results["files_ratio"] = t_model / t_or
    results["files_ms"] = t_model * 1000
    print(
        f"files list 10k:   orjson {t_or * 1000:7.1f} ms   model {t_model * 1000:7.1f} ms   x{t_model / t_or:.2f}"
    )

    floats = embeddings_payload()
    parse_json(CreateEmbeddingResponse, floats)
    t_or = best(lambda: orjson.loads(floats), 3)
    t_model = best(lambda: parse_json(CreateEmbeddingResponse, floats), 3)
    results["emb_float_ratio"] = t_model / t_or
    results["emb_float_ms"] = t_model * 1000
    print(
        f"emb 2048x1536 float: orjson {t_or * 1000:7.1f} ms   model {t_model * 1000:7.1f} ms   x{t_model / t_or:.2f}"
    )

    b64 = embeddings_payload(b64=True)

    def parse_b64() -> None:
        r = parse_json(CreateEmbeddingResponse, b64)
        for item in r.data:
            if isinstance(item.embedding, str):
                item.embedding = decode_embedding(item.embedding)

    t_b64 = best(parse_b64, 3)
    results["emb_b64_vs_float_orjson"] = t_b64 / t_or
    results["emb_b64_ms"] = t_b64 * 1000
    print(
        f"emb 2048x1536 base64 + decode: {t_b64 * 1000:7.1f} ms   (x{t_b64 / t_or:.2f} of orjson on the float JSON; "
        f"payload {len(b64) / 1e6:.1f} MB vs {len(floats) / 1e6:.1f} MB)"
    )
    return results


def strict_vs_lenient(rounds: int = 15) -> dict[str, float]:
    from openai_kit._models import parse_json
    from openai_kit._pagination import page_model
    from openai_kit.types.chat import ChatCompletion, ChatCompletionChunk
    from openai_kit.types.embeddings import CreateEmbeddingResponse
    from openai_kit.types.files import FileObject

    cases: list[tuple[str, Any, bytes, int, float, str]] = [
        ("chat 1 body", ChatCompletion, orjson.dumps(CHAT), 3000, 1e6, "us"),
        ("chunk 1 body", ChatCompletionChunk, orjson.dumps(CHUNK), 3000, 1e6, "us"),
        ("files list 10k", page_model(FileObject), files_payload(), 3, 1e3, "ms"),
        ("emb 2048x1536 float", CreateEmbeddingResponse, embeddings_payload(), 1, 1e3, "ms"),
    ]
    results: dict[str, float] = {}
    for name, tp, body, n, scale, unit in cases:
        parse_json(tp, body)
        parse_json(tp, body, strict=True)
        cpu: dict[bool, list[float]] = {True: [], False: []}
        for r in range(rounds if n > 1 else max(5, rounds // 2)):
            for strict in (True, False) if r % 2 else (False, True):
                t = time.process_time()
                for _ in range(n):
                    parse_json(tp, body, strict=strict)
                cpu[strict].append((time.process_time() - t) / n)
        s, le = min(cpu[True]) * scale, min(cpu[False]) * scale
        results[name] = le / s
        print(
            f"{name + ':':<21} strict {s:8.2f} {unit}   lenient {le:8.2f} {unit}   lenient/strict {le / s:.3f}"
        )
    return results


if __name__ == "__main__":
    import sys

    strict_vs_lenient() if "--strict-vs-lenient" in sys.argv else main()
