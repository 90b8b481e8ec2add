"""Realtime API sessions over a websocket, with typed client and server events.

``client.realtime.connect(model="gpt-realtime")`` opens a session (a context manager; ``async with`` on the
async client). Send client events as typed dicts or models (:meth:`send`), receive typed server events
(:meth:`recv`, or iterate the connection), wait for a given event type (:meth:`wait_for`), send and wait in
one step (:meth:`send_and_wait`), or register callbacks with :meth:`on` and :meth:`dispatch` them. The official SDK's namespaced senders work
too: ``conn.session.update(session=...)``, ``conn.conversation.item.create(item=...)``,
``conn.response.create()``, ``conn.input_audio_buffer.append(audio=...)`` (``await`` them when async).
Unknown server events still parse (as ``UnknownObject`` with their fields kept). A server ``error`` event
makes :meth:`wait_for` raise :class:`RealtimeError`.

The URL, authentication (bearer key or key provider, Azure ``api-key`` and ``api-version``), organization
and project come from the client, so a key provider is called on every connect.

Reconnection, as in the official SDK: ``connect(on_reconnecting=hook, max_retries=5)``. When the server drops
the connection with a recoverable close code (1001, 1005, 1006, 1011, 1012, 1013, 1015) while you iterate,
``dispatch`` or ``wait_for``, the connection calls ``hook(ReconnectingEvent)`` before each attempt (attempt
number, delay, close code, current query and headers), waits the exponential backoff (``initial_delay``
doubling up to ``max_delay``, with jitter) and dials again; the hook may return ``ReconnectingOverrides``
(new ``extra_query`` / ``extra_headers``, or ``abort``). Messages sent meanwhile are queued (up to
``max_queue_size`` bytes) and sent once reconnected. Without a hook nothing reconnects. The attempt count
starts over once an event arrives; after ``max_retries`` the close surfaces as before (an
``APIConnectionError`` that is also websockets' ``ConnectionClosedError``, or
``WebSocketConnectionClosedError`` carrying the messages that could not be sent).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
import logging
import random
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Generator, Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypedDict, TypeVar

import orjson

from ._compat import WebSocketConnectionClosedError, WebSocketQueueFullError
from ._errors import APIConnectionError, APITimeoutError, OpenAIError
from ._realtime_events import ClientEvents

if TYPE_CHECKING:
    from websockets.exceptions import ConnectionClosed

    from ._base_client import _ClientCore
    from ._client import AsyncOpenAI, OpenAI

__all__ = [
    "AsyncRealtimeConnectMixin",
    "AsyncRealtimeConnection",
    "AsyncResponsesConnection",
    "RealtimeConnectMixin",
    "RealtimeConnection",
    "RealtimeError",
    "ReconnectingEvent",
    "ReconnectingOverrides",
    "ResponsesConnection",
    "is_recoverable_close",
]

log = logging.getLogger("openai_kit.realtime")


_C = TypeVar("_C", bound="RealtimeConnection")
_AC = TypeVar("_AC", bound="AsyncRealtimeConnection")


class RealtimeError(OpenAIError):
    """The server sent an ``error`` event."""

    def __init__(self, event: Any) -> None:
        self.event = event
        err = _get(event, "error")
        self.code = _get(err, "code") if err is not None else None
        message = _get(err, "message") if err is not None else None
        super().__init__(f"Realtime error: {message or err}")


def _get(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, Mapping) else getattr(obj, key, None)


# --- reconnection: the official SDK's ``on_reconnecting`` / ``max_retries`` --------------------------------

#: close codes worth dialling again after (RFC 6455 7.4.1): going away, no status, abnormal closure,
#: server error, service restart, try again later, TLS failure
_RECOVERABLE_CLOSE_CODES = frozenset({1001, 1005, 1006, 1011, 1012, 1013, 1015})


def is_recoverable_close(code: int) -> bool:
    """Whether a websocket closed with ``code`` is reconnected (when an ``on_reconnecting`` hook is set)."""
    return code in _RECOVERABLE_CLOSE_CODES


@dataclasses.dataclass(frozen=True)
class ReconnectingEvent:
    """What the ``on_reconnecting`` hook is told before each reconnection attempt."""

    attempt: int
    """this attempt's number, from 1"""
    max_attempts: int
    """``max_retries``: the attempts allowed before giving up"""
    delay: float
    """seconds waited before this attempt dials"""
    close_code: int
    """the close code that ended the connection (1006 when the socket dropped without one)"""
    extra_query: Mapping[str, object]
    """the query parameters the attempt will use"""
    extra_headers: Mapping[str, str]
    """the headers the attempt will use"""


class ReconnectingOverrides(TypedDict, total=False):
    """What the ``on_reconnecting`` hook may return to change the next attempt (or ``None``)."""

    extra_query: Mapping[str, object]
    """replaces the query parameters from this attempt on"""
    extra_headers: Mapping[str, str]
    """replaces the headers from this attempt on"""
    abort: bool
    """``True``: give up reconnecting"""


OnReconnecting = Callable[[ReconnectingEvent], "ReconnectingOverrides | None"]


@dataclasses.dataclass(frozen=True)
class _Policy:
    """The reconnection options of one ``connect()`` call."""

    hook: OnReconnecting
    max_retries: int = 5
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_queue_size: int = 1_048_576

    @classmethod
    def of(
        cls,
        hook: OnReconnecting | None,
        max_retries: int,
        initial_delay: float,
        max_delay: float,
        max_queue_size: int,
    ) -> _Policy | None:
        """The policy, or ``None`` without a hook (nothing reconnects then, as in the official SDK)."""
        if hook is None:
            return None
        if not callable(hook):
            raise TypeError(f"on_reconnecting must be a callable, not {type(hook).__name__}")
        return cls(hook, max_retries, initial_delay, max_delay, max_queue_size)


def _close_code(exc: BaseException) -> int:
    rcvd = getattr(exc, "rcvd", None)
    return 1006 if rcvd is None else int(rcvd.code)


class _Reconnector:
    """One connection's reconnection state, IO-free (the sync and async connections dial and sleep):
    the attempts the hook allows, the query and headers they use, and the messages sent meanwhile."""

    def __init__(
        self,
        policy: _Policy,
        dial: Callable[[Mapping[str, object], Mapping[str, str]], Any],
        extra_query: Mapping[str, object],
        extra_headers: Mapping[str, str],
    ) -> None:
        self.policy = policy
        self.dial = dial
        self.extra_query = extra_query
        self.extra_headers = extra_headers
        self.attempt = 0  # attempts spent since the last event received
        self.lock = threading.Lock()  # guards active, closed and the queue (sync senders in other threads)
        self.active = False  # a reconnection runs: sends are queued
        self.closed = threading.Event()  # close() was called: stop, and wake a sleeping sync backoff
        self._queue: deque[tuple[str, int]] = deque()
        self._queued_bytes = 0

    def progress(self, event: Any) -> None:
        """An event arrived: the next drop starts counting attempts from 1 again."""
        event_type = _get(event, "type")
        if isinstance(event_type, str) and event_type and event_type != "error":
            self.attempt = 0

    def begin(self) -> bool:
        with self.lock:
            if self.closed.is_set():
                return False
            self.active = True
            return True

    def end(self) -> None:
        with self.lock:
            self.active = False

    def close(self) -> None:
        with self.lock:
            self.closed.set()
            self.active = False

    def delays(self, exc: BaseException) -> Iterator[float]:
        """Asks the hook before each attempt; yields the delay to wait before dialling (the caller stops
        at the first success). Nothing when the close code is not recoverable, the hook aborts or raises,
        or the attempts are spent."""
        code = _close_code(exc)
        if not is_recoverable_close(code):
            return
        policy = self.policy
        for attempt in range(self.attempt + 1, policy.max_retries + 1):
            if self.closed.is_set():
                return
            self.attempt = attempt
            delay = min(policy.initial_delay * 2 ** (attempt - 1), policy.max_delay)
            delay *= 0.75 + random.random() * 0.25
            event = ReconnectingEvent(
                attempt, policy.max_retries, delay, code, self.extra_query, self.extra_headers
            )
            try:
                overrides = policy.hook(event)
            except Exception:
                log.warning("on_reconnecting raised: not reconnecting", exc_info=True)
                return
            if overrides is not None:
                if overrides.get("abort"):
                    return
                if "extra_query" in overrides:
                    self.extra_query = overrides["extra_query"]
                if "extra_headers" in overrides:
                    self.extra_headers = overrides["extra_headers"]
            log.info("Reconnecting websocket (attempt %d/%d) in %.2fs", attempt, policy.max_retries, delay)
            yield delay

    def queue(self, data: str) -> bool:
        """Keep ``data`` for the new connection while a reconnection runs (``False``: send it now)."""
        size = len(data.encode())
        with self.lock:
            if not self.active:
                return False
            if self._queued_bytes + size > self.policy.max_queue_size:
                raise WebSocketQueueFullError("send queue is full, message discarded")
            self._queue.append((data, size))
            self._queued_bytes += size
            return True

    def adopt(self, ws: Any, swap: Callable[[Any], None]) -> bool:
        """Make ``ws`` the connection's socket unless close() came first (``False``: discard ``ws``)."""
        with self.lock:
            if self.closed.is_set():
                return False
            swap(ws)
            return True

    def next_queued(self) -> str | None:
        """The oldest queued message; ``None`` ends the reconnection (atomically with the empty queue,
        so a concurrent send either lands in the queue before or goes straight to the new socket)."""
        with self.lock:
            if self._queue and not self.closed.is_set():
                return self._queue[0][0]
            self.active = False
            return None

    def sent(self) -> None:
        with self.lock:
            _, size = self._queue.popleft()
            self._queued_bytes -= size

    def unsent_error(self, exc: BaseException) -> WebSocketConnectionClosedError | None:
        """The error that reports (and forgets) the messages never sent, if there are any."""
        with self.lock:
            unsent = [data for data, _ in self._queue]
            self._queue.clear()
            self._queued_bytes = 0
        if not unsent:
            return None
        error = WebSocketConnectionClosedError(
            "WebSocket connection closed with unsent messages", unsent_messages=unsent
        )
        error.__cause__ = exc
        return error


@functools.cache
def _closed_error_type() -> Callable[[ConnectionClosed], APIConnectionError]:
    from websockets.exceptions import ConnectionClosedError

    class ConnectionClosedAPIError(APIConnectionError, ConnectionClosedError):
        """The websocket closed: an ``APIConnectionError`` that is also the ``ConnectionClosedError`` of
        ``websockets`` (what the official SDK lets through), with its ``rcvd`` / ``sent`` close frames."""

        # APIError's error code; shadows ConnectionClosed's deprecated ``code`` property, which has no setter
        code = None  # type: ignore[assignment]

        def __init__(self, exc: ConnectionClosed) -> None:
            # both bases' __init__ take different arguments and do not cooperate: set their fields here
            message = f"Realtime connection closed ({exc.rcvd.code if exc.rcvd else 'no code'})"
            Exception.__init__(self, message)
            self.message, self.method, self.url, self.body = message, None, None, None
            self.type = self.param = None
            self.request_sent = True
            self.rcvd, self.sent, self.rcvd_then_sent = exc.rcvd, exc.sent, exc.rcvd_then_sent

        def __str__(self) -> str:
            return self.message

    ConnectionClosedAPIError.__qualname__ = (
        "ConnectionClosedAPIError"  # tracebacks: realtime.ConnectionClosedAPIError
    )
    return ConnectionClosedAPIError


@contextlib.contextmanager
def _typed_close() -> Iterator[None]:
    """websockets' ConnectionClosed, as the API error openai-kit raises for it."""
    from websockets.exceptions import ConnectionClosed

    try:
        yield
    except ConnectionClosed as exc:
        if isinstance(exc, APIConnectionError):
            raise
        raise _closed_error_type()(exc) from None


class _Session:
    """Everything but IO: URL and headers, encoding, decoding, event matching and callbacks."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Callable[[Any], Any]]] = {}
        self._backlog: deque[Any] = deque()
        self._reconnector: _Reconnector | None = None

    def _received(self, message: str | bytes) -> Any:
        event = self.decode(message)
        if self._reconnector is not None:
            self._reconnector.progress(event)
        return event

    def _swap(self, ws: Any) -> None:
        """Adopt the websocket a reconnection opened (``_Reconnector.adopt``)."""
        self._ws = ws

    def _raise_unsent(self, exc: BaseException) -> None:
        """Once the connection is gone for good: the messages queued during reconnection, as an error."""
        error = None if self._reconnector is None else self._reconnector.unsent_error(exc)
        if error is not None:
            raise error

    #: the path below the API base that sessions of this kind connect to
    path = "/realtime"

    @classmethod
    def target(cls, client: _ClientCore, model: str | None, query: Mapping[str, object] | None) -> str:
        q = {**client.default_query, **(query or {})}
        if cls.path == "/realtime":
            url = client.provider.realtime_url(client.base_url, model, q)
        else:
            url = client.provider.websocket_url(client.base_url, cls.path, q)
        base = getattr(client, "websocket_base_url", None)
        if base:  # websocket_base_url= replaces the URL derived from base_url
            path_end = url.find("?") if "?" in url else len(url)
            url = str(base).rstrip("/") + url[url.rfind(cls.path, 0, path_end) :]
        return url

    @staticmethod
    def headers(client: _ClientCore, key: str | None, extra: Mapping[str, str] | None) -> dict[str, str]:
        headers = {k: v for k, v in client.default_headers.items() if k.startswith("openai-")}
        if key is not None:
            headers.update(client.provider.auth_headers(key))
        headers.update(extra or {})
        return headers

    @staticmethod
    def encode(event: Any) -> str:
        if hasattr(event, "model_dump"):
            event = event.model_dump(mode="json", exclude_unset=True, by_alias=True)
        if not isinstance(event, Mapping) or not isinstance(event.get("type"), str):
            raise TypeError("a realtime client event is a mapping (or model) with a string 'type'")
        return orjson.dumps(event).decode()

    @classmethod
    def server_events(cls) -> Any:
        """The typed union of the server's events."""
        from .types.realtime import RealtimeServerEvent

        return RealtimeServerEvent

    @classmethod
    def decode(cls, message: str | bytes) -> Any:
        from pydantic import ValidationError

        from ._models import parse_json

        try:
            return parse_json(cls.server_events(), message)
        except ValidationError as exc:
            raise APIConnectionError(
                f"The websocket server sent an undecodable message: {str(exc)[:200]}"
            ) from None

    def on(self, event_type: str, callback: Callable[[Any], Any]) -> None:
        """Call ``callback(event)`` for every server event of ``event_type`` (``"*"``: every event)."""
        self._handlers.setdefault(event_type, []).append(callback)

    def callbacks(self, event: Any) -> list[Callable[[Any], Any]]:
        return [*self._handlers.get(str(_get(event, "type")), ()), *self._handlers.get("*", ())]

    def take_backlog(self, event_type: str) -> Any:
        for i, event in enumerate(self._backlog):
            if _get(event, "type") == event_type:
                del self._backlog[i]
                return event
        return None

    def check(self, event: Any, event_type: str) -> bool:
        if _get(event, "type") == event_type:
            return True
        if _get(event, "type") == "error":
            raise RealtimeError(event)
        self._backlog.append(event)
        return False


class RealtimeConnection(_Session):
    """A sync Realtime session (``websockets.sync``)."""

    def __init__(self, ws: Any) -> None:
        super().__init__()
        self._ws = ws
        events: ClientEvents[None] = ClientEvents(self.send)
        self.session, self.response = events.session, events.response
        self.conversation, self.input_audio_buffer = events.conversation, events.input_audio_buffer
        self.output_audio_buffer = events.output_audio_buffer

    def send(self, event: Any) -> None:
        data = self.encode(event)
        if self._reconnector is not None and self._reconnector.queue(data):
            return
        self._ws.send(data)

    def recv(self, timeout: float | None = None) -> Any:
        """The next server event (events skipped over by :meth:`wait_for` come first). Does not
        reconnect (as the official ``recv``): iteration, :meth:`dispatch` and :meth:`wait_for` do."""
        if self._backlog:
            return self._backlog.popleft()
        with _typed_close():
            return self._next(timeout, reconnect=False)

    def _next(self, timeout: float | None, *, reconnect: bool) -> Any:
        """The next event off the socket; raises websockets' ConnectionClosed once nothing reconnects."""
        from websockets.exceptions import ConnectionClosed

        while True:
            try:
                message = self._ws.recv(timeout=timeout)
            except TimeoutError:
                raise APITimeoutError("No realtime event in time.") from None
            except ConnectionClosed as exc:
                if reconnect and self._reconnect(exc):
                    continue
                self._raise_unsent(exc)
                raise
            return self._received(message)

    def _reconnect(self, exc: ConnectionClosed) -> bool:
        rc = self._reconnector
        if rc is None or not rc.begin():
            return False
        try:
            for delay in rc.delays(exc):
                if rc.closed.wait(delay):
                    return False
                try:
                    ws = rc.dial(rc.extra_query, rc.extra_headers)
                except Exception:
                    log.info("Websocket reconnection attempt %d failed", rc.attempt, exc_info=True)
                    continue  # a failed dial spends its attempt
                if not rc.adopt(ws, self._swap):
                    ws.close()
                    return False
                try:
                    while (data := rc.next_queued()) is not None:
                        ws.send(data)
                        rc.sent()
                except Exception:
                    with contextlib.suppress(Exception):
                        ws.close()
                    continue
                log.info("Reconnected websocket")
                return True
            return False
        finally:
            rc.end()

    def wait_for(self, event_type: str, timeout: float | None = None) -> Any:
        """Receive until an event of ``event_type`` arrives; others stay queued for :meth:`recv`."""
        found = self.take_backlog(event_type)
        if found is not None:
            return found
        deadline = None if timeout is None else time.monotonic() + timeout
        with _typed_close():
            while True:
                remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
                event = self._next(remaining, reconnect=True)
                if self.check(event, event_type):
                    return event

    def send_and_wait(self, event: Any, event_type: str, timeout: float | None = None) -> Any:
        self.send(event)
        return self.wait_for(event_type, timeout)

    def dispatch(self, until: str | None = None) -> Any:
        """Feed events to the callbacks of :meth:`on` until ``until`` arrives (or the connection ends)."""
        for event in self:
            for callback in self.callbacks(event):
                callback(event)
            if until is not None and _get(event, "type") == until:
                return event
        return None

    def __iter__(self) -> Iterator[Any]:
        from websockets.exceptions import ConnectionClosed, ConnectionClosedOK

        while True:
            if self._backlog:
                yield self._backlog.popleft()
                continue
            try:
                event = self._next(None, reconnect=True)
            except ConnectionClosedOK:
                return  # a normal close ends the iteration
            except ConnectionClosed as exc:
                raise _closed_error_type()(exc) from None
            yield event

    def close(self) -> None:
        if self._reconnector is not None:
            self._reconnector.close()
        self._ws.close()

    def __enter__(self) -> RealtimeConnection:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncRealtimeConnection(_Session):
    """An asyncio Realtime session (``websockets.asyncio``)."""

    def __init__(self, ws: Any) -> None:
        super().__init__()
        self._ws = ws
        events: ClientEvents[Awaitable[None]] = ClientEvents(self.send)
        self.session, self.response = events.session, events.response
        self.conversation, self.input_audio_buffer = events.conversation, events.input_audio_buffer
        self.output_audio_buffer = events.output_audio_buffer

    async def send(self, event: Any) -> None:
        data = self.encode(event)
        if self._reconnector is not None and self._reconnector.queue(data):
            return
        await self._ws.send(data)

    async def recv(self, timeout: float | None = None) -> Any:
        if self._backlog:
            return self._backlog.popleft()
        with _typed_close():
            return await self._next(timeout, reconnect=False)

    async def _next(self, timeout: float | None, *, reconnect: bool) -> Any:
        import asyncio

        from websockets.exceptions import ConnectionClosed

        while True:
            try:
                message = await asyncio.wait_for(self._ws.recv(), timeout)
            except asyncio.TimeoutError:
                raise APITimeoutError("No realtime event in time.") from None
            except ConnectionClosed as exc:
                if reconnect and await self._reconnect(exc):
                    continue
                self._raise_unsent(exc)
                raise
            return self._received(message)

    async def _reconnect(self, exc: ConnectionClosed) -> bool:
        import asyncio

        rc = self._reconnector
        if rc is None or not rc.begin():
            return False
        try:
            for delay in rc.delays(exc):
                await asyncio.sleep(delay)
                if rc.closed.is_set():
                    return False
                try:
                    ws = await rc.dial(rc.extra_query, rc.extra_headers)
                except Exception:
                    log.info("Websocket reconnection attempt %d failed", rc.attempt, exc_info=True)
                    continue  # a failed dial spends its attempt
                if not rc.adopt(ws, self._swap):
                    await ws.close()
                    return False
                try:
                    while (data := rc.next_queued()) is not None:
                        await ws.send(data)
                        rc.sent()
                except Exception:
                    with contextlib.suppress(Exception):
                        await ws.close()
                    continue
                log.info("Reconnected websocket")
                return True
            return False
        finally:
            rc.end()

    async def wait_for(self, event_type: str, timeout: float | None = None) -> Any:
        found = self.take_backlog(event_type)
        if found is not None:
            return found
        deadline = None if timeout is None else time.monotonic() + timeout
        with _typed_close():
            while True:
                remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
                event = await self._next(remaining, reconnect=True)
                if self.check(event, event_type):
                    return event

    async def send_and_wait(self, event: Any, event_type: str, timeout: float | None = None) -> Any:
        await self.send(event)
        return await self.wait_for(event_type, timeout)

    async def dispatch(self, until: str | None = None) -> Any:
        """Feed events to the callbacks (sync or async) until ``until`` arrives (or the connection ends)."""
        async for event in self:
            for callback in self.callbacks(event):
                result = callback(event)
                if inspect.isawaitable(result):
                    await result
            if until is not None and _get(event, "type") == until:
                return event
        return None

    async def __aiter__(self) -> AsyncIterator[Any]:
        from websockets.exceptions import ConnectionClosed, ConnectionClosedOK

        while True:
            if self._backlog:
                yield self._backlog.popleft()
                continue
            try:
                event = await self._next(None, reconnect=True)
            except ConnectionClosedOK:
                return  # a normal close ends the iteration
            except ConnectionClosed as exc:
                raise _closed_error_type()(exc) from None
            yield event

    async def close(self) -> None:
        if self._reconnector is not None:
            self._reconnector.close()
        await self._ws.close()

    async def __aenter__(self) -> AsyncRealtimeConnection:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


def _key(client: _ClientCore) -> Any:
    return client.credential


def open_sync(
    client: OpenAI,
    conn_cls: type[_C],
    model: str | None,
    extra_query: Mapping[str, object] | None,
    extra_headers: Mapping[str, str] | None,
    open_timeout: float,
    policy: _Policy | None = None,
) -> _C:
    """Open a websocket session of ``conn_cls`` (its ``path``) with the client's URL, provider and key;
    with a ``policy`` the session dials again the same way (key provider included) after a drop."""
    from websockets.exceptions import InvalidHandshake
    from websockets.sync.client import connect

    def dial(query: Mapping[str, object], headers: Mapping[str, str]) -> Any:
        key = _key(client)
        if callable(key):
            key = key()
        url = conn_cls.target(client, model, query)
        try:
            ws = connect(
                url,
                additional_headers=_Session.headers(client, key, headers),
                open_timeout=open_timeout,
                max_size=None,
                user_agent_header=client.default_headers.get("user-agent"),
            )
        except (OSError, InvalidHandshake, TimeoutError) as exc:
            raise APIConnectionError(f"Websocket connection failed: {type(exc).__name__}", url=url) from None
        ws.__enter__()  # we own its lifetime: the connection's close() closes it
        return ws

    query, headers = dict(extra_query or {}), dict(extra_headers or {})
    conn = conn_cls(dial(query, headers))
    if policy is not None:
        conn._reconnector = _Reconnector(policy, dial, query, headers)
    return conn


async def open_async(
    client: AsyncOpenAI,
    conn_cls: type[_AC],
    model: str | None,
    extra_query: Mapping[str, object] | None,
    extra_headers: Mapping[str, str] | None,
    open_timeout: float,
    policy: _Policy | None = None,
) -> _AC:
    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidHandshake

    async def dial(query: Mapping[str, object], headers: Mapping[str, str]) -> Any:
        key = _key(client)
        if callable(key):
            key = key()
            if inspect.isawaitable(key):
                key = await key
        url = conn_cls.target(client, model, query)
        try:
            return await connect(
                url,
                additional_headers=_Session.headers(client, key, headers),
                open_timeout=open_timeout,
                max_size=None,
                user_agent_header=client.default_headers.get("user-agent"),
            )
        except (OSError, InvalidHandshake, TimeoutError) as exc:
            raise APIConnectionError(f"Websocket connection failed: {type(exc).__name__}", url=url) from None

    query, headers = dict(extra_query or {}), dict(extra_headers or {})
    conn = conn_cls(await dial(query, headers))
    if policy is not None:
        conn._reconnector = _Reconnector(policy, dial, query, headers)
    return conn


class RealtimeConnectMixin:
    """Adds ``connect()`` to the generated ``client.realtime`` resource."""

    _client: OpenAI

    def connect(
        self,
        *,
        model: str | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        open_timeout: float = 10.0,
        on_reconnecting: OnReconnecting | None = None,
        max_retries: int = 5,
        initial_delay: float = 0.5,
        max_delay: float = 8.0,
        max_queue_size: int = 1_048_576,
    ) -> RealtimeConnection:
        """A Realtime session; ``on_reconnecting`` turns on reconnection (see the module docstring)."""
        policy = _Policy.of(on_reconnecting, max_retries, initial_delay, max_delay, max_queue_size)
        return open_sync(
            self._client, RealtimeConnection, model, extra_query, extra_headers, open_timeout, policy
        )


class AsyncRealtimeConnectMixin:
    """Adds ``connect()`` to the generated async ``client.realtime`` resource."""

    _client: AsyncOpenAI

    def connect(
        self,
        *,
        model: str | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        open_timeout: float = 10.0,
        on_reconnecting: OnReconnecting | None = None,
        max_retries: int = 5,
        initial_delay: float = 0.5,
        max_delay: float = 8.0,
        max_queue_size: int = 1_048_576,
    ) -> _AsyncConnecting[AsyncRealtimeConnection]:
        """``async with client.realtime.connect(model=...) as conn`` (or ``conn = await ...connect()``)."""
        policy = _Policy.of(on_reconnecting, max_retries, initial_delay, max_delay, max_queue_size)
        return _AsyncConnecting(
            open_async(
                self._client, AsyncRealtimeConnection, model, extra_query, extra_headers, open_timeout, policy
            )
        )


class ResponsesConnection(RealtimeConnection):
    """A Responses API websocket session (``client.responses.connect()``): ``send`` ``response.create``
    events (the body of ``responses.create`` plus ``"type": "response.create"``), receive the typed
    ``ResponsesServerEvent`` stream; ``wait_for``, ``on``/``dispatch`` and iteration as on realtime."""

    path = "/responses"

    def __init__(self, ws: Any) -> None:
        _Session.__init__(self)
        self._ws = ws

    @classmethod
    def server_events(cls) -> Any:
        from .types.responses import ResponsesServerEvent

        return ResponsesServerEvent

    def create(self, **params: Any) -> None:
        """Send a ``response.create`` event with ``params`` (``model``, ``input``, ``stream_id``...)."""
        self.send({"type": "response.create", **params})


class AsyncResponsesConnection(AsyncRealtimeConnection):
    """The async :class:`ResponsesConnection`."""

    path = "/responses"

    def __init__(self, ws: Any) -> None:
        _Session.__init__(self)
        self._ws = ws

    @classmethod
    def server_events(cls) -> Any:
        return ResponsesConnection.server_events()

    async def create(self, **params: Any) -> None:
        await self.send({"type": "response.create", **params})


class _AsyncConnecting(Generic[_AC]):
    """Awaitable and async context manager around a pending connection."""

    def __init__(self, pending: Coroutine[Any, Any, _AC]) -> None:
        self._pending = pending
        self._conn: _AC | None = None

    def __await__(self) -> Generator[Any, None, _AC]:
        return self._pending.__await__()

    async def __aenter__(self) -> _AC:
        self._conn = await self._pending
        return self._conn

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._conn is not None:
            await self._conn.close()
