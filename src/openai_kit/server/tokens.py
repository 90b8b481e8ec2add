"""A deterministic token counter: words and punctuation marks each count as one token.

It is not a real tokenizer; it makes usage numbers stable and proportional to the text.
"""

from __future__ import annotations

import re

TOKEN_RE = re.compile(r"\w+|[^\w\s]")
_PIECE = re.compile(r"\s*\S+|\s+")


def count_tokens(text: str) -> int:
    return len(TOKEN_RE.findall(text))


def truncate_tokens(text: str, limit: int) -> tuple[str, bool]:
    """The text cut after ``limit`` tokens, and whether it was cut."""
    for i, m in enumerate(TOKEN_RE.finditer(text)):
        if i == limit:
            return text[: m.start()].rstrip(), True
    return text, False


def stream_pieces(text: str) -> list[str]:
    """Split text into word-sized pieces (leading whitespace kept) that join back to the text."""
    return _PIECE.findall(text) or [""]
