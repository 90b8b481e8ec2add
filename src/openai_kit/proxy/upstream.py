"""Where requests go: the upstream URL for an incoming ``/v1`` path, and the headers that carry the key.

OpenAI (or any OpenAI-compatible upstream): ``/v1/<rest>?<query>`` -> ``<upstream_url>/<rest>?<query>``
with ``Authorization: Bearer <key>`` plus ``OpenAI-Organization`` / ``OpenAI-Project`` when configured.

Azure OpenAI: the deployment routes (chat/completions, completions, embeddings, audio/*, images/*) go to
``<endpoint>/openai/deployments/<deployment>/<rest>?<query>&api-version=<version>``; every other route to
``<endpoint>/openai/<rest>?<query>&api-version=<version>``; the realtime websocket to
``<endpoint>/openai/realtime?api-version=<version>&deployment=<deployment>``. The key goes in ``api-key``.
The deployment is ``ProxyConfig.azure_deployment`` when set, else the request's ``model``.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from .._errors import ConfigError
from .._provider import AZURE_DEPLOYMENT_PATHS, AzureProvider, OpenAIProvider, Provider
from .config import ProxyConfig

__all__ = ["AZURE_DEPLOYMENT_ROUTES", "Upstream"]

#: the routes below ``/v1/`` that Azure serves per deployment (the provider's list, without the slash)
AZURE_DEPLOYMENT_ROUTES = frozenset(p.lstrip("/") for p in AZURE_DEPLOYMENT_PATHS)


class Upstream:
    def __init__(self, config: ProxyConfig) -> None:
        self.azure = config.is_azure
        base = config.upstream_url.rstrip("/")
        if self.azure:
            if base.endswith("/openai"):
                base = base[: -len("/openai")]
            self.base = base + "/openai"
            self.api_version = config.azure_api_version
            self.deployment = config.azure_deployment
            provider: Provider = AzureProvider(config.azure_api_version, config.azure_deployment)
            self.headers: tuple[tuple[str, str], ...] = tuple(provider.auth_headers(config.api_key).items())
        else:
            self.base = base
            self.api_version = ""
            self.deployment = None
            headers = list(OpenAIProvider().auth_headers(config.api_key).items())
            if config.organization:
                headers.append(("OpenAI-Organization", config.organization))
            if config.project:
                headers.append(("OpenAI-Project", config.project))
            self.headers = tuple(headers)
        self.ws_base = "ws" + self.base[4:] if self.base.startswith("http") else self.base
        parts = urlsplit(self.base)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.base_path = parts.path
        for _, value in self.headers:
            if "\r" in value or "\n" in value:
                raise ConfigError("the API key, organization and project must not contain line breaks")

    def needs_deployment(self, rest: str) -> bool:
        """Whether ``rest`` (the path after ``/v1/``) needs a deployment that must come from the body."""
        return self.azure and self.deployment is None and rest.strip("/") in AZURE_DEPLOYMENT_ROUTES

    def _azure_query(self, query: str, **extra: str) -> str:
        pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "api-version"]
        pairs.append(("api-version", self.api_version))
        pairs.extend(extra.items())
        return urlencode(pairs)

    def http_target(self, raw_rest: str, query: str, model: str | None = None) -> str:
        """The request target (encoded path and query) on the upstream origin. ``raw_rest``: the still
        percent-encoded path after ``/v1`` (starting with ``/``); ``query``: the raw query string."""
        if not self.azure:
            return f"{self.base_path}{raw_rest}?{query}" if query else f"{self.base_path}{raw_rest}"
        if raw_rest.strip("/") in AZURE_DEPLOYMENT_ROUTES:
            deployment = self.deployment or model or ""
            raw_rest = f"/deployments/{quote(deployment, safe='')}{raw_rest}"
        return f"{self.base_path}{raw_rest}?{self._azure_query(query)}"

    def http_url(self, raw_rest: str, query: str, model: str | None = None) -> str:
        return self.origin + self.http_target(raw_rest, query, model)

    def realtime_url(self, query: str) -> str:
        if not self.azure:
            return f"{self.ws_base}/realtime?{query}" if query else f"{self.ws_base}/realtime"
        pairs = dict(parse_qsl(query, keep_blank_values=True))
        deployment = self.deployment or pairs.pop("model", "") or pairs.get("deployment", "")
        pairs.pop("deployment", None)
        return f"{self.ws_base}/realtime?{self._azure_query(urlencode(pairs), deployment=deployment)}"
