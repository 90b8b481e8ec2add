"""The official SDK's namespaced client-event methods of a Realtime connection::

    conn.session.update(session={"type": "realtime", "instructions": "Be brief."})
    conn.conversation.item.create(item={"type": "message", "role": "user", "content": [...]})
    conn.response.create()
    conn.input_audio_buffer.append(audio=base64_pcm)

Each method sends the matching client event (``{"type": "session.update", ...}``); arguments left out are
not sent. One source serves both connections: the namespaces are generic in what ``send`` returns
(``None`` for the sync connection, an awaitable for the async one, so ``await conn.response.create()``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

__all__ = ["ClientEvents"]

_R = TypeVar("_R")


class _Namespace(Generic[_R]):
    __slots__ = ("_send",)

    def __init__(self, send: Callable[[dict[str, Any]], _R]) -> None:
        self._send = send

    def _event(self, type_: str, event_id: str | None, **fields: Any) -> _R:
        event: dict[str, Any] = {"type": type_}
        if event_id is not None:
            event["event_id"] = event_id
        event.update({k: v for k, v in fields.items() if v is not None})
        return self._send(event)


class SessionEvents(_Namespace[_R]):
    def update(self, *, session: Mapping[str, Any], event_id: str | None = None) -> _R:
        """``session.update``: change the session's settings."""
        return self._event("session.update", event_id, session=session)


class ResponseEvents(_Namespace[_R]):
    def create(self, *, response: Mapping[str, Any] | None = None, event_id: str | None = None) -> _R:
        """``response.create``: ask the model to respond (with optional per-response settings)."""
        return self._event("response.create", event_id, response=response)

    def cancel(self, *, response_id: str | None = None, event_id: str | None = None) -> _R:
        """``response.cancel``: stop the response in progress (or the given one)."""
        return self._event("response.cancel", event_id, response_id=response_id)


class InputAudioBufferEvents(_Namespace[_R]):
    def append(self, *, audio: str, event_id: str | None = None) -> _R:
        """``input_audio_buffer.append``: base64-encoded audio bytes."""
        return self._event("input_audio_buffer.append", event_id, audio=audio)

    def commit(self, *, event_id: str | None = None) -> _R:
        return self._event("input_audio_buffer.commit", event_id)

    def clear(self, *, event_id: str | None = None) -> _R:
        return self._event("input_audio_buffer.clear", event_id)


class OutputAudioBufferEvents(_Namespace[_R]):
    def clear(self, *, event_id: str | None = None) -> _R:
        return self._event("output_audio_buffer.clear", event_id)


class ConversationItemEvents(_Namespace[_R]):
    def create(
        self, *, item: Mapping[str, Any], previous_item_id: str | None = None, event_id: str | None = None
    ) -> _R:
        return self._event("conversation.item.create", event_id, item=item, previous_item_id=previous_item_id)

    def delete(self, *, item_id: str, event_id: str | None = None) -> _R:
        return self._event("conversation.item.delete", event_id, item_id=item_id)

    def retrieve(self, *, item_id: str, event_id: str | None = None) -> _R:
        return self._event("conversation.item.retrieve", event_id, item_id=item_id)

    def truncate(
        self, *, item_id: str, content_index: int, audio_end_ms: int, event_id: str | None = None
    ) -> _R:
        return self._event(
            "conversation.item.truncate",
            event_id,
            item_id=item_id,
            content_index=content_index,
            audio_end_ms=audio_end_ms,
        )


class ConversationEvents(_Namespace[_R]):
    __slots__ = ("item",)

    def __init__(self, send: Callable[[dict[str, Any]], _R]) -> None:
        super().__init__(send)
        self.item = ConversationItemEvents(send)


class ClientEvents(Generic[_R]):
    """The namespaces of one connection (``conn.session``, ``conn.response``...)."""

    def __init__(self, send: Callable[[dict[str, Any]], _R]) -> None:
        self.session = SessionEvents(send)
        self.response = ResponseEvents(send)
        self.input_audio_buffer = InputAudioBufferEvents(send)
        self.output_audio_buffer = OutputAudioBufferEvents(send)
        self.conversation = ConversationEvents(send)
