"""Deterministic text embeddings from hashed character n-grams (no model download, no numpy).

Equal texts give equal vectors; texts sharing words and spellings score a higher cosine similarity.
This is a test stand-in for an embedding model, not a semantic one.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import struct
from functools import lru_cache

DEFAULT_DIMENSIONS = 256
MAX_DIMENSIONS = 3072
_WORD = re.compile(r"\w+")


def _features(text: str) -> list[tuple[str, float]]:
    norm = " ".join(_WORD.findall(text.lower()))
    feats: list[tuple[str, float]] = [("w:" + w, 2.0) for w in norm.split()]
    padded = f" {norm} "
    for n in (3, 4):
        feats.extend(("c:" + padded[i : i + n], 1.0) for i in range(len(padded) - n + 1))
    return feats


@lru_cache(maxsize=4096)
def _embed(text: str, dimensions: int) -> tuple[float, ...]:
    vec = [0.0] * dimensions
    for feat, weight in _features(text):
        h = int.from_bytes(hashlib.blake2b(feat.encode(), digest_size=8).digest(), "little")
        vec[h % dimensions] += weight if (h >> 63) & 1 == 0 else -weight
    norm = math.sqrt(sum(v * v for v in vec))
    if norm == 0.0:
        return tuple(vec)
    return tuple(round(v / norm, 7) for v in vec)


def embed(text: str, dimensions: int = DEFAULT_DIMENSIONS) -> list[float]:
    """A unit-length vector (all zeros for text without words)."""
    return list(_embed(text, dimensions))


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return 0.0 if na == 0.0 or nb == 0.0 else dot / (na * nb)


def to_base64(vector: list[float]) -> str:
    """Little-endian float32, base64-encoded, as the API sends ``encoding_format="base64"``."""
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
