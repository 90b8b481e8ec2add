"""A local OpenAI-compatible server that runs offline (``openai-kit serve``).

It speaks the API's wire format, keeps state in memory or on disk, and answers with small
deterministic test models (not language models). Needs the ``server`` extra (starlette, uvicorn).
"""

from __future__ import annotations

from .app import create_app, serve
from .settings import ServerSettings

__all__ = ["ServerSettings", "create_app", "serve"]
