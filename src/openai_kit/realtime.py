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
"""

from __future__ import annotations

import inspect
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Generator, Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import orjson

from ._errors import APIConnectionError, APITimeoutError, OpenAIError
from ._realtime_events import ClientEvents

if TYPE_CHECKING:
    from ._base_client import _ClientCore
    from ._client import AsyncOpenAI, OpenAI

__all__ = [
    "AsyncRealtimeConnectMixin",
    "AsyncRealtimeConnection",
    "AsyncResponsesConnection",
    "RealtimeConnectMixin",
    "RealtimeConnection",
    "RealtimeError",
    "ResponsesConnection",
]


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


class _Session:
    """Everything but IO: URL and headers, encoding, decoding, event matching and callbacks."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Callable[[Any], Any]]] = {}
        self._backlog: deque[Any] = deque()

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
        self._ws.send(self.encode(event))

    def recv(self, timeout: float | None = None) -> Any:
        """The next server event (events skipped over by :meth:`wait_for` come first)."""
        if self._backlog:
            return self._backlog.popleft()
        return self._recv(timeout)

    def _recv(self, timeout: float | None) -> Any:
        from websockets.exceptions import ConnectionClosed

        try:
            return self.decode(self._ws.recv(timeout=timeout))
        except TimeoutError:
            raise APITimeoutError("No realtime event in time.") from None
        except ConnectionClosed as exc:
            raise APIConnectionError(
                f"Realtime connection closed ({exc.rcvd.code if exc.rcvd else 'no code'})"
            ) from None

    def wait_for(self, event_type: str, timeout: float | None = None) -> Any:
        """Receive until an event of ``event_type`` arrives; others stay queued for :meth:`recv`."""
        found = self.take_backlog(event_type)
        if found is not None:
            return found
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            event = self._recv(remaining)
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
        from websockets.exceptions import ConnectionClosedOK

        while True:
            try:
                yield self.recv()
            except APIConnectionError:
                if isinstance(self._ws.protocol.close_exc, ConnectionClosedOK):
                    return
                raise

    def close(self) -> None:
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
        await self._ws.send(self.encode(event))

    async def recv(self, timeout: float | None = None) -> Any:
        if self._backlog:
            return self._backlog.popleft()
        return await self._recv(timeout)

    async def _recv(self, timeout: float | None) -> Any:
        import asyncio

        from websockets.exceptions import ConnectionClosed

        try:
            return self.decode(await asyncio.wait_for(self._ws.recv(), timeout))
        except asyncio.TimeoutError:
            raise APITimeoutError("No realtime event in time.") from None
        except ConnectionClosed as exc:
            raise APIConnectionError(
                f"Realtime connection closed ({exc.rcvd.code if exc.rcvd else 'no code'})"
            ) from None

    async def wait_for(self, event_type: str, timeout: float | None = None) -> Any:
        found = self.take_backlog(event_type)
        if found is not None:
            return found
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            event = await self._recv(remaining)
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
        from websockets.exceptions import ConnectionClosedOK

        while True:
            try:
                yield await self.recv()
            except APIConnectionError:
                if isinstance(self._ws.protocol.close_exc, ConnectionClosedOK):
                    return
                raise

    async def close(self) -> None:
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
) -> _C:
    """Open a websocket session of ``conn_cls`` (its ``path``) with the client's URL, provider and key."""
    from websockets.exceptions import InvalidHandshake
    from websockets.sync.client import connect

    key = _key(client)
    if callable(key):
        key = key()
    url = conn_cls.target(client, model, extra_query)
    try:
        ws = connect(
            url,
            additional_headers=_Session.headers(client, key, extra_headers),
            open_timeout=open_timeout,
            max_size=None,
            user_agent_header=client.default_headers.get("user-agent"),
        )
    except (OSError, InvalidHandshake, TimeoutError) as exc:
        raise APIConnectionError(f"Websocket connection failed: {type(exc).__name__}", url=url) from None
    ws.__enter__()  # we own its lifetime: the connection's close() closes it
    return conn_cls(ws)


async def open_async(
    client: AsyncOpenAI,
    conn_cls: type[_AC],
    model: str | None,
    extra_query: Mapping[str, object] | None,
    extra_headers: Mapping[str, str] | None,
    open_timeout: float,
) -> _AC:
    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidHandshake

    key = _key(client)
    if callable(key):
        key = key()
        if inspect.isawaitable(key):
            key = await key
    url = conn_cls.target(client, model, extra_query)
    try:
        ws = await connect(
            url,
            additional_headers=_Session.headers(client, key, extra_headers),
            open_timeout=open_timeout,
            max_size=None,
            user_agent_header=client.default_headers.get("user-agent"),
        )
    except (OSError, InvalidHandshake, TimeoutError) as exc:
        raise APIConnectionError(f"Websocket connection failed: {type(exc).__name__}", url=url) from None
    return conn_cls(ws)


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
    ) -> RealtimeConnection:
        return open_sync(self._client, RealtimeConnection, model, extra_query, extra_headers, open_timeout)


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
    ) -> _AsyncConnecting[AsyncRealtimeConnection]:
        """``async with client.realtime.connect(model=...) as conn`` (or ``conn = await ...connect()``)."""
        return _AsyncConnecting(
            open_async(self._client, AsyncRealtimeConnection, model, extra_query, extra_headers, open_timeout)
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
