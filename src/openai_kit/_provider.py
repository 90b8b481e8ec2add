"""Providers: everything that differs between OpenAI and a service that speaks its API differently.

A provider says how a request is authenticated (which header carries the key), which query every request
carries, where an operation's path goes below the base URL, and where the realtime websocket is. The
client's pipeline, ``client.realtime.connect()`` and the proxy all ask the provider, so adding a service
with its own conventions is one subclass of :class:`Provider` (pass it as ``OpenAI(provider=...)``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from ._errors import ConfigError

__all__ = ["AZURE_DEPLOYMENT_PATHS", "AzureProvider", "OpenAIProvider", "Provider"]

#: operations Azure serves under /deployments/{deployment} (paths below the API base)
AZURE_DEPLOYMENT_PATHS = frozenset(
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


class Provider:
    """OpenAI's conventions; subclasses override what their service does differently."""

    name = "openai"

    def auth_headers(self, key: str) -> dict[str, str]:
        """The headers that carry ``key``."""
        return {"authorization": f"Bearer {key}"}

    def default_query(self) -> dict[str, object]:
        """Query parameters every request carries."""
        return {}

    def route(self, path: str, body: object) -> str:
        """The path below the base URL for the operation at ``path`` (with its JSON ``body``)."""
        return path

    def websocket_url(self, base_url: str, path: str, query: Mapping[str, object]) -> str:
        """The websocket URL of ``path`` below the API base (``base_url``: the client's, http(s))."""
        q: dict[str, object] = {**self.default_query(), **query}
        return _ws(base_url) + path + (f"?{urlencode(q)}" if q else "")

    def realtime_url(self, base_url: str, model: str | None, query: Mapping[str, object]) -> str:
        """The websocket URL of a realtime session."""
        return self.websocket_url(base_url, "/realtime", {**({"model": model} if model else {}), **query})


class OpenAIProvider(Provider):
    """api.openai.com and the servers that copy it (llama.cpp, vLLM, Ollama, LiteLLM, ...)."""


@dataclass(frozen=True)
class AzureProvider(Provider):
    """Azure OpenAI: ``api-key`` header (or an Entra ID bearer token), ``api-version`` on every request,
    and the deployment in the path of the deployment routes (``deployment``, else the request's
    ``model``) and in the realtime query."""

    api_version: str
    deployment: str | None = None
    bearer: bool = False  # an Entra ID token instead of an api key
    name = "azure"

    def auth_headers(self, key: str) -> dict[str, str]:
        return {"authorization": f"Bearer {key}"} if self.bearer else {"api-key": key}

    def default_query(self) -> dict[str, object]:
        return {"api-version": self.api_version}

    def route(self, path: str, body: object) -> str:
        if self.deployment is None and path in AZURE_DEPLOYMENT_PATHS and isinstance(body, Mapping):
            model = body.get("model")
            if isinstance(model, str) and model:
                return f"/deployments/{quote(model, safe='')}{path}"
        return path

    def realtime_url(self, base_url: str, model: str | None, query: Mapping[str, object]) -> str:
        q: dict[str, object] = {**self.default_query(), **({"model": model} if model else {}), **query}
        deployment = self.deployment or model
        if deployment:
            q.setdefault("deployment", deployment)
        return _ws(base_url) + "/realtime" + (f"?{urlencode(q)}" if q else "")

    @classmethod
    def resolve(
        cls,
        *,
        azure_endpoint: str | None,
        resource_name: str | None,
        azure_deployment: str | None,
        api_version: str | None,
        api_key: Any,
        azure_ad_token: str | None,
        azure_ad_token_provider: Any,
        base_url: str | None,
    ) -> tuple[AzureProvider, str, Any]:
        """Arguments and ``AZURE_OPENAI_*`` / ``OPENAI_API_VERSION`` -> (provider, base URL, credential)."""
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
        credential = api_key if api_key is not None else (azure_ad_token_provider or azure_ad_token)
        provider = cls(api_version=api_version, deployment=azure_deployment, bearer=api_key is None)
        return provider, base_url, credential


def _ws(base_url: str) -> str:
    """``http(s)://...`` -> ``ws(s)://...``."""
    if base_url.startswith("https://"):
        return "wss://" + base_url[len("https://") :]
    if base_url.startswith("http://"):
        return "ws://" + base_url[len("http://") :]
    return base_url
