"""``openai-kit chat``: where it connects (flag, environment, .openai file; keyless servers; the bundled
server only when nothing is configured), ``chat -``, and the conversation on a terminal."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.core.httpserver import Conn, LocalHTTPServer, Req

from .support import Terminal, clean_env, control_characters, run_cli

BUNDLED = "using the bundled local server"


@pytest.fixture
def recorder() -> Iterator[LocalHTTPServer]:
    """A chat server that records requests and answers "turn N" as a stream."""
    server = LocalHTTPServer()

    @server.route("POST", "/v1/chat/completions")
    async def chat(req: Req, conn: Conn) -> None:
        n = sum(1 for r in server.requests if r.path == "/v1/chat/completions") - 1  # this one is recorded
        await conn.start_chunked()
        for piece in (f"turn {n}", " ok"):
            chunk = {
                "id": "c",
                "object": "chat.completion.chunk",
                "created": 1,
                "model": req.json()["model"],
                "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
            }
            await conn.chunk(b"data: " + json.dumps(chunk).encode() + b"\n\n")
        await conn.chunk(b"data: [DONE]\n\n")
        await conn.end_chunked()

    yield server
    server.close()


def test_base_url_without_a_key_is_used_with_no_authorization(
    tmp_path: Path, recorder: LocalHTTPServer
) -> None:
    flag = run_cli("chat", "--base-url", recorder.base_url, "Hi", cwd=tmp_path)
    env = run_cli("chat", "Hi", cwd=tmp_path, env=clean_env(tmp_path, OPENAI_BASE_URL=recorder.base_url))
    (tmp_path / ".openai").write_text(f"OPENAI_BASE_URL={recorder.base_url}\n")
    file = run_cli("chat", "Hi", cwd=tmp_path)
    for result in (flag, env, file):
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("turn ") and result.stdout.endswith(" ok\n")
        assert BUNDLED not in result.stderr
    assert len(recorder.requests) == 3
    for req in recorder.requests:
        assert "authorization" not in req.headers
        assert req.json()["messages"] == [{"role": "user", "content": "Hi"}]
        assert req.json()["model"] == "gpt-4o-mini"


def test_a_key_is_sent_when_configured(tmp_path: Path, recorder: LocalHTTPServer) -> None:
    env = clean_env(tmp_path, OPENAI_API_KEY="sk-test-123", OPENAI_BASE_URL=recorder.base_url)
    result = run_cli("chat", "Hi", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert recorder.requests[-1].headers["authorization"] == "Bearer sk-test-123"


def test_nothing_configured_starts_the_bundled_server_and_says_so(tmp_path: Path) -> None:
    result = run_cli("chat", "Hello there", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Hello there\n"
    assert BUNDLED in result.stderr
    assert not control_characters(result.stdout + result.stderr)


def test_prompt_from_stdin(tmp_path: Path, recorder: LocalHTTPServer) -> None:
    env = clean_env(tmp_path, OPENAI_BASE_URL=recorder.base_url)
    dash = run_cli("chat", "-", cwd=tmp_path, env=env, input="question from a pipe\n")
    piped = run_cli("chat", "--system", "be brief", cwd=tmp_path, env=env, input="no dash\n")
    empty = run_cli("chat", "-", cwd=tmp_path, env=env, input="")
    assert dash.returncode == 0 and piped.returncode == 0, dash.stderr + piped.stderr
    assert recorder.requests[0].json()["messages"] == [{"role": "user", "content": "question from a pipe"}]
    assert recorder.requests[1].json()["messages"] == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "no dash"},
    ]
    assert empty.returncode == 2 and "standard input was empty" in empty.stderr
    assert len(recorder.requests) == 2


def test_unreachable_base_url_is_a_one_line_error(tmp_path: Path) -> None:
    result = run_cli("chat", "--base-url", "http://127.0.0.1:9/v1", "Hi", cwd=tmp_path)
    assert result.returncode == 1
    assert "cannot reach the server" in result.stderr and "--base-url" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("ending", ["\x04", "\x03"], ids=["ctrl-d", "ctrl-c"])
def test_conversation_on_a_terminal(tmp_path: Path, recorder: LocalHTTPServer, ending: str) -> None:
    term = Terminal(
        "chat", "--model", "gpt-4.1", cwd=tmp_path, env=clean_env(tmp_path, OPENAI_BASE_URL=recorder.base_url)
    )
    term.read_until("you> ")
    term.write("first question\n")
    term.read_until("turn 0 ok")
    term.read_until("you> ")
    term.write("second question\n")
    term.read_until("turn 1 ok")
    term.read_until("you> ")
    # GNU readline shows the prompt a moment before it waits for input: a SIGINT in that window is only
    # noticed at the next key (a CPython/readline race no typist can hit), so act like one and pause
    time.sleep(0.3)
    term.write(ending)
    assert term.wait() == 0
    output = term.output.decode(errors="replace")
    assert "Traceback" not in output and "KeyboardInterrupt" not in output
    second = recorder.requests[1].json()
    assert second["model"] == "gpt-4.1"
    assert second["messages"] == [
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "turn 0 ok"},
        {"role": "user", "content": "second question"},
    ]


def test_conversation_with_the_bundled_server(tmp_path: Path) -> None:
    term = Terminal("chat", cwd=tmp_path, env=clean_env(tmp_path))
    term.read_until(BUNDLED)
    term.read_until("you> ")
    term.write("echo me\n")
    term.read_until("echo me\r\necho me")
    term.read_until("you> ")
    term.write("\x04")
    assert term.wait() == 0


def test_ctrl_c_stops_a_reply_and_the_conversation_goes_on(tmp_path: Path) -> None:
    server = LocalHTTPServer()

    @server.route("POST", "/v1/chat/completions")
    async def slow(req: Req, conn: Conn) -> None:
        first = len(server.requests) == 1
        await conn.start_chunked()
        for piece in ["thinking...", None] if first else ["quick answer"]:
            if piece is None:
                await asyncio.sleep(20)  # the user gives up before this
                continue
            chunk = {
                "id": "c",
                "object": "chat.completion.chunk",
                "created": 1,
                "model": "m",
                "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
            }
            await conn.chunk(b"data: " + json.dumps(chunk).encode() + b"\n\n")
        await conn.chunk(b"data: [DONE]\n\n")
        await conn.end_chunked()

    try:
        term = Terminal("chat", cwd=tmp_path, env=clean_env(tmp_path, OPENAI_BASE_URL=server.base_url))
        term.read_until("you> ")
        term.write("a hard question\n")
        term.read_until("thinking...")
        term.write("\x03")
        term.read_until("(reply stopped)")
        term.read_until("you> ")
        term.write("an easy one\n")
        term.read_until("quick answer")
        term.read_until("you> ")
        term.write("\x04")
        assert term.wait() == 0
        assert "Traceback" not in term.output.decode(errors="replace")
        # the stopped turn is not part of the history
        assert server.requests[1].json()["messages"] == [{"role": "user", "content": "an easy one"}]
    finally:
        server.close()
