"""Azure OpenAI clients.

URLs take Azure's shape: ``{endpoint}/openai/deployments/{deployment}/{operation}?api-version=...``.
When no ``azure_deployment`` is given, operations that Azure routes per deployment (chat, completions,
embeddings, audio, images) use the request's ``model`` as the deployment name. Everything Azure does
differently is in :class:`openai_kit._provider.AzureProvider`; these classes only gather its arguments.

Authentication, in order: ``api_key`` (sent as the ``api-key`` header), ``azure_ad_token`` (an Entra ID
bearer token), or ``azure_ad_token_provider`` (called before every attempt; may be async with the async
client). Settings also come from ``AZURE_OPENAI_API_KEY``, ``AZURE_OPENAI_ENDPOINT``,
``OPENAI_API_VERSION`` and ``AZURE_OPENAI_AD_TOKEN``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from typing_extensions import Unpack

from ._base_client import ClientOptions
from ._client import AsyncOpenAI, OpenAI
from ._provider import AZURE_DEPLOYMENT_PATHS, AzureProvider

__all__ = ["DEPLOYMENT_PATHS", "AsyncAzureOpenAI", "AzureOpenAI"]

DEPLOYMENT_PATHS = AZURE_DEPLOYMENT_PATHS


def _azure_options(
    options: ClientOptions,
    *,
    azure_endpoint: str | None,
    resource_name: str | None,
    azure_deployment: str | None,
    api_version: str | None,
    api_key: Any,
    azure_ad_token: str | None,
    azure_ad_token_provider: Any,
) -> tuple[Any, AzureProvider, ClientOptions]:
    provider, base_url, credential = AzureProvider.resolve(
        azure_endpoint=azure_endpoint,
        resource_name=resource_name,
        azure_deployment=azure_deployment,
        api_version=api_version,
        api_key=api_key,
        azure_ad_token=azure_ad_token,
        azure_ad_token_provider=azure_ad_token_provider,
        base_url=options.get("base_url"),
    )
    return credential, provider, {**options, "base_url": base_url}


class AzureOpenAI(OpenAI):
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
        **options: Unpack[ClientOptions],
    ) -> None:
        credential, provider, opts = _azure_options(
            options,
            azure_endpoint=azure_endpoint,
            resource_name=resource_name,
            azure_deployment=azure_deployment,
            api_version=api_version,
            api_key=api_key,
            azure_ad_token=azure_ad_token,
            azure_ad_token_provider=azure_ad_token_provider,
        )
        super().__init__(api_key=credential, provider=provider, **opts)


class AsyncAzureOpenAI(AsyncOpenAI):
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
        **options: Unpack[ClientOptions],
    ) -> None:
        credential, provider, opts = _azure_options(
            options,
            azure_endpoint=azure_endpoint,
            resource_name=resource_name,
            azure_deployment=azure_deployment,
            api_version=api_version,
            api_key=api_key,
            azure_ad_token=azure_ad_token,
            azure_ad_token_provider=azure_ad_token_provider,
        )
        super().__init__(api_key=credential, provider=provider, **opts)
