"""``page.has_next_page()`` / ``get_next_page()`` as in the official SDK, and ``flagged_categories()``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import openai_kit
from openai_kit.server.testing import run_server


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with run_server() as url:
        yield url


def _three_files(client: openai_kit.OpenAI) -> list[str]:
    return [client.files.create(file=(f"f{i}.txt", b"x"), purpose="assistants").id for i in range(3)]


def test_page_navigation(base_url: str) -> None:
    client = openai_kit.OpenAI(api_key="k", base_url=base_url)
    ids = _three_files(client)
    page = client.files.list(limit=2, order="asc")
    assert page.has_next_page() is True
    seen = [f.id for f in page.data]
    while page.has_next_page():
        page = page.get_next_page()
        seen.extend(f.id for f in page.data)
    assert seen[-3:] == ids and len(seen) == len(set(seen))
    with pytest.raises(RuntimeError, match="has_next_page"):
        page.get_next_page()
    assert [len(p.data) for p in client.files.list(limit=2).iter_pages()][-1] >= 1


async def test_async_page_navigation(base_url: str) -> None:
    _three_files(openai_kit.OpenAI(api_key="k", base_url=base_url))
    client = openai_kit.AsyncOpenAI(api_key="k", base_url=base_url)
    lazy = client.files.list(limit=1)
    with pytest.raises(RuntimeError, match="await the page"):
        lazy.has_next_page()
    page = await lazy
    assert page.has_next_page()
    nxt = await page.get_next_page()
    assert nxt.data[0].id != page.data[0].id
    total = 0
    async for p in page.iter_pages():
        total += len(p.data)
    assert total == len([f async for f in client.files.list(limit=1)])
    await client.close()


def test_flagged_categories(base_url: str) -> None:
    client = openai_kit.OpenAI(api_key="k", base_url=base_url)
    result = client.moderations.create(input="I will kill that moron, with gore").results[0]
    assert result.flagged
    assert result.flagged_categories() == ["harassment", "violence", "violence/graphic"]
    clean = client.moderations.create(input="a quiet afternoon").results[0]
    assert clean.flagged_categories() == []
    assert "flagged_categories" not in clean.model_dump()
