"""Providers: a service with its own conventions is one subclass, and the client asks it for the auth
header, the routes, the query and the realtime URL."""

from __future__ import annotations

from collections.abc import Mapping

import openai_kit
from openai_kit import MockResponse, MockTransport, Provider, Request


class GatewayProvider(Provider):
    """A made-up gateway: its own key header, a tenant in every query, models routed by path."""

    name = "gateway"

    def auth_headers(self, key: str) -> dict[str, str]:
        return {"x-gateway-key": key}

    def default_query(self) -> dict[str, object]:
        return {"tenant": "acme"}

    def route(self, path: str, body: object) -> str:
        if path == "/chat/completions" and isinstance(body, Mapping):
            return f"/models/{body['model']}{path}"
        return path


def test_a_custom_provider_is_one_class() -> None:
    seen: list[Request] = []

    def handler(request: Request) -> MockResponse:
        seen.append(request)
        return MockResponse(json={"object": "list", "data": []})

    client = openai_kit.OpenAI(
        api_key="gw-secret",
        base_url="https://gateway.example/api",
        provider=GatewayProvider(),
        http_client=MockTransport(handler),
    )
    client.post("/chat/completions", body={"model": "m1", "messages": []})
    client.models.list()
    assert seen[0].url == "https://gateway.example/api/models/m1/chat/completions?tenant=acme"
    assert seen[0].headers["x-gateway-key"] == "gw-secret" and "authorization" not in seen[0].headers
    assert seen[1].url == "https://gateway.example/api/models?tenant=acme"
    assert client.provider.name == "gateway"
    # views keep the provider
    assert client.with_options(timeout=3).provider is client.provider
    assert GatewayProvider().realtime_url("https://gateway.example/api", "rt", {"tenant": "acme"}) == (
        "wss://gateway.example/api/realtime?tenant=acme&model=rt"
    )


def test_azure_is_a_provider_too() -> None:
    seen: list[Request] = []
    client = openai_kit.AzureOpenAI(
        azure_endpoint="https://res.openai.azure.com",
        api_version="2024-10-21",
        api_key="az-key",
        http_client=MockTransport(lambda r: seen.append(r) or MockResponse(json={})),
    )
    assert isinstance(client.provider, openai_kit.AzureProvider)
    client.post("/embeddings", body={"model": "emb-deploy", "input": "x"})
    assert seen[0].url == (
        "https://res.openai.azure.com/openai/deployments/emb-deploy/embeddings?api-version=2024-10-21"
    )
    assert seen[0].headers["api-key"] == "az-key"
    assert client.provider.realtime_url(client.base_url, "rt-deploy", client.default_query) == (
        "wss://res.openai.azure.com/openai/realtime?api-version=2024-10-21&model=rt-deploy&deployment=rt-deploy"
    )
