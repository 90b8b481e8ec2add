"""Usage numbers for chat, completions, responses and runs."""

from __future__ import annotations

from typing import Any

from .models import Reply, Turn
from .tokens import count_tokens


def prompt_tokens(turns: list[Turn]) -> int:
    total = 3
    for turn in turns:
        total += 3 + count_tokens(turn.content)
        total += sum(count_tokens(c.name) + count_tokens(c.arguments) for c in turn.tool_calls)
    return total


def reply_tokens(reply: Reply) -> int:
    total = count_tokens(reply.text or "")
    total += sum(count_tokens(c.name) + count_tokens(c.arguments) for c in reply.tool_calls)
    return max(total, 1)


def chat_usage(prompt: int, completion: int) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def response_usage(prompt: int, completion: int) -> dict[str, Any]:
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": completion,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": prompt + completion,
    }
