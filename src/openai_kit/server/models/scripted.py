"""``scripted``: replies read from a JSON file the user supplies.

The file holds a list; entry *k* answers the *k*-th assistant turn of a conversation (the last entry
repeats once the script runs out). An entry is a string (the reply text) or an object with
``content`` (text) and/or ``tool_calls`` (a list of ``{"name": ..., "arguments": {...} or "..."}``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from ..ids import new_id
from .base import GenerationRequest, Reply, ToolCall, render


class ScriptError(ValueError):
    pass


class ScriptedModel:
    id = "scripted"
    description = "Replies come from a JSON script file, one entry per assistant turn."

    def __init__(self, path: Path) -> None:
        try:
            entries = orjson.loads(Path(path).read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            raise ScriptError(f"cannot read script {path}: {exc}") from None
        if not isinstance(entries, list) or not entries:
            raise ScriptError(f"script {path} must hold a non-empty JSON list")
        self.entries: list[Any] = [self._check(e, i) for i, e in enumerate(entries)]

    @staticmethod
    def _check(entry: Any, i: int) -> Any:
        if isinstance(entry, str):
            return entry
        if isinstance(entry, dict) and ("content" in entry or "tool_calls" in entry):
            for call in entry.get("tool_calls") or []:
                if not isinstance(call, dict) or not isinstance(call.get("name"), str):
                    raise ScriptError(f"script entry {i}: every tool call needs a 'name'")
            return entry
        raise ScriptError(f"script entry {i} must be a string or an object with 'content' or 'tool_calls'")

    def generate(self, request: GenerationRequest) -> Reply:
        turn = sum(1 for t in request.turns if t.role == "assistant")
        entry = self.entries[min(turn, len(self.entries) - 1)]
        if isinstance(entry, str):
            return render(entry, request)
        calls = []
        for call in entry.get("tool_calls") or []:
            args = call.get("arguments", {})
            calls.append(
                ToolCall(
                    id=new_id("call_"),
                    name=call["name"],
                    arguments=args if isinstance(args, str) else orjson.dumps(args).decode(),
                )
            )
        if calls:
            return Reply(text=entry.get("content"), tool_calls=calls, finish_reason="tool_calls")
        return render(str(entry.get("content") or ""), request)
