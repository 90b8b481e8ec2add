"""The built-in models: deterministic test models, not language models.

- ``echo``: replies with the last user message.
- ``tool-caller``: calls the first offered function tool with schema-valid arguments, then answers
  using the tool output.
- ``scripted``: replies from a user-supplied JSON file (only listed when the server has one).
- ``hash-embedding``: embeddings from hashed character n-grams.
- ``keyword-moderation``: flags text by keyword lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import APIError
from ..settings import Settings
from .base import ChatModel, GenerationRequest, OutputFormat, Reply, ToolCall, ToolSpec, Turn
from .echo import EchoModel
from .scripted import ScriptedModel, ScriptError
from .tool_caller import ToolCallerModel

__all__ = [
    "EMBEDDING_MODEL",
    "MODERATION_MODEL",
    "ChatModel",
    "GenerationRequest",
    "ModelInfo",
    "ModelRegistry",
    "OutputFormat",
    "Reply",
    "ScriptError",
    "ScriptedModel",
    "ToolCall",
    "ToolSpec",
    "Turn",
]

EMBEDDING_MODEL = "hash-embedding"
MODERATION_MODEL = "keyword-moderation"
_CREATED = 1_700_000_000


@dataclass(frozen=True)
class ModelInfo:
    id: str
    kind: str  # chat | embedding | moderation

    def as_object(self) -> dict[str, object]:
        return {"id": self.id, "object": "model", "created": _CREATED, "owned_by": "openai-kit"}


class ModelRegistry:
    def __init__(self, settings: Settings) -> None:
        self.chat_models: dict[str, ChatModel] = {"echo": EchoModel(), "tool-caller": ToolCallerModel()}
        if settings.script_path is not None:
            self.chat_models["scripted"] = ScriptedModel(settings.script_path)
        if settings.llm is not None:
            from .llm import LlamaModel

            gguf = None if settings.llm == "smollm2" else Path(settings.llm)
            llm = LlamaModel(gguf, model_id="smollm2" if gguf is None else gguf.stem)
            self.chat_models[llm.id] = llm
        self.infos = [ModelInfo(m, "chat") for m in self.chat_models]
        self.infos += [ModelInfo(EMBEDDING_MODEL, "embedding"), ModelInfo(MODERATION_MODEL, "moderation")]

    def info(self, model_id: str) -> ModelInfo | None:
        return next((m for m in self.infos if m.id == model_id), None)

    def require(self, model_id: str, kind: str, param: str = "model") -> ModelInfo:
        info = self.info(model_id)
        if info is None:
            raise APIError(
                404,
                f"The model '{model_id}' does not exist. Built-in models: "
                + ", ".join(m.id for m in self.infos)
                + ".",
                param=param,
                code="model_not_found",
            )
        if info.kind != kind:
            raise APIError(
                400,
                f"The model '{model_id}' is a {info.kind} model and cannot be used here.",
                param=param,
                code="invalid_model",
            )
        return info

    def chat(self, model_id: str, param: str = "model") -> ChatModel:
        self.require(model_id, "chat", param)
        return self.chat_models[model_id]

    def add_alias(self, model_id: str, builtin: str) -> None:
        """Serve ``model_id`` (a fine-tuned model) with the built-in chat model ``builtin`` and list it."""
        self.chat_models[model_id] = self.chat_models.get(builtin) or self.chat_models["echo"]
        self.infos = [m for m in self.infos if m.id != model_id] + [ModelInfo(model_id, "chat")]

    def remove_alias(self, model_id: str) -> None:
        self.chat_models.pop(model_id, None)
        self.infos = [m for m in self.infos if m.id != model_id]
