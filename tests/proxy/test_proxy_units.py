"""The small parts on their own: rate limiter, token file, URL mapping, token extraction, access log."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

import pytest

from openai_kit._errors import ConfigError, MissingAPIKeyError
from openai_kit.cli.proxy import parse_size
from openai_kit.proxy import ProxyConfig, TokenFile
from openai_kit.proxy.access_log import AccessLog
from openai_kit.proxy.auth import extract_token
from openai_kit.proxy.ratelimit import RateLimiter
from openai_kit.proxy.upstream import Upstream

from .support import ListHandler


def test_rate_limiter_refills_and_stays_bounded() -> None:
    now = [0.0]
    limiter = RateLimiter(60, burst=2, max_keys=10, clock=lambda: now[0])
    assert limiter.acquire("a") == 0 and limiter.acquire("a") == 0
    assert limiter.acquire("a") == pytest.approx(1.0)  # 60/min: one more in a second
    now[0] += 1.0
    assert limiter.acquire("a") == 0
    for i in range(1000):
        limiter.acquire(f"k{i}")
    assert len(limiter) <= 10


def test_token_file(tmp_path: Path) -> None:
    path = tmp_path / "t"
    path.write_text("# comment\n sess-a \n\nsess-b\n")
    tokens = TokenFile(path)
    assert tokens.allows("sess-a") and tokens.allows("sess-b") and len(tokens) == 2
    assert not tokens.allows("# comment") and not tokens.allows("") and not tokens.allows("sess-")
    path.unlink()
    assert not tokens.allows("sess-a")  # unreadable: everything is rejected, not the old list kept
    path.write_text("sess-c\n")
    assert tokens.allows("sess-c")
    with pytest.raises(ConfigError):
        TokenFile(tmp_path / "missing")


def test_extract_token() -> None:
    assert extract_token({"authorization": "Bearer sess-1"}) == "sess-1"
    assert extract_token({"authorization": "bearer  sess-1 "}) == "sess-1"
    assert extract_token({"authorization": "Basic abc"}) is None
    assert extract_token({"api-key": "sess-2"}) == "sess-2"
    assert extract_token({"sec-websocket-protocol": "realtime, openai-insecure-api-key.sess-3"}) == "sess-3"
    assert extract_token({}) is None


def test_upstream_urls() -> None:
    openai_up = Upstream(ProxyConfig(api_key="k", upstream_url="https://api.openai.com/v1/"))
    assert openai_up.http_url("/files/a%2Fb", "limit=1") == "https://api.openai.com/v1/files/a%2Fb?limit=1"
    assert openai_up.realtime_url("model=m") == "wss://api.openai.com/v1/realtime?model=m"
    assert dict(openai_up.headers) == {"authorization": "Bearer k"}
    azure = Upstream(ProxyConfig(api_key="k", upstream_url="https://res.openai.azure.com/"))
    assert azure.azure and dict(azure.headers) == {"api-key": "k"}
    assert azure.needs_deployment("chat/completions") and not azure.needs_deployment("files")
    assert (
        azure.http_url("/chat/completions", "api-version=old&x=1", model="dep 1")
        == "https://res.openai.azure.com/openai/deployments/dep%201/chat/completions?x=1&api-version=2024-10-21"
    )
    assert azure.realtime_url("model=rt") == (
        "wss://res.openai.azure.com/openai/realtime?api-version=2024-10-21&deployment=rt"
    )


def test_config_validation_and_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad: dict[str, Any]
    for bad in (
        {"api_key": ""},
        {"api_key": "k", "upstream_url": "ftp://x"},
        {"api_key": "k", "max_body_size": 0},
    ):
        with pytest.raises(ConfigError):
            ProxyConfig(**bad)
    assert "k-secret" not in repr(ProxyConfig(api_key="k-secret"))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    (tmp_path / ".openai").write_text("")
    with pytest.raises(MissingAPIKeyError):
        ProxyConfig.from_sources(config_file=tmp_path)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    config = ProxyConfig.from_sources(config_file=tmp_path, project="proj_arg", read_timeout=5.0)
    assert (config.api_key, config.project, config.read_timeout) == ("sk-env", "proj_arg", 5.0)
    assert config.upstream_url == "https://api.openai.com/v1"


def test_parse_size() -> None:
    assert parse_size("1024") == 1024 and parse_size("64M") == 64 * 1024**2 and parse_size("1g") == 1024**3
    for bad in ("", "abc", "-1", "12Q"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_size(bad)


def test_access_log_is_bounded_and_sanitized() -> None:
    handler = ListHandler()
    logger = logging.getLogger("openai_kit.proxy.test-access")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    log = AccessLog(max_pending=3, interval=60, logger=logger)
    log.start()
    for i in range(10):
        log.record("abc123", "GET", f"/v1/x{i}\n", 200, 0.001, 0, 5)
    log.stop()
    assert len(handler.lines) == 3
    assert handler.lines[0].endswith("dropped=7")
    assert all("\n" not in line for line in handler.lines)
    assert handler.lines[-1].startswith("token=abc123 GET /v1/x9\\n 200 1.0ms in=0 out=5")


async def test_a_concurrency_refusal_takes_nothing_from_the_rate_budget(tmp_path: Path) -> None:
    from openai_kit.proxy.auth import Authenticator
    from openai_kit.proxy.errors import ProxyError
    from openai_kit.proxy.relay import Admission, Relay

    now = [1000.0]
    limiter = RateLimiter(60, burst=2, max_keys=10, clock=lambda: now[0])
    admission = Admission(Authenticator(None, None, allow_anonymous=True), limiter, max_per_token=1)
    relay = Relay(
        ProxyConfig.from_sources(api_key="sk-up", allow_anonymous=True), admission, AccessLog(enabled=False)
    )
    tid = await relay.admit({})
    for _ in range(5):  # at the concurrency limit: refused, and the rate budget is untouched
        with pytest.raises(ProxyError) as info:
            await relay.admit({})
        assert info.value.status == 429 and info.value.code == "concurrency_limit_exceeded"
    relay.leave(tid)
    second = await relay.admit({})  # the burst's second request is still there
    relay.leave(second)
    with pytest.raises(ProxyError) as info:
        await relay.admit({})
    assert info.value.code != "concurrency_limit_exceeded"  # now the rate limit says no
