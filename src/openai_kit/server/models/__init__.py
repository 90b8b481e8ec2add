"""The built-in models: deterministic test models, not language models.

- ``echo``: replies with the last user message.
- ``tool-caller``: calls the first offered function tool with schema-valid arguments, then answers
  using the tool output.
- ``scripted``: replies from a user-supplied JSON file (only listed when the server has one).
- ``hash-embedding``: embeddings from hashed character n-grams.
- ``keyword-moderation``: flags text by keyword lists.

Real model names work too: chat and Responses names (``gpt-*``, ``o1``/``o3``/``o4*``, ``chatgpt-*``, any
name no pattern claims) are answered by ``echo``, ``text-embedding-*`` by ``hash-embedding``,
``*moderation*`` by ``keyword-moderation``; ``ServerSettings.model_map`` (``--model-map NAME=BUILTIN``) chooses
otherwise. Replies carry the name that was requested.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import RequestError
from ..settings import ServerSettings
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
    "ModelMapError",
    "ModelRegistry",
    "OutputFormat",
    "Reply",
    "ScriptError",
    "ScriptedModel",
    "ToolCall",
    "ToolSpec",
    "Turn",
    "name_kind",
    "parse_model_map",
]

EMBEDDING_MODEL = "hash-embedding"
MODERATION_MODEL = "keyword-moderation"
#: the built-ins of the images and audio endpoints (server/imaging.py, server/audio.py)
SPEECH_MODEL = "local-speech"
TRANSCRIPTION_MODEL = "local-transcription"
IMAGE_MODEL = "local-image"
DEFAULT_CHAT_MODEL = "echo"
_CREATED = 1_700_000_000

#: The kind of model a real model name asks for, by pattern (first match wins). Names matching none of
#: these are chat names (served by ``echo`` unless ``--model-map`` says otherwise).
NAME_KINDS: tuple[tuple[str, str], ...] = (
    ("text-embedding-*", "embedding"),
    ("*moderation*", "moderation"),
    ("tts-*", "speech"),
    ("*-tts*", "speech"),
    ("whisper-*", "transcription"),
    ("*-transcribe*", "transcription"),
    ("gpt-image-*", "image"),
    ("dall-e-*", "image"),
)

#: Real model names listed by ``/v1/models`` next to the built-ins (any other name works as well).
WELL_KNOWN_NAMES: tuple[str, ...] = (
    "gpt-4o",
    "gpt-4o-mini",
    "gpt-4.1",
    "gpt-4.1-mini",
    "gpt-5",
    "gpt-5-mini",
    "o3",
    "o4-mini",
    "text-embedding-3-small",
    "text-embedding-3-large",
    "omni-moderation-latest",
    "tts-1",
    "gpt-4o-mini-tts",
    "whisper-1",
    "gpt-4o-transcribe",
    "gpt-image-1",
    "dall-e-3",
)


class ModelMapError(ValueError):
    """A ``model_map`` entry names a model the server does not have."""


@dataclass(frozen=True)
class ModelInfo:
    id: str
    kind: str  # chat | embedding | moderation (speech | transcription | image when a built-in exists)
    #: the built-in that answers for this name (``id`` itself for a built-in)
    builtin: str = ""

    def as_object(self) -> dict[str, object]:
        return {"id": self.id, "object": "model", "created": _CREATED, "owned_by": "openai-kit"}


def name_kind(name: str) -> str:
    """The kind of model a real model name asks for (``chat`` when no pattern matches)."""
    lowered = name.lower()
    return next((kind for pattern, kind in NAME_KINDS if fnmatch.fnmatchcase(lowered, pattern)), "chat")


def parse_model_map(entries: Iterable[str]) -> dict[str, str]:
    """``["gpt-4o=tool-caller", ...]`` -> ``{"gpt-4o": "tool-caller"}``; ``ValueError`` on a bad entry."""
    result: dict[str, str] = {}
    for entry in entries:
        name, sep, builtin = entry.partition("=")
        if not sep or not name.strip() or not builtin.strip():
            raise ValueError(f"expected NAME=BUILTIN (e.g. gpt-4o=tool-caller), got {entry!r}")
        result[name.strip()] = builtin.strip()
    return result


class ModelRegistry:
    def __init__(self, settings: ServerSettings) -> None:
        self.chat_models: dict[str, ChatModel] = {"echo": EchoModel(), "tool-caller": ToolCallerModel()}
        if settings.script_path is not None:
            self.chat_models["scripted"] = ScriptedModel(settings.script_path)
        if settings.llm is not None:
            from .llm import LlamaModel

            gguf = None if settings.llm == "smollm2" else Path(settings.llm)
            llm = LlamaModel(gguf, model_id="smollm2" if gguf is None else gguf.stem)
            self.chat_models[llm.id] = llm
        self.builtins = [ModelInfo(m, "chat", m) for m in self.chat_models]
        self.builtins += [
            ModelInfo(EMBEDDING_MODEL, "embedding", EMBEDDING_MODEL),
            ModelInfo(MODERATION_MODEL, "moderation", MODERATION_MODEL),
            ModelInfo(SPEECH_MODEL, "speech", SPEECH_MODEL),
            ModelInfo(TRANSCRIPTION_MODEL, "transcription", TRANSCRIPTION_MODEL),
            ModelInfo(IMAGE_MODEL, "image", IMAGE_MODEL),
        ]
        by_id = {m.id: m for m in self.builtins}
        self.mapped: dict[str, ModelInfo] = {}
        for name, target in dict(settings.model_map).items():
            builtin = by_id.get(target)
            if builtin is None:
                raise ModelMapError(
                    f"cannot map {name!r} to {target!r}: no such built-in model "
                    f"(built-ins: {', '.join(by_id)})"
                )
            self.mapped[name] = ModelInfo(name, builtin.kind, builtin.id)
        self.defaults: dict[str, str] = {
            "chat": DEFAULT_CHAT_MODEL,
            "embedding": EMBEDDING_MODEL,
            "moderation": MODERATION_MODEL,
            "speech": SPEECH_MODEL,
            "transcription": TRANSCRIPTION_MODEL,
            "image": IMAGE_MODEL,
        }
        listed = [*self.builtins, *self.mapped.values()]
        for name in WELL_KNOWN_NAMES:
            info = self.resolve(name)
            if info is not None and name not in by_id and name not in self.mapped:
                listed.append(info)
        #: what ``/v1/models`` lists: built-ins, ``model_map`` names and common real names
        self.infos = listed

    def resolve(self, model_id: str) -> ModelInfo | None:
        """The model answering for ``model_id``: a ``model_map`` entry, a built-in, or a real name whose
        pattern has a default built-in; ``None`` for a name of a kind no built-in serves. Names that match
        no pattern are chat names (see :meth:`require`)."""
        info = self.mapped.get(model_id) or next((m for m in self.builtins if m.id == model_id), None)
        if info is not None:
            return info
        kind = name_kind(model_id)
        builtin = self.defaults.get(kind)
        if builtin is None or (kind == "chat" and not _looks_like_chat_name(model_id)):
            return None
        return ModelInfo(model_id, kind, builtin)

    def info(self, model_id: str) -> ModelInfo | None:
        return self.resolve(model_id)

    def require(self, model_id: str, kind: str, param: str = "model") -> ModelInfo:
        info = self.resolve(model_id)
        if (
            info is None
            and kind == "chat"
            and name_kind(model_id) == "chat"
            and not model_id.startswith("ft:")
        ):
            # any other name is a chat name; a fine-tuned model exists only once a job made it
            info = ModelInfo(model_id, "chat", self.defaults["chat"])
        if info is None:
            wanted = name_kind(model_id)
            hint = (
                f"it names a {wanted} model and this server has no built-in {wanted} model"
                if wanted != "chat"
                else "it is not a built-in and not a known real model name"
            )
            raise RequestError(
                404,
                f"The model '{model_id}' does not exist on this local server: {hint}. Built-in models: "
                + ", ".join(m.id for m in self.builtins)
                + " (map a name with --model-map NAME=BUILTIN).",
                param=param,
                code="model_not_found",
            )
        if info.kind != kind:
            served = f" (served by '{info.builtin}')" if info.builtin != info.id else ""
            raise RequestError(
                400,
                f"The model '{model_id}'{served} is a {info.kind} model and cannot be used here.",
                param=param,
                code="invalid_model",
            )
        return info

    def chat(self, model_id: str, param: str = "model") -> ChatModel:
        return self.chat_models[self.require(model_id, "chat", param).builtin]

    def chat_or_none(self, model_id: object) -> ChatModel | None:
        """The chat model for ``model_id`` without raising (``None`` when it has none)."""
        if not isinstance(model_id, str):
            return None
        try:
            return self.chat(model_id)
        except RequestError:
            return None

    def add_alias(self, model_id: str, builtin: str) -> None:
        """Serve ``model_id`` (a fine-tuned model) with the built-in chat model ``builtin`` and list it."""
        target = builtin if builtin in self.chat_models else DEFAULT_CHAT_MODEL
        self.mapped[model_id] = ModelInfo(model_id, "chat", target)
        self.infos = [m for m in self.infos if m.id != model_id] + [self.mapped[model_id]]

    def remove_alias(self, model_id: str) -> None:
        self.mapped.pop(model_id, None)
        self.infos = [m for m in self.infos if m.id != model_id]


#: name prefixes of the API's chat and Responses models (``/v1/models/{id}`` finds these)
_CHAT_PREFIXES = ("gpt-", "chatgpt-", "o1", "o3", "o4", "davinci-", "babbage-", "codex-", "computer-use-")


def _looks_like_chat_name(name: str) -> bool:
    return name.lower().startswith(_CHAT_PREFIXES)
