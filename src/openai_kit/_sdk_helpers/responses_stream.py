"""``client.responses.parse`` and ``client.responses.stream``, as in the official SDK::

    with client.responses.stream(model="gpt-4o-mini", input="Hi") as stream:
        for event in stream:                       # the typed events of responses.create(stream=True)
            if event.type == "response.output_text.delta":
                print(event.delta, end="", flush=True)
    response = stream.get_final_response()         # the Response of `response.completed`

With ``text_format=<pydantic model>`` the final response has ``output_parsed``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any

import pydantic

from .._errors import APIResponseValidationError
from .parsing import _parse_response, _responses_params

if TYPE_CHECKING:
    from .._streaming import AsyncStream, Stream
    from ..types.responses import Response

__all__ = [
    "AsyncResponseStream",
    "AsyncResponseStreamManager",
    "AsyncResponsesMixin",
    "ResponseStream",
    "ResponseStreamManager",
    "ResponsesMixin",
]

#: events that carry the finished response
_FINAL_EVENTS = frozenset({"response.completed", "response.incomplete", "response.failed"})


class _Final:
    """Watches the events for the final response; shared by the sync and async streams."""

    def __init__(self, text_format: type[pydantic.BaseModel] | None) -> None:
        self.text_format = text_format
        self.response: Response | None = None

    def see(self, event: Any) -> None:
        if getattr(event, "type", None) in _FINAL_EVENTS:
            self.response = event.response

    def result(self) -> Response:
        if self.response is None:
            raise APIResponseValidationError("The stream ended without a response.completed event")
        return _parse_response(self.response, self.text_format)


class ResponseStream:
    """Iterate for the typed events; ``get_final_response()`` reads what is left."""

    def __init__(self, raw: Stream[Any], final: _Final) -> None:
        self.raw = raw
        self._final = final
        self._events = self._iter()

    def _iter(self) -> Iterator[Any]:
        for event in self.raw:
            self._final.see(event)
            yield event

    def __iter__(self) -> Iterator[Any]:
        return self._events

    def __next__(self) -> Any:
        return next(self._events)

    def until_done(self) -> ResponseStream:
        for _ in self._events:
            pass
        return self

    def get_final_response(self) -> Response:
        self.until_done()
        return self._final.result()

    def close(self) -> None:
        self.raw.close()


class AsyncResponseStream:
    """``async for`` the typed events; ``await get_final_response()``."""

    def __init__(self, raw: AsyncStream[Any], final: _Final) -> None:
        self.raw = raw
        self._final = final
        self._events = self._iter()

    async def _iter(self) -> AsyncIterator[Any]:
        async for event in self.raw:
            self._final.see(event)
            yield event

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._events

    async def __anext__(self) -> Any:
        return await self._events.__anext__()

    async def until_done(self) -> AsyncResponseStream:
        async for _ in self._events:
            pass
        return self

    async def get_final_response(self) -> Response:
        await self.until_done()
        return self._final.result()

    async def close(self) -> None:
        await self.raw.close()


class ResponseStreamManager:
    """What ``responses.stream()`` returns: the request is made on ``with``."""

    def __init__(self, resource: Any, params: dict[str, Any]) -> None:
        self._resource = resource
        self._params = params
        self._stream: ResponseStream | None = None

    def __enter__(self) -> ResponseStream:
        params = dict(self._params)
        model = _responses_params(params)
        self._stream = ResponseStream(self._resource.create(**params, stream=True), _Final(model))
        return self._stream

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._stream is not None:
            self._stream.close()


class AsyncResponseStreamManager:
    """``async with client.responses.stream(...) as stream``."""

    def __init__(self, resource: Any, params: dict[str, Any]) -> None:
        self._resource = resource
        self._params = params
        self._stream: AsyncResponseStream | None = None

    async def __aenter__(self) -> AsyncResponseStream:
        params = dict(self._params)
        model = _responses_params(params)
        raw = await self._resource.create(**params, stream=True)
        self._stream = AsyncResponseStream(raw, _Final(model))
        return self._stream

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._stream is not None:
            await self._stream.close()


def _check(params: dict[str, Any]) -> dict[str, Any]:
    if "stream" in params:
        raise TypeError("stream() always streams; do not pass `stream`")
    return params


class ResponsesMixin:
    """``client.responses``: ``parse`` and ``stream``."""

    def parse(self, **params: Any) -> Response:
        me: Any = self
        model = _responses_params(params)
        return _parse_response(me.create(**params), model)

    def stream(self, **params: Any) -> ResponseStreamManager:
        return ResponseStreamManager(self, _check(params))


class AsyncResponsesMixin:
    """``client.responses`` (async): ``parse`` and ``stream``."""

    async def parse(self, **params: Any) -> Response:
        me: Any = self
        model = _responses_params(params)
        return _parse_response(await me.create(**params), model)

    def stream(self, **params: Any) -> AsyncResponseStreamManager:
        return AsyncResponseStreamManager(self, _check(params))
