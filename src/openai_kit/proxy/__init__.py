"""Key-keeping proxy: front ends call it with their own session token, it forwards to the OpenAI API
(or Azure OpenAI) with the real key. See :func:`create_proxy_app` and ``openai-kit proxy --help``.

Needs the ``proxy`` extra: ``pip install 'openai-kit[proxy]'``.
"""

from __future__ import annotations

from .access_log import ACCESS_LOGGER
from .app import create_proxy_app
from .auth import AuthError, TokenFile, load_auth_hook, token_id
from .config import AuthHook, ProxyConfig

__all__ = [
    "ACCESS_LOGGER",
    "AuthError",
    "AuthHook",
    "ProxyConfig",
    "TokenFile",
    "create_proxy_app",
    "load_auth_hook",
    "token_id",
]
