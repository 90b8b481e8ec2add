from __future__ import annotations

import pytest

import openai_kit

from .httpserver import Conn, LocalHTTPServer, Req


@pytest.fixture
def echo(server: LocalHTTPServer) -> LocalHTTPServer:
    async def handler(req: Req, conn: Conn) -> None:
        await conn.json(
            {
                "path": req.path,
                "query": req.raw_query,
                "api_key": req.headers.get("api-key"),
                "auth": req.headers.get("authorization"),
            }
        )

    for path in (
        "/openai/deployments/my-gpt/chat/completions",
        "/openai/deployments/gpt-4o/chat/completions",
        "/openai/files",
        "/openai/deployments/my-gpt/files",
    ):
        server.route("POST", path)(handler)
        server.route("GET", path)(handler)
    return server


def endpoint(server: LocalHTTPServer) -> str:
    return f"http://127.0.0.1:{server.port}"


def test_deployment_url_api_version_and_api_key_header(echo: LocalHTTPServer) -> None:
    client = openai_kit.AzureOpenAI(
        azure_endpoint=endpoint(echo), azure_deployment="my-gpt", api_version="2024-10-21", api_key="az-key"
    )
    out = client.post("/chat/completions", body={"model": "ignored", "messages": []})
    assert out == {
        "path": "/openai/deployments/my-gpt/chat/completions",
        "query": "api-version=2024-10-21",
        "api_key": "az-key",
        "auth": None,
    }


def test_model_is_the_deployment_when_none_is_configured(echo: LocalHTTPServer) -> None:
    client = openai_kit.AzureOpenAI(azure_endpoint=endpoint(echo) + "/", api_version="v1", api_key="k")
    assert client.post("/chat/completions", body={"model": "gpt-4o"})["path"] == (
        "/openai/deployments/gpt-4o/chat/completions"
    )
    assert client.get("/files")["path"] == "/openai/files"


def test_entra_token_and_token_provider(echo: LocalHTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    client = openai_kit.AzureOpenAI(azure_endpoint=endpoint(echo), api_version="v1", azure_ad_token="tok")
    out = client.get("/files")
    assert out["auth"] == "Bearer tok" and out["api_key"] is None
    tokens = iter(["t1", "t2"])
    client = openai_kit.AzureOpenAI(
        azure_endpoint=endpoint(echo), api_version="v1", azure_ad_token_provider=lambda: next(tokens)
    )
    assert [client.get("/files")["auth"] for _ in range(2)] == ["Bearer t1", "Bearer t2"]
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", endpoint(echo))
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "env-key")
    monkeypatch.setenv("OPENAI_API_VERSION", "2025-01-01")
    out = openai_kit.AzureOpenAI().get("/files")
    assert out["api_key"] == "env-key" and out["query"] == "api-version=2025-01-01"


async def test_async_azure_with_async_token_provider(echo: LocalHTTPServer) -> None:
    async def provider() -> str:
        return "async-tok"

    client = openai_kit.AsyncAzureOpenAI(
        resource_name="ignored",
        base_url=endpoint(echo) + "/openai",
        api_version="v1",
        azure_ad_token_provider=provider,
    )
    assert (await client.get("/files"))["auth"] == "Bearer async-tok"
    await client.close()


def test_resource_name_builds_the_endpoint_and_missing_settings_are_named() -> None:
    client = openai_kit.AzureOpenAI(resource_name="contoso", api_version="v1", api_key="k")
    assert client.base_url == "https://contoso.openai.azure.com/openai"
    with pytest.raises(openai_kit.ConfigError, match="api_version"):
        openai_kit.AzureOpenAI(resource_name="contoso", api_key="k")
    with pytest.raises(openai_kit.ConfigError, match="azure_endpoint"):
        openai_kit.AzureOpenAI(api_version="v1", api_key="k")
