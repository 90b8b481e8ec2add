"""aiohttp + pydantic validation of the body: the typed floor of an async client (see typed_models)."""

from __future__ import annotations

from benchmarks.clients.aiohttp_floor import Async as _Untyped
from benchmarks.clients.typed_models import ChatCompletion


class Async(_Untyped):
    @staticmethod
    def content(body: bytes) -> str:
        return ChatCompletion.model_validate_json(body).choices[0].message.content or ""
