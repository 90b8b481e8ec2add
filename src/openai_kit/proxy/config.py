"""Proxy configuration: one frozen dataclass, resolved from the usual sources."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .._config import resolve_settings
from .._errors import ConfigError, MissingAPIKeyError

__all__ = ["DEFAULT_AZURE_API_VERSION", "DEFAULT_UPSTREAM", "MULTIPART_ALLOWANCE", "AuthHook", "ProxyConfig"]

DEFAULT_UPSTREAM = "https://api.openai.com/v1"
DEFAULT_AZURE_API_VERSION = "2024-10-21"
#: how much a multipart/form-data body may exceed ``max_body_size``: boundaries, part headers and fields
MULTIPART_ALLOWANCE = 1024 * 1024

#: The authentication hook: receives the incoming request's headers (a case-insensitive mapping), returns
#: normally (or its awaitable resolves) to allow, raises to reject.
AuthHook = Callable[[Mapping[str, str]], "Awaitable[None] | None"]


def _is_azure_host(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host.endswith((".openai.azure.com", ".cognitiveservices.azure.com", ".services.ai.azure.com"))


@dataclass(frozen=True)
class ProxyConfig:
    """Everything the proxy needs; the app keeps no other state.

    ``upstream_url`` is the upstream base URL that ``/v1`` maps to (``https://api.openai.com/v1``), or for
    Azure the resource endpoint (``https://NAME.openai.azure.com``). ``azure`` defaults to whether the host
    is an Azure OpenAI host. With Azure, ``azure_deployment`` fixes the deployment; when it is ``None`` the
    deployment is the request's ``model`` (JSON body, or the ``model`` query parameter of ``/v1/realtime``).

    ``token_file`` and ``auth`` may both be set: a request must pass both. With neither, the app refuses
    to start unless ``allow_anonymous`` is true (which forwards any request with the real key: only for
    local development).
    """

    api_key: str = field(repr=False)
    upstream_url: str = DEFAULT_UPSTREAM
    organization: str | None = None
    project: str | None = None
    azure: bool | None = None
    azure_api_version: str = DEFAULT_AZURE_API_VERSION
    azure_deployment: str | None = None
    token_file: str | None = None
    auth: AuthHook | None = None
    allow_anonymous: bool = False
    #: largest request body; a ``multipart/form-data`` body may exceed it by ``MULTIPART_ALLOWANCE`` (the
    #: form's framing and fields), so that a file of exactly this size uploads
    max_body_size: int = 512 * 1024 * 1024
    connect_timeout: float = 10.0
    #: longest silence while waiting for the upstream's response or its next bytes
    read_timeout: float = 600.0
    #: requests per minute per session token (``None``: no limit); ``rate_limit_burst`` defaults to it
    rate_limit: float | None = None
    rate_limit_burst: int | None = None
    #: upstream connections in use at once, over all tokens
    max_connections: int = 1000
    #: longest wait for one of the ``max_connections`` before answering 503
    upstream_wait: float = 2.0
    #: requests (and websockets) one token may have in flight; ``None``: no limit. Over it: 429 at once
    max_concurrent_per_token: int | None = 100
    #: the request line (method, target, version), answered with 414 when longer
    max_request_line: int = 16 * 1024
    #: the request line and headers together, answered with 431 when larger (before authentication)
    max_header_size: int = 64 * 1024
    #: longest time to receive a request's headers, from the connection's start or the end of the
    #: previous response; answered with 408
    header_timeout: float = 10.0
    #: upstream response headers larger than this make the response a 502
    max_upstream_header_size: int = 64 * 1024
    ws_max_message_size: int = 16 * 1024 * 1024
    cors_origins: tuple[str, ...] = ()
    #: log one line per request to the ``openai_kit.proxy.access`` logger
    access_log: bool = True
    #: share the per-token rate and concurrency limits with every proxy using this Redis (and
    #: ``redis_prefix``); ``None``: limits are per process. May hold a password: never shown.
    redis_url: str | None = field(default=None, repr=False)
    redis_prefix: str = "openai-kit:proxy"
    #: longest wait for Redis before answering 503 (``limits_unavailable``)
    redis_timeout: float = 1.0
    #: a concurrency slot not refreshed for this long (its proxy process died) stops counting
    redis_slot_ttl: float = 30.0

    def __post_init__(self) -> None:
        if not self.api_key:
            raise ConfigError("ProxyConfig needs the upstream API key")
        parts = urlsplit(self.upstream_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError("upstream URL must be an absolute http:// or https:// URL")
        if self.max_body_size <= 0:
            raise ConfigError("max_body_size must be positive")
        if self.rate_limit is not None and self.rate_limit <= 0:
            raise ConfigError("rate_limit must be positive")
        if min(self.connect_timeout, self.read_timeout, self.header_timeout, self.upstream_wait) <= 0:
            raise ConfigError(
                "connect_timeout, read_timeout, header_timeout and upstream_wait must be positive"
            )
        for name in ("max_connections", "max_request_line", "max_header_size", "max_upstream_header_size"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be positive")
        if self.max_concurrent_per_token is not None and self.max_concurrent_per_token <= 0:
            raise ConfigError("max_concurrent_per_token must be positive (or None for no limit)")
        if self.redis_url is not None and urlsplit(self.redis_url).scheme not in ("redis", "rediss", "unix"):
            raise ConfigError("redis_url must be a redis://, rediss:// or unix:// URL")
        if self.redis_timeout <= 0 or self.redis_slot_ttl <= 0:
            raise ConfigError("redis_timeout and redis_slot_ttl must be positive")
        if self.max_request_line > self.max_header_size:
            raise ConfigError("max_request_line must not exceed max_header_size")

    @property
    def is_azure(self) -> bool:
        return _is_azure_host(self.upstream_url) if self.azure is None else self.azure

    @classmethod
    def from_sources(
        cls,
        *,
        api_key: str | None = None,
        organization: str | None = None,
        project: str | None = None,
        upstream_url: str | None = None,
        config_file: str | os.PathLike[str] | None = None,
        **options: Any,
    ) -> ProxyConfig:
        """Resolve the key, organization, project and upstream from arguments > ``.openai`` > environment.

        The upstream is ``upstream_url``, else the configured base URL, else the OpenAI API.
        Raises :class:`~openai_kit.MissingAPIKeyError` when no key is found. ``options`` are the other
        fields.
        """
        settings = resolve_settings(
            api_key=api_key,
            organization=organization,
            project=project,
            base_url=upstream_url,
            config_file=config_file,
        )
        if not settings.api_key:
            raise MissingAPIKeyError(settings.searched)
        return cls(
            api_key=settings.api_key,
            organization=settings.organization,
            project=settings.project,
            upstream_url=settings.base_url or DEFAULT_UPSTREAM,
            **options,
        )
