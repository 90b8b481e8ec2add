"""Websocket reconnection (``connect(on_reconnecting=..., max_retries=...)``) against a real websocket server
that drops, refuses and closes connections on a script; the same scripts run with the official client
where the official SDK is installed, and both must see the same hook calls, events and outcome."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosedError
from websockets.http11 import Request, Response

import openai_kit
from openai_kit import ReconnectingEvent, ReconnectingOverrides, WebSocketConnectionClosedError
from openai_kit.realtime import is_recoverable_close

FAST = {
    "initial_delay": 0.01,
    "max_delay": 0.02,
}  # backoff in milliseconds: every test ends in well under 1 s


@dataclass
class Step:
    """What the server does with one connection: refuse the handshake (``refuse``), or read ``expect``
    messages, send ``greet`` events, then close with ``close`` (``None``: drop the TCP connection)."""

    close: int | None = 1000
    greet: int = 1
    expect: int = 0
    refuse: bool = False


@dataclass
class Script:
    steps: list[Step]
    handshakes: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    received: list[list[dict[str, Any]]] = field(default_factory=list)  # per accepted connection


def _created(n: int) -> str:
    response = {"id": "resp_1", "object": "response", "created_at": 1, "status": "in_progress",
                "model": "gpt-5", "output": []}  # fmt: skip
    return json.dumps({"type": "response.created", "sequence_number": n, "response": response})


class ScriptedServer:
    """A websockets server in a thread; each test sets ``script`` before connecting."""

    def __init__(self) -> None:
        self.script = Script([])
        self.loop = asyncio.new_event_loop()
        started = threading.Event()

        async def main() -> None:
            async with serve(self.handler, "127.0.0.1", 0, process_request=self.process_request) as server:
                self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
                started.set()
                self.stop = self.loop.create_future()
                await self.stop

        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(main(),), daemon=True)
        self.thread.start()
        assert started.wait(5)

    def step(self) -> Step:
        n = len(self.script.handshakes) - 1
        return self.script.steps[n] if n < len(self.script.steps) else Step()

    def process_request(self, ws: ServerConnection, request: Request) -> Response | None:
        self.script.handshakes.append((request.path, {k.lower(): v for k, v in request.headers.raw_items()}))
        if self.step().refuse:
            return Response(HTTPStatus.SERVICE_UNAVAILABLE.value, "Busy", Headers(), b"busy\n")
        return None

    async def handler(self, ws: ServerConnection) -> None:
        step = self.step()
        received: list[dict[str, Any]] = []
        self.script.received.append(received)
        for _ in range(step.expect):
            received.append(json.loads(await ws.recv()))
        for i in range(step.greet):
            await ws.send(_created(i))
        if step.close is None:
            ws.transport.abort()  # no close frame: the client sees 1006
        else:
            await ws.close(step.close)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.stop.set_result, None)
        self.thread.join(5)


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedServer]:
    s = ScriptedServer()
    yield s
    s.close()


@dataclass
class Outcome:
    """What one client saw: the hook's events (without the random delay), the events' types, and how the
    iteration ended (``"end"`` or the exception's type names)."""

    hooks: list[tuple[int, int, int, dict[str, object], dict[str, str]]] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    end: str = "end"
    error: BaseException | None = None


def _hook(
    out: Outcome, conn: list[Any], answers: list[ReconnectingOverrides | None], send_in_hook: bool
) -> Any:
    def on_reconnecting(event: Any) -> Any:
        base = min(FAST["initial_delay"] * 2 ** (event.attempt - 1), FAST["max_delay"])
        assert 0.75 * base <= event.delay <= base  # exponential backoff with jitter, capped
        out.hooks.append(
            (event.attempt, event.max_attempts, event.close_code, dict(event.extra_query),
             dict(event.extra_headers))
        )  # fmt: skip
        if send_in_hook:  # sent while reconnecting: queued, delivered on the new connection
            conn[0].send({"type": "response.create", "model": "gpt-5", "input": f"after {event.attempt}"})
        return answers.pop(0) if answers else None

    return on_reconnecting


def _record_end(out: Outcome, exc: BaseException) -> None:
    out.error = exc
    # the official SDK's types, by name (ours are also APIConnectionError: test_reconnection checks that)
    names = {c.__name__ for c in type(exc).__mro__}
    out.end = " ".join(n for n in ("ConnectionClosedError", "WebSocketConnectionClosedError") if n in names)
    out.end = out.end or type(exc).__name__


def _connect_and_read(
    client: Any, answers: list[Any] | None, send_in_hook: bool, kw: dict[str, Any]
) -> Outcome:
    """One scenario through ``client`` (either SDK): the events it saw, the hook's calls, how it ended."""
    out, holder = Outcome(), []
    if "on_reconnecting" not in kw:
        kw["on_reconnecting"] = _hook(out, holder, list(answers or []), send_in_hook)
    with client.responses.connect(**{**FAST, **kw}) as conn:
        holder.append(conn)
        try:
            for event in conn:
                out.events.append(event.type)
        except Exception as exc:
            _record_end(out, exc)
    return out


def run_kit(port: int, answers: list[Any] | None = None, send_in_hook: bool = False, **kw: Any) -> Outcome:
    client = openai_kit.OpenAI(api_key="sk-reconnect", base_url=f"http://127.0.0.1:{port}/v1")
    return _connect_and_read(client, answers, send_in_hook, kw)


def run_official(
    port: int, answers: list[Any] | None = None, send_in_hook: bool = False, **kw: Any
) -> Outcome:
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(api_key="sk-reconnect", base_url=f"http://127.0.0.1:{port}/v1")
    return _connect_and_read(client, answers, send_in_hook, kw)


#: name -> (server script, run options): each is run with both clients
SCENARIOS: dict[str, tuple[list[Step], dict[str, Any]]] = {
    # two drops, each after an event: the attempt count starts over, so both are attempt 1
    "drops_after_progress": ([Step(close=1011), Step(close=1012), Step(close=1000)], {}),
    # a drop, a drop before any event (attempt 2), a refused handshake (spends attempt 3), then success
    "attempts_add_up": (
        [Step(close=None), Step(close=1013, greet=0), Step(refuse=True), Step(close=1000)],
        {},
    ),
    # every reconnection refused: max_retries attempts, then websockets' ConnectionClosedError
    "retries_exhausted": ([Step(close=1011)] + [Step(refuse=True)] * 5, {"max_retries": 3}),
    # a close code that is not worth retrying (policy violation): no hook call
    "not_recoverable": ([Step(close=1008)], {}),
    # 1001 (going away) is retried although websockets calls it a normal close
    "going_away": ([Step(close=1001), Step(close=1000)], {}),
    # the hook changes query and headers for the next attempts
    "overrides": (
        [Step(close=1011), Step(close=1011, greet=0), Step(close=1000)],
        {
            "answers": [{"extra_query": {"resume": "r1"}}, {"extra_headers": {"x-resume": "2"}}],
            "extra_query": {"trace": "t"},
        },
    ),
    # the hook aborts: the close surfaces at once
    "abort": ([Step(close=1012)], {"answers": [{"abort": True}]}),
    # messages sent during the reconnection reach the new connection
    "queued_sends": ([Step(close=1011), Step(close=1000, expect=1)], {"send_in_hook": True}),
    # queued messages that never went out: WebSocketConnectionClosedError
    "unsent": ([Step(close=1011)], {"send_in_hook": True, "answers": [{"abort": True}]}),
}

EXPECTED: dict[str, tuple[list[tuple[int, int]], int, str]] = {
    # scenario -> ([(attempt, close code)], handshakes, end)
    "drops_after_progress": ([(1, 1011), (1, 1012)], 3, "end"),
    "attempts_add_up": ([(1, 1006), (2, 1013), (3, 1013)], 4, "end"),
    "retries_exhausted": ([(1, 1011), (2, 1011), (3, 1011)], 4, "ConnectionClosedError"),
    "not_recoverable": ([], 1, "ConnectionClosedError"),
    "going_away": ([(1, 1001)], 2, "end"),
    "overrides": ([(1, 1011), (2, 1011)], 3, "end"),
    "abort": ([(1, 1012)], 1, "ConnectionClosedError"),
    "queued_sends": ([(1, 1011)], 2, "end"),
    "unsent": ([(1, 1011)], 1, "WebSocketConnectionClosedError"),
}


def _run(server: ScriptedServer, runner: Any, name: str) -> tuple[Outcome, Script]:
    steps, options = SCENARIOS[name]
    server.script = Script(list(steps))
    return runner(server.port, **options), server.script


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_reconnection(server: ScriptedServer, name: str) -> None:
    out, script = _run(server, run_kit, name)
    hooks, handshakes, end = EXPECTED[name]
    assert [(attempt, code) for attempt, _, code, _, _ in out.hooks] == hooks
    assert all(h[1] == SCENARIOS[name][1].get("max_retries", 5) for h in out.hooks)  # max_attempts
    assert len(script.handshakes) == handshakes
    assert out.end == end, out.error
    if end == "ConnectionClosedError":  # websockets' error, as the official SDK raises, and openai-kit's
        assert isinstance(out.error, openai_kit.APIConnectionError)
    accepted = [s for s in script.steps[:handshakes] if not s.refuse]
    assert len(out.events) == sum(s.greet for s in accepted)  # every event of every connection, in order
    for path, headers in script.handshakes:
        assert path.startswith("/v1/responses") and headers["authorization"] == "Bearer sk-reconnect"


def test_overrides_reach_the_handshake(server: ScriptedServer) -> None:
    out, script = _run(server, run_kit, "overrides")
    assert [h[3:] for h in out.hooks] == [
        ({"trace": "t"}, {}),  # what connect() was given
        ({"resume": "r1"}, {}),  # what the first answer set
    ]
    paths = [p for p, _ in script.handshakes]
    assert paths == ["/v1/responses?trace=t", "/v1/responses?resume=r1", "/v1/responses?resume=r1"]
    assert "x-resume" not in script.handshakes[1][1] and script.handshakes[2][1]["x-resume"] == "2"


def test_queued_and_unsent_messages(server: ScriptedServer) -> None:
    _, script = _run(server, run_kit, "queued_sends")
    assert script.received[1] == [{"type": "response.create", "model": "gpt-5", "input": "after 1"}]
    out, _ = _run(server, run_kit, "unsent")
    assert isinstance(out.error, WebSocketConnectionClosedError)
    assert out.error.unsent_messages == ['{"type":"response.create","model":"gpt-5","input":"after 1"}']


def test_no_hook_no_reconnect(server: ScriptedServer) -> None:
    server.script = Script([Step(close=1011), Step()])
    out = run_kit(server.port, on_reconnecting=None)
    assert len(server.script.handshakes) == 1 and out.events == ["response.created"]
    assert isinstance(out.error, ConnectionClosedError) and isinstance(
        out.error, openai_kit.APIConnectionError
    )
    assert out.error.rcvd is not None and out.error.rcvd.code == 1011
    assert str(out.error) == "Realtime connection closed (1011)"


def test_hook_that_raises_stops_reconnecting(server: ScriptedServer) -> None:
    server.script = Script([Step(close=1011), Step()])

    def broken(event: ReconnectingEvent) -> None:
        raise RuntimeError("hook bug")

    out = run_kit(server.port, on_reconnecting=broken)
    assert len(server.script.handshakes) == 1
    assert out.end == "ConnectionClosedError"


def test_wait_for_and_dispatch_reconnect(server: ScriptedServer) -> None:
    server.script = Script([Step(close=1011, greet=0), Step(close=1000)])
    calls: list[int] = []
    client = openai_kit.OpenAI(api_key="k", base_url=f"http://127.0.0.1:{server.port}/v1")
    with client.responses.connect(on_reconnecting=lambda e: calls.append(e.attempt), **FAST) as conn:
        assert conn.wait_for("response.created", timeout=5).sequence_number == 0
    assert calls == [1]
    server.script = Script([Step(close=1012), Step(close=1000, greet=2)])
    seen: list[int] = []
    with client.responses.connect(on_reconnecting=lambda e: None, **FAST) as conn:
        conn.on("response.created", lambda event: seen.append(event.sequence_number))
        assert conn.dispatch() is None
    assert seen == [0, 0, 1]


def test_recv_does_not_reconnect(server: ScriptedServer) -> None:
    """As in the official SDK, only iteration (and here wait_for / dispatch) reconnects."""
    server.script = Script([Step(close=1011), Step()])
    client = openai_kit.OpenAI(api_key="k", base_url=f"http://127.0.0.1:{server.port}/v1")
    with client.responses.connect(on_reconnecting=lambda e: pytest.fail("no reconnection"), **FAST) as conn:
        assert conn.recv(timeout=5).type == "response.created"
        with pytest.raises(ConnectionClosedError):
            conn.recv(timeout=5)
    assert len(server.script.handshakes) == 1


def test_close_during_backoff_stops(server: ScriptedServer) -> None:
    """close() from another thread wakes a sleeping backoff: no new connection, the drop surfaces."""
    server.script = Script([Step(close=1011), Step()])
    client = openai_kit.OpenAI(api_key="k", base_url=f"http://127.0.0.1:{server.port}/v1")

    def hook(event: ReconnectingEvent) -> None:
        threading.Timer(0.1, conn.close).start()

    started = time.monotonic()
    with (
        client.responses.connect(on_reconnecting=hook, initial_delay=30, max_delay=30) as conn,
        pytest.raises(ConnectionClosedError),
    ):
        list(conn)
    assert time.monotonic() - started < 5 and len(server.script.handshakes) == 1


def test_queue_limit_and_bad_hook(server: ScriptedServer) -> None:
    server.script = Script([Step(close=1011), Step()])
    client = openai_kit.OpenAI(api_key="k", base_url=f"http://127.0.0.1:{server.port}/v1")
    errors: list[BaseException] = []

    def hook(event: ReconnectingEvent) -> ReconnectingOverrides:
        conn.send({"type": "response.create", "input": "x" * 40})  # fits in 100 bytes
        try:
            conn.send({"type": "response.create", "input": "y" * 40})
        except openai_kit.WebSocketQueueFullError as exc:
            errors.append(exc)
        return {"abort": True}

    with (
        client.responses.connect(on_reconnecting=hook, max_queue_size=100, **FAST) as conn,
        pytest.raises(WebSocketConnectionClosedError) as info,
    ):
        list(conn)
    assert len(errors) == 1 and "send queue is full" in str(errors[0])
    assert len(info.value.unsent_messages) == 1 and "x" * 40 in info.value.unsent_messages[0]
    with pytest.raises(TypeError, match="on_reconnecting must be a callable"):
        client.responses.connect(on_reconnecting=5)  # type: ignore[arg-type]


def test_realtime_connect_reconnects(server: ScriptedServer) -> None:
    server.script = Script([Step(close=1011), Step(close=1000)])
    client = openai_kit.OpenAI(api_key="k", base_url=f"http://127.0.0.1:{server.port}/v1")
    attempts: list[int] = []
    with client.realtime.connect(model="gpt-realtime", on_reconnecting=lambda e: attempts.append(e.attempt),
                                 **FAST) as conn:  # fmt: skip
        events = [event.type for event in conn]
    assert attempts == [1] and events == ["response.created"] * 2
    assert [p for p, _ in server.script.handshakes] == ["/v1/realtime?model=gpt-realtime"] * 2


async def _run_async(port: int, answers: list[Any], send_in_hook: bool = False, **kw: Any) -> Outcome:
    out, holder = Outcome(), []
    hook = _hook(out, holder, answers, False)

    def on_reconnecting(event: ReconnectingEvent) -> Any:
        if send_in_hook:  # the async send only queues while reconnecting: the coroutine ends at once
            asyncio.get_running_loop().create_task(
                holder[0].send({"type": "response.create", "input": "again"})
            )
        return hook(event)

    client = openai_kit.AsyncOpenAI(api_key="sk-reconnect", base_url=f"http://127.0.0.1:{port}/v1")
    async with client.responses.connect(on_reconnecting=on_reconnecting, **FAST, **kw) as conn:
        holder.append(conn)
        try:
            async for event in conn:
                out.events.append(event.type)
        except Exception as exc:
            _record_end(out, exc)
    return out


async def test_async_reconnection(server: ScriptedServer) -> None:
    server.script = Script([Step(close=None), Step(close=1013, greet=0), Step(refuse=True), Step(close=1000)])
    out = await _run_async(server.port, [])
    assert [h[:3] for h in out.hooks] == [(1, 5, 1006), (2, 5, 1013), (3, 5, 1013)]
    assert out.end == "end" and out.events == ["response.created"] * 2

    server.script = Script([Step(close=1011), Step(close=1000, expect=1)])
    out = await _run_async(server.port, [{"extra_headers": {"x-resume": "1"}}], send_in_hook=True)
    assert server.script.received[1] == [{"type": "response.create", "input": "again"}]
    assert server.script.handshakes[1][1]["x-resume"] == "1"

    server.script = Script([Step(close=1011)] + [Step(refuse=True)] * 3)
    out = await _run_async(server.port, [], max_retries=2)
    assert [h[0] for h in out.hooks] == [1, 2] and len(server.script.handshakes) == 3
    assert out.end == "ConnectionClosedError"


async def test_async_no_hook_and_wait_for(server: ScriptedServer) -> None:
    client = openai_kit.AsyncOpenAI(api_key="k", base_url=f"http://127.0.0.1:{server.port}/v1")
    server.script = Script([Step(close=1011), Step()])
    async with client.responses.connect() as conn:
        assert (await conn.recv(timeout=5)).type == "response.created"
        with pytest.raises(openai_kit.APIConnectionError, match="closed"):
            await conn.wait_for("response.completed", timeout=5)
    assert len(server.script.handshakes) == 1
    server.script = Script([Step(close=1012, greet=0), Step(close=1000)])
    attempts: list[int] = []
    async with client.responses.connect(on_reconnecting=lambda e: attempts.append(e.attempt), **FAST) as conn:
        assert (await conn.wait_for("response.created", timeout=5)).type == "response.created"
    assert attempts == [1]


@pytest.mark.filterwarnings("ignore:connect\\(\\) must be used as a context manager:DeprecationWarning")
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_same_as_the_official_client(server: ScriptedServer, name: str) -> None:
    """The same script, run with the official SDK's client: same hook calls (attempt, max attempts, close
    code, query, headers), same events, same handshakes and messages on the wire, same ending."""
    ours, our_script = _run(server, run_kit, name)
    theirs, their_script = _run(server, run_official, name)
    assert ours.hooks == theirs.hooks
    assert ours.events == theirs.events
    assert ours.end == theirs.end, (ours.error, theirs.error)
    assert [p for p, _ in our_script.handshakes] == [p for p, _ in their_script.handshakes]
    assert our_script.received == their_script.received


def test_public_names_match_the_official_ones() -> None:
    openai = pytest.importorskip("openai")
    from openai.types import websocket_reconnection as official

    assert [c for c in range(1000, 1016) if is_recoverable_close(c)] == [
        c for c in range(1000, 1016) if official.is_recoverable_close(c)
    ]
    assert not is_recoverable_close(4000)
    fields = [f.name for f in dataclasses.fields(ReconnectingEvent)]
    assert fields == [f.name for f in dataclasses.fields(official.ReconnectingEvent)]
    assert (
        ReconnectingOverrides.__annotations__.keys() == official.ReconnectingOverrides.__annotations__.keys()
    )
    assert openai.ReconnectingEvent.__name__ == openai_kit.ReconnectingEvent.__name__
    error = WebSocketConnectionClosedError("closed", unsent_messages=["a", b"b", b"\xff"])
    assert error.unsent_messages == ["a", "b"] and error.unsent_frames == ["a", b"b", b"\xff"]


def test_official_import_paths() -> None:
    """Where the official SDK exports the reconnection names, openai-kit does (the same objects)."""
    from openai_kit.types.websocket_reconnection import (
        ReconnectingEvent as from_module,
        ReconnectingOverrides as overrides,
        is_recoverable_close as recoverable,
    )

    from openai_kit.types import ReconnectingEvent as from_types

    assert from_types is from_module is ReconnectingEvent
    assert overrides is ReconnectingOverrides and recoverable is is_recoverable_close
    assert "ReconnectingOverrides" in dir(openai_kit.types)


async def test_async_realtime_connect_reconnects(server: ScriptedServer) -> None:
    server.script = Script([Step(close=1012), Step(close=1000)])
    client = openai_kit.AsyncOpenAI(api_key="k", base_url=f"http://127.0.0.1:{server.port}/v1")
    attempts: list[int] = []
    hook = attempts.append
    async with client.realtime.connect(model="m", on_reconnecting=lambda e: hook(e.attempt), **FAST) as conn:
        events = [event.type async for event in conn]
    assert attempts == [1] and events == ["response.created"] * 2
    assert len(server.script.handshakes) == 2
