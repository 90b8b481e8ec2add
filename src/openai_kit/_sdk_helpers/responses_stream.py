"""``client.responses.parse`` and ``client.responses.stream``, as in the official SDK::

    with client.responses.stream(model="gpt-4o-mini", input="Hi") as stream:
        for event in stream:                       # the typed events of responses.create(stream=True)
            if event.type == "response.output_text.delta":
                print(event.delta, end="", flush=True)
    response = stream.get_final_response()         # the Response of `response.completed`

With ``text_format=<pydantic model>`` the final response has ``output_parsed``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import pydantic

from .._errors import APIResponseValidationError
from ._folding import AsyncFoldingStream, AsyncStreamManager, FoldingStream, StreamManager, no_stream_param
from .parsing import _parse_response, _responses_params

if TYPE_CHECKING:
    from typing import Literal, Protocol

    from .._client import AsyncOpenAI, OpenAI
    from .._streaming import AsyncStream, Stream
    from .._types import NotGiven
    from ..realtime import (
        AsyncResponsesConnection,
        ReconnectingEvent,
        ReconnectingOverrides,
        ResponsesConnection,
        _AsyncConnecting,
    )
    from ..resources.responses import AsyncResponses, Responses
    from ..types.responses import Response, ResponseStreamEvent

    # The hosts of the mixins: the generated ``create`` (one protocol per overload used: a call that
    # forwards ``**params`` to an overloaded method would be typed Any) and the client; _hosts() at the
    # end checks them against the generated classes.
    _NoStream = Literal[False] | None | NotGiven

    class _ResponsesHost(Protocol):
        _client: OpenAI

        def create(self, *, stream: _NoStream = ...) -> Response: ...

    class _ResponsesStreamHost(Protocol):
        def create(self, *, stream: Literal[True]) -> Stream[ResponseStreamEvent]: ...

    class _AsyncResponsesHost(Protocol):
        _client: AsyncOpenAI

        async def create(self, *, stream: _NoStream = ...) -> Response: ...

    class _AsyncResponsesStreamHost(Protocol):
        async def create(self, *, stream: Literal[True]) -> AsyncStream[ResponseStreamEvent]: ...


__all__ = ["AsyncResponseStream", "AsyncResponsesMixin", "ResponseStream", "ResponsesMixin"]

#: events that carry the finished response
_FINAL_EVENTS = frozenset({"response.completed", "response.incomplete", "response.failed"})


class _Final:
    """Watches the events for the final response; shared by the sync and async streams."""

    def __init__(self, text_format: type[pydantic.BaseModel] | None) -> None:
        self.text_format = text_format
        self.response: Response | None = None

    def see(self, event: Any) -> tuple[Any]:
        """Pass ``event`` through, keeping the response it carries when it is the final one."""
        if getattr(event, "type", None) in _FINAL_EVENTS:
            self.response = event.response
        return (event,)

    def result(self) -> Response:
        if self.response is None:
            raise APIResponseValidationError("The stream ended without a response.completed event")
        return _parse_response(self.response, self.text_format)


class ResponseStream(FoldingStream):
    """Iterate for the typed events; ``get_final_response()`` reads what is left."""

    def __init__(self, raw: Stream[Any], final: _Final) -> None:
        super().__init__(raw, final.see)
        self._final = final

    def get_final_response(self) -> Response:
        self.until_done()
        return self._final.result()


class AsyncResponseStream(AsyncFoldingStream):
    """``async for`` the typed events; ``await get_final_response()``."""

    def __init__(self, raw: AsyncStream[Any], final: _Final) -> None:
        super().__init__(raw, final.see)
        self._final = final

    async def get_final_response(self) -> Response:
        await self.until_done()
        return self._final.result()


class ResponsesMixin:
    """``client.responses``: ``parse`` and ``stream``."""

    def parse(self: _ResponsesHost, **params: Any) -> Response:
        model = _responses_params(params)
        return _parse_response(self.create(**params), model)

    def stream(self: _ResponsesStreamHost, **params: Any) -> StreamManager[ResponseStream]:
        params = no_stream_param(params)
        model = _responses_params(params)
        return StreamManager(lambda: ResponseStream(self.create(**params, stream=True), _Final(model)))

    def connect(
        self: _ResponsesHost,
        *,
        extra_query: Mapping[str, object] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        open_timeout: float = 10.0,
        on_reconnecting: Callable[[ReconnectingEvent], ReconnectingOverrides | None] | None = None,
        max_retries: int = 5,
        initial_delay: float = 0.5,
        max_delay: float = 8.0,
        max_queue_size: int = 1_048_576,
    ) -> ResponsesConnection:
        """A persistent Responses websocket (``with client.responses.connect() as conn``): send
        ``conn.create(model=..., input=...)`` (a ``response.create`` event), read the typed events.
        ``on_reconnecting`` turns on reconnection after a drop (see :mod:`openai_kit.realtime`)."""
        from ..realtime import ResponsesConnection, _Policy, open_sync

        policy = _Policy.of(on_reconnecting, max_retries, initial_delay, max_delay, max_queue_size)
        return open_sync(
            self._client, ResponsesConnection, None, extra_query, extra_headers, open_timeout, policy
        )


class AsyncResponsesMixin:
    """``client.responses`` (async): ``parse`` and ``stream``."""

    async def parse(self: _AsyncResponsesHost, **params: Any) -> Response:
        model = _responses_params(params)
        return _parse_response(await self.create(**params), model)

    def stream(self: _AsyncResponsesStreamHost, **params: Any) -> AsyncStreamManager[AsyncResponseStream]:
        params = no_stream_param(params)
        model = _responses_params(params)

        async def start() -> AsyncResponseStream:
            return AsyncResponseStream(await self.create(**params, stream=True), _Final(model))

        return AsyncStreamManager(start)

    def connect(
        self: _AsyncResponsesHost,
        *,
        extra_query: Mapping[str, object] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        open_timeout: float = 10.0,
        on_reconnecting: Callable[[ReconnectingEvent], ReconnectingOverrides | None] | None = None,
        max_retries: int = 5,
        initial_delay: float = 0.5,
        max_delay: float = 8.0,
        max_queue_size: int = 1_048_576,
    ) -> _AsyncConnecting[AsyncResponsesConnection]:
        """``async with client.responses.connect() as conn`` (or ``conn = await ...connect()``)."""
        from ..realtime import AsyncResponsesConnection, _AsyncConnecting, _Policy, open_async

        policy = _Policy.of(on_reconnecting, max_retries, initial_delay, max_delay, max_queue_size)
        pending = open_async(
            self._client, AsyncResponsesConnection, None, extra_query, extra_headers, open_timeout, policy
        )
        return _AsyncConnecting(pending)


if TYPE_CHECKING:

    def _hosts(
        responses: Responses, aresponses: AsyncResponses
    ) -> tuple[_ResponsesHost, _ResponsesStreamHost, _AsyncResponsesHost, _AsyncResponsesStreamHost]:
        """Never called: mypy checks here that each generated class is the host its mixin expects."""
        return responses, responses, aresponses, aresponses
