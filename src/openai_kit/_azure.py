"""Azure OpenAI clients.

URLs take Azure's shape: ``{endpoint}/openai/deployments/{deployment}/{operation}?api-version=...``.
When no ``azure_deployment`` is given, operations that Azure routes per deployment (chat, completions,
embeddings, audio, images) use the request's ``model`` as the deployment name.

Authentication, in order: ``api_key`` (sent as the ``api-key`` header), ``azure_ad_token`` (an Entra ID
bearer token), or ``azure_ad_token_provider`` (called before every attempt; may be async with the async
client). Settings also come from ``AZURE_OPENAI_API_KEY``, ``AZURE_OPENAI_ENDPOINT``,
``OPENAI_API_VERSION`` and ``AZURE_OPENAI_AD_TOKEN``.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from ._client import DEFAULT_MAX_RETRIES, AsyncOpenAI, OpenAI, _ClientCore
from ._errors import ConfigError
from ._retries import RetryPolicy
from ._timeouts import Timeout
from ._types import NotGiven

__all__ = ["AsyncAzureOpenAI", "AzureOpenAI"]

#: operations Azure serves under /deployments/{deployment}
DEPLOYMENT_PATHS = frozenset(
    {
        "/completions",
        "/chat/completions",
        "/embeddings",
        "/audio/transcriptions",
        "/audio/translations",
        "/audio/speech",
        "/images/generations",
        "/images/edits",
        "/images/variations",
    }
)


class _AzureMixin(_ClientCore):
    _deployment: str | None

    def _azure_init(
        self,
        *,
        azure_endpoint: str | None,
        resource_name: str | None,
        azure_deployment: str | None,
        api_version: str | None,
        api_key: Any,
        azure_ad_token: str | None,
        azure_ad_token_provider: Any,
        base_url: str | None,
        default_query: Mapping[str, object] | None,
    ) -> dict[str, Any]:
        env = os.environ
        api_version = api_version or env.get("OPENAI_API_VERSION")
        if not api_version:
            raise ConfigError("Azure needs an api_version (argument or OPENAI_API_VERSION)")
        if api_key is None and azure_ad_token is None and azure_ad_token_provider is None:
            api_key = env.get("AZURE_OPENAI_API_KEY")
            azure_ad_token = env.get("AZURE_OPENAI_AD_TOKEN") if api_key is None else None
        if api_key is None and azure_ad_token is None and azure_ad_token_provider is None:
            raise ConfigError(
                "Azure needs api_key, azure_ad_token or azure_ad_token_provider "
                "(or AZURE_OPENAI_API_KEY / AZURE_OPENAI_AD_TOKEN)"
            )
        if base_url is None:
            if azure_endpoint is None and resource_name is not None:
                azure_endpoint = f"https://{resource_name}.openai.azure.com"
            azure_endpoint = azure_endpoint or env.get("AZURE_OPENAI_ENDPOINT")
            if not azure_endpoint:
                raise ConfigError("Azure needs azure_endpoint or resource_name (or AZURE_OPENAI_ENDPOINT)")
            base_url = azure_endpoint.rstrip("/") + "/openai"
            if azure_deployment:
                base_url += f"/deployments/{quote(azure_deployment, safe='')}"
        self._deployment = azure_deployment
        self._bearer = api_key is None
        credential = api_key if api_key is not None else (azure_ad_token_provider or azure_ad_token)
        return {
            "api_key": credential,
            "base_url": base_url,
            "default_query": {**(default_query or {}), "api-version": api_version},
        }

    def _auth_headers(self, key: str) -> Mapping[str, str]:
        if self._bearer:
            return {"authorization": f"Bearer {key}"}
        return {"api-key": key}

    def _url_path(self, path: str, body: object) -> str:
        if self._deployment is None and path in DEPLOYMENT_PATHS and isinstance(body, Mapping):
            model = body.get("model")
            if isinstance(model, str) and model:
                return f"/deployments/{quote(model, safe='')}{path}"
        return path


class AzureOpenAI(_AzureMixin, OpenAI):
    def __init__(
        self,
        *,
        azure_endpoint: str | None = None,
        resource_name: str | None = None,
        azure_deployment: str | None = None,
        api_version: str | None = None,
        api_key: str | Callable[[], str] | None = None,
        azure_ad_token: str | None = None,
        azure_ad_token_provider: Callable[[], str] | None = None,
        organization: str | None = None,
        project: str | None = None,
        base_url: str | None = None,
        timeout: float | Timeout | NotGiven | None = NotGiven(),
        max_retries: int = DEFAULT_MAX_RETRIES,
        retry_policy: RetryPolicy | None = None,
        default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, object] | None = None,
        http_client: Any = None,
        event_hooks: Mapping[str, Sequence[Callable[..., Any]]] | None = None,
        strict_response_validation: bool = False,
        _strict_response_validation: bool = False,
    ) -> None:
        cfg = self._azure_init(
            azure_endpoint=azure_endpoint,
            resource_name=resource_name,
            azure_deployment=azure_deployment,
            api_version=api_version,
            api_key=api_key,
            azure_ad_token=azure_ad_token,
            azure_ad_token_provider=azure_ad_token_provider,
            base_url=base_url,
            default_query=default_query,
        )
        OpenAI.__init__(
            self,
            organization=organization,
            project=project,
            timeout=timeout,
            max_retries=max_retries,
            retry_policy=retry_policy,
            default_headers=default_headers,
            http_client=http_client,
            event_hooks=event_hooks,
            strict_response_validation=strict_response_validation or _strict_response_validation,
            **cfg,
        )


class AsyncAzureOpenAI(_AzureMixin, AsyncOpenAI):
    def __init__(
        self,
        *,
        azure_endpoint: str | None = None,
        resource_name: str | None = None,
        azure_deployment: str | None = None,
        api_version: str | None = None,
        api_key: str | Callable[[], str] | Callable[[], Awaitable[str]] | None = None,
        azure_ad_token: str | None = None,
        azure_ad_token_provider: Callable[[], str] | Callable[[], Awaitable[str]] | None = None,
        organization: str | None = None,
        project: str | None = None,
        base_url: str | None = None,
        timeout: float | Timeout | NotGiven | None = NotGiven(),
        max_retries: int = DEFAULT_MAX_RETRIES,
        retry_policy: RetryPolicy | None = None,
        default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, object] | None = None,
        http_client: Any = None,
        event_hooks: Mapping[str, Sequence[Callable[..., Any]]] | None = None,
        strict_response_validation: bool = False,
        _strict_response_validation: bool = False,
    ) -> None:
        cfg = self._azure_init(
            azure_endpoint=azure_endpoint,
            resource_name=resource_name,
            azure_deployment=azure_deployment,
            api_version=api_version,
            api_key=api_key,
            azure_ad_token=azure_ad_token,
            azure_ad_token_provider=azure_ad_token_provider,
            base_url=base_url,
            default_query=default_query,
        )
        AsyncOpenAI.__init__(
            self,
            organization=organization,
            project=project,
            timeout=timeout,
            max_retries=max_retries,
            retry_policy=retry_policy,
            default_headers=default_headers,
            http_client=http_client,
            event_hooks=event_hooks,
            strict_response_validation=strict_response_validation or _strict_response_validation,
            **cfg,
        )
