"""Wire-format bodies served by the fake server and sent by the floor clients.

Everything here mirrors what the real OpenAI API sends: field names, field order, value shapes and sizes.
The bodies are built once (the server caches them) so that serving them costs almost nothing.
"""

from __future__ import annotations

import array
import base64
import random

import orjson

MODEL = "gpt-4o-mini"
MODEL_SNAPSHOT = "gpt-4o-mini-2024-07-18"
EMBEDDING_MODEL = "text-embedding-3-small"
EMBEDDING_DIMS = 1536
CREATED = 1_732_000_000
FINGERPRINT = "fp_0ba0d124f1"

# The request every client sends for the chat scenarios.
CHAT_MESSAGES: list[dict[str, str]] = [
    {"role": "system", "content": "You are a concise assistant. Answer in one paragraph."},
    {"role": "user", "content": "Explain why connection pooling matters for HTTP clients."},
]

_ANSWER = (
    "Connection pooling keeps TCP (and TLS) connections open between requests so that each new request "
    "can reuse an existing socket instead of paying for a fresh handshake. On a typical API call the "
    "handshake costs one to three round trips, which is often more than the time the server spends on the "
    "request itself. Pooling also bounds the number of sockets a process opens, protects the server from "
    "connection storms, and lets HTTP keep-alive amortise slow start. A good client therefore keeps a small "
    "pool per host, "
    "evicts idle connections before the server closes them, and retries idempotent requests once when a "
    "pooled connection turns out to be stale."
)


def chat_completion(index: int = 0) -> dict[str, object]:
    """A non-streaming chat completion, as the API returns it (~1 KB serialised)."""
    return {
        "id": f"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6P{index:05d}",
        "object": "chat.completion",
        "created": CREATED,
        "model": MODEL_SNAPSHOT,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": _ANSWER, "refusal": None, "annotations": []},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": 31,
            "completion_tokens": 118,
            "total_tokens": 149,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        },
        "service_tier": "default",
        "system_fingerprint": FINGERPRINT,
    }


def chat_completion_body() -> bytes:
    return orjson.dumps(chat_completion())


def response_object() -> dict[str, object]:
    """A completed Responses API `response` with one output message, as the API returns it."""
    return {
        "id": "resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b",
        "object": "response",
        "created_at": CREATED,
        "status": "completed",
        "background": False,
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "max_output_tokens": None,
        "model": MODEL_SNAPSHOT,
        "output": [
            {
                "type": "message",
                "id": "msg_67ccd2bf17f0819081ff3bb2cf6508e60bb6a6b452d3795b",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": _ANSWER, "annotations": [], "logprobs": []}],
            }
        ],
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None},
        "service_tier": "default",
        "store": True,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}, "verbosity": "medium"},
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": {
            "input_tokens": 31,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": 118,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": 149,
        },
        "user": None,
        "metadata": {},
    }


_WORDS = _ANSWER.split(" ")


def chat_chunk(index: int, total: int) -> dict[str, object]:
    """Event `index` (0-based) of a stream of `total` `chat.completion.chunk` events."""
    delta: dict[str, object]
    finish: str | None = None
    if index == 0:
        delta = {"role": "assistant", "content": "", "refusal": None}
    elif index == total - 1:
        delta = {}
        finish = "stop"
    else:
        delta = {"content": " " + _WORDS[index % len(_WORDS)]}
    return {
        "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PQ0",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": MODEL_SNAPSHOT,
        "service_tier": "default",
        "system_fingerprint": FINGERPRINT,
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }


def sse_events(total: int) -> list[bytes]:
    """The SSE events of a stream, `data: {json}\\n\\n` each, then `data: [DONE]\\n\\n`."""
    events = [b"data: " + orjson.dumps(chat_chunk(i, total)) + b"\n\n" for i in range(total)]
    events.append(b"data: [DONE]\n\n")
    return events


def chunked(parts: list[bytes]) -> bytes:
    """Encode `parts` with HTTP/1.1 chunked transfer encoding, one HTTP chunk per part, plus the end marker."""
    out = bytearray()
    for part in parts:
        out += b"%x\r\n" % len(part)
        out += part
        out += b"\r\n"
    out += b"0\r\n\r\n"
    return bytes(out)


def stream_body(total: int) -> bytes:
    """The whole chunked-encoded body of a chat completion stream of `total` chunks."""
    return chunked(sse_events(total))


def embedding_vectors(count: int, dims: int, seed: int = 1536) -> list[list[float]]:
    """`count` deterministic vectors of `dims` floats shaped like real ones (|x| < 0.1, ~10 digits)."""
    rng = random.Random(seed)
    rand = rng.random
    vectors: list[list[float]] = []
    for _ in range(count):
        vectors.append([round(rand() * 0.2 - 0.1, 10) for _ in range(dims)])
    return vectors


def embeddings_body(vectors: list[list[float]], encoding_format: str) -> bytes:
    """A `create embedding` response; `encoding_format` is `float` or `base64` (float32 little endian)."""
    data: list[dict[str, object]] = []
    for i, vector in enumerate(vectors):
        value: object = vector
        if encoding_format == "base64":
            value = base64.b64encode(array.array("f", vector).tobytes()).decode("ascii")
        data.append({"object": "embedding", "index": i, "embedding": value})
    tokens = 8 * len(vectors)
    return orjson.dumps(
        {
            "object": "list",
            "data": data,
            "model": EMBEDDING_MODEL,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }
    )


def embedding_inputs(count: int) -> list[str]:
    """The `input` list every client sends for the embeddings scenarios."""
    return [f"document {i}: the quick brown fox jumps over the lazy dog" for i in range(count)]


def file_id(index: int) -> str:
    return f"file-{index:024d}"


def file_object(index: int) -> dict[str, object]:
    return {
        "object": "file",
        "id": file_id(index),
        "purpose": "batch",
        "filename": f"batch_input_{index:06d}.jsonl",
        "bytes": 120_000 + index,
        "created_at": CREATED + index,
        "expires_at": None,
        "status": "processed",
        "status_details": None,
    }


def file_object_bytes(index: int) -> bytes:
    return orjson.dumps(file_object(index))


def files_page(items: list[bytes], first_id: str | None, last_id: str | None, has_more: bool) -> bytes:
    """A cursor page: `{"object":"list","data":[...],"first_id","last_id","has_more"}`."""
    return b"".join(
        (
            b'{"object":"list","data":[',
            b",".join(items),
            b'],"first_id":',
            orjson.dumps(first_id),
            b',"last_id":',
            orjson.dumps(last_id),
            b',"has_more":',
            b"true" if has_more else b"false",
            b"}",
        )
    )


def uploaded_file(size: int, filename: str = "upload.jsonl") -> bytes:
    """The response to `POST /files`: the new file object (`bytes` is what the server received)."""
    return orjson.dumps(
        {
            "object": "file",
            "id": "file-upload000000000000000001",
            "purpose": "batch",
            "filename": filename,
            "bytes": size,
            "created_at": CREATED,
            "expires_at": None,
            "status": "processed",
            "status_details": None,
        }
    )


def error_body(message: str, type_: str = "invalid_request_error", code: str | None = None) -> bytes:
    return orjson.dumps({"error": {"message": message, "type": type_, "param": None, "code": code}})


DOWNLOAD_PREFIX = "file-bytes-"


def download_file_id(size: int) -> str:
    """The id of a fake file whose content is `size` bytes (the server reads the size from the id)."""
    return f"{DOWNLOAD_PREFIX}{size}"


# -- first use of an API area (the first_* scenarios): one small, realistic object per area ---------------
def batch_object() -> dict[str, object]:
    return {
        "id": "batch_bench", "object": "batch", "endpoint": "/v1/chat/completions", "errors": None,
        "input_file_id": "file-in", "completion_window": "24h", "status": "completed",
        "output_file_id": "file-out", "error_file_id": None, "created_at": CREATED,
        "in_progress_at": CREATED + 1, "expires_at": CREATED + 86400, "finalizing_at": CREATED + 50,
        "completed_at": CREATED + 60, "failed_at": None, "expired_at": None, "cancelling_at": None,
        "cancelled_at": None, "request_counts": {"total": 10, "completed": 10, "failed": 0},
        "metadata": {"run": "bench"},
    }  # fmt: skip


def fine_tuning_jobs_page() -> dict[str, object]:
    job = {
        "id": "ftjob-bench", "object": "fine_tuning.job", "created_at": CREATED, "error": None,
        "fine_tuned_model": None, "finished_at": None, "model": MODEL_SNAPSHOT, "organization_id": "org-bench",
        "result_files": [], "status": "running", "validation_file": None, "training_file": "file-train",
        "trained_tokens": None, "seed": 42, "integrations": None, "estimated_finish": None,
        "hyperparameters": {"batch_size": "auto", "learning_rate_multiplier": "auto", "n_epochs": 3},
        "method": {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 3}}},
        "metadata": None,
    }  # fmt: skip
    return {"object": "list", "data": [job], "has_more": False}


def vector_store_object() -> dict[str, object]:
    return {
        "id": "vs_bench", "object": "vector_store", "created_at": CREATED, "name": "docs",
        "usage_bytes": 123456, "status": "completed", "last_active_at": CREATED + 5, "metadata": {},
        "file_counts": {"in_progress": 0, "completed": 3, "failed": 0, "cancelled": 0, "total": 3},
        "expires_after": None, "expires_at": None,
    }  # fmt: skip


def moderation_object() -> dict[str, object]:
    categories = ["harassment", "harassment/threatening", "hate", "hate/threatening", "illicit",
                  "illicit/violent", "self-harm", "self-harm/intent", "self-harm/instructions", "sexual",
                  "sexual/minors", "violence", "violence/graphic"]  # fmt: skip
    return {
        "id": "modr-bench",
        "model": "omni-moderation-latest",
        "results": [
            {
                "flagged": False,
                "categories": {c: False for c in categories},
                "category_scores": {c: 0.0001 for c in categories},
                "category_applied_input_types": {c: ["text"] for c in categories},
            }
        ],
    }


def model_object() -> dict[str, object]:
    return {"id": MODEL, "object": "model", "created": CREATED, "owned_by": "system"}
