"""Typed iterators over Server-Sent Event streams.

Iterate a :class:`Stream` (or ``async for`` an :class:`AsyncStream`) to get parsed events; or pass a
callback to :meth:`Stream.for_each`. The stream ends on ``data: [DONE]``; the rest of the response is
then drained and the connection goes back to the pool. Stopping early (``break``, ``close()``, leaving a
``with`` block, cancellation) discards the connection instead of reading the rest of the stream.

Errors are typed: an ``error`` event or an ``{"error": ...}`` payload raises :class:`APIError`; a
connection failure or a stream cut inside an event raises :class:`APIConnectionError`; a data-only
stream (chat, completions) that ends without ``[DONE]`` is reported as truncated; a stream that sends no
event for ``Timeout.stream_idle`` seconds — keep-alive comments do not count — raises
:class:`APITimeoutError`.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Generator, Iterator
from types import TracebackType
from typing import Any, Generic, TypeVar

from ._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APITimeoutError,
    validation_error,
)
from ._models import json_validator, parse_json
from ._sse import ServerSentEvent, SSEDecoder
from ._transports._base import Response

__all__ = ["AsyncStream", "Enveloped", "Stream", "is_not_streamed", "not_streamed_error"]


def is_not_streamed(response: Response) -> bool:
    """A JSON reply to a request that asked for an event stream (e.g. ``client.post(path, stream=True)``
    without ``"stream": true`` in the body). A missing or other content type is still read as a stream."""
    return response.headers.get("content-type", "").lower().startswith("application/json")


def not_streamed_error(response: Response) -> APIResponseValidationError:
    """The error for :func:`is_not_streamed` replies (the body is already read)."""
    return validation_error(
        "The server did not stream: it answered with a JSON body (content-type application/json), not an "
        'event stream (text/event-stream). Send "stream": true in the request body, or call without '
        "stream=True to get the JSON response.",
        response.content or b"",
        response=response,
    )


_T = TypeVar("_T")
_UNSET: Any = object()  # no cast looked up yet


class Enveloped:
    """A ``stream_cls`` for streams that name each event on the SSE ``event:`` line and send the object
    alone as ``data:`` (assistants runs). Each event is parsed as ``{"event": <name>, "data": <object>}``
    into ``cast`` — e.g. ``AssistantStreamEvent``, whose members are told apart by ``event``, so
    ``thread.run.created`` and ``thread.run.completed`` stay distinct although both carry a run."""

    __slots__ = ("cast",)

    def __init__(self, cast: Any) -> None:
        self.cast = cast

    def __repr__(self) -> str:
        return f"Enveloped({getattr(self.cast, '__name__', self.cast)!r})"


class _EventParser(Generic[_T]):
    """Everything about a stream except reading bytes: shared by Stream and AsyncStream."""

    __slots__ = (
        "_fast",
        "_fast_cast",
        "cast",
        "decoder",
        "done",
        "idle",
        "last_event",
        "last_named",
        "request",
        "strict",
    )

    def __init__(self, cast: Any, response: Response, idle: float | None, strict: bool = False) -> None:
        self.cast = cast
        self.strict = strict
        self.decoder = SSEDecoder()
        self.done = False
        self.idle = idle
        self.last_event = time.monotonic()
        self.last_named = False
        self.request = response.request
        self._fast: Callable[[bytes], Any] | None = None
        self._fast_cast: Any = _UNSET  # the cast _fast was looked up for

    def feed(self, chunk: bytes) -> list[bytes | ServerSentEvent]:
        """The events of ``chunk``; an event with data and no name comes as the bytes of its data (see
        :meth:`parse_data`), unless the stream hands out the events themselves (``events()``)."""
        events = self.decoder._feed(chunk, self.cast is not ServerSentEvent)
        now = time.monotonic()
        if events:
            self.last_event = now
        elif self.idle is not None and now - self.last_event > self.idle:
            raise APITimeoutError(
                f"No stream event for {self.idle:g}s (only keep-alives).",
                method=self.request.method,
                url=self.request.url,
            )
        return events

    def parse_data(self, data: bytes) -> _T:
        """:meth:`parse` of an unnamed event given as the bytes of its data. A model (or other typed) cast
        validates the bytes directly with a validator looked up once per cast; everything else, and any
        failure, goes through :meth:`parse`, so errors and odd payloads are handled in one place."""
        fast = self._fast if self._fast_cast is self.cast else self._fast_validator()
        if fast is None or data.startswith(b'{"error"'):
            return self.parse(self._event(data))
        try:
            value = fast(data)
        except ValueError:
            return self.parse(self._event(data))  # reported (or recovered: invalid UTF-8) there
        self.last_named = False
        return value  # type: ignore[no-any-return]

    def _fast_validator(self) -> Callable[[bytes], Any] | None:
        """The bytes-to-object validator of the current cast, or None when :meth:`parse` must decide
        (untyped casts, raw events, enveloped events); looked up again when the cast changes."""
        cast = self._fast_cast = self.cast
        if (
            cast is None
            or cast is object
            or cast is dict
            or cast is ServerSentEvent
            or type(cast) is Enveloped
        ):
            self._fast = None
        else:
            self._fast = json_validator(cast, strict=self.strict)
        return self._fast

    def _event(self, data: bytes) -> ServerSentEvent:
        decoder = self.decoder
        return ServerSentEvent(data.decode("utf-8", "replace"), None, decoder._id, decoder._retry)

    def parse(self, sse: ServerSentEvent) -> _T:
        data = sse.data
        if sse.event == "error" or data.startswith('{"error"'):
            body = _loads(data)
            err = body.get("error", body) if isinstance(body, dict) else None
            msg = err.get("message") if isinstance(err, dict) else None
            raise APIError(
                f"Stream error: {msg or data[:200]}",
                method=self.request.method,
                url=self.request.url,
                body=body,
            )
        self.last_named = sse.event is not None
        cast = self.cast
        if cast is ServerSentEvent:
            return sse  # type: ignore[return-value]
        if type(cast) is Enveloped:
            name = sse.event or "message"  # the SSE default event type
            cast = cast.cast
            if cast is None or cast is object or cast is dict:
                return {"event": name, "data": _loads(data)}  # type: ignore[return-value]
            data = '{"event":' + _json_string(name) + ',"data":' + data + "}"
        elif cast is None or cast is object or cast is dict:
            return _loads(data)  # type: ignore[no-any-return]
        try:
            return parse_json(cast, data, strict=self.strict)  # type: ignore[no-any-return]
        except ValueError as exc:
            raise validation_error(
                f"Stream event is not a valid {getattr(cast, '__name__', cast)}: {str(exc)[:300]}",
                data,
                request=self.request,
            ) from None

    def at_eof(self) -> None:
        if self.done:
            return
        if self.decoder.pending:
            raise APIConnectionError(
                "Stream ended in the middle of an event.", method=self.request.method, url=self.request.url
            )
        if not self.last_named:
            raise APIConnectionError(
                "Stream ended without [DONE] (truncated).", method=self.request.method, url=self.request.url
            )
        self.done = True


def _json_string(text: str) -> str:
    import orjson

    return orjson.dumps(text).decode()


def _loads(data: str) -> Any:
    import orjson

    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return data


class Stream(Generic[_T]):
    """A sync iterator of typed events."""

    def __init__(
        self, response: Response, cast: Any, *, idle_timeout: float | None, strict: bool = False
    ) -> None:
        self.response = response
        self._parser: _EventParser[_T] = _EventParser(cast, response, idle_timeout, strict)
        self._iterator = self._iter()
        self._closed = False

    @property
    def headers(self) -> Any:
        return self.response.headers

    @property
    def request_id(self) -> str | None:
        return self.response.request_id

    def _iter(self) -> Generator[_T, None, None]:
        parser = self._parser
        try:
            for chunk in self.response.iter_raw():
                for sse in parser.feed(chunk):
                    if type(sse) is bytes:
                        if sse == b"[DONE]":
                            parser.done = True
                            break
                        yield parser.parse_data(sse)
                    elif sse.data == "[DONE]":  # type: ignore[union-attr]
                        parser.done = True
                        break
                    else:
                        yield parser.parse(sse)  # type: ignore[arg-type]
                if parser.done:
                    break
            parser.at_eof()
        finally:
            self._finish()

    def _finish(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.response.close(drain=self._parser.done)

    def __iter__(self) -> Iterator[_T]:
        return self._iterator

    def __next__(self) -> _T:
        return next(self._iterator)

    def events(self) -> Iterator[ServerSentEvent]:
        """The raw events, undecoded (for streams whose payloads you parse yourself)."""
        self._parser.cast = ServerSentEvent
        return self._iterator  # type: ignore[return-value]

    def for_each(self, callback: Callable[[_T], object]) -> None:
        """Call ``callback`` with every event, then close the stream."""
        with self:
            for event in self:
                callback(event)

    def close(self) -> None:
        self._iterator.close()
        self._finish()

    def __enter__(self) -> Stream[_T]:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncStream(Generic[_T]):
    """An async iterator of typed events."""

    def __init__(
        self, response: Response, cast: Any, *, idle_timeout: float | None, strict: bool = False
    ) -> None:
        self.response = response
        self._parser: _EventParser[_T] = _EventParser(cast, response, idle_timeout, strict)
        self._iterator = self._aiter()
        self._closed = False

    @property
    def headers(self) -> Any:
        return self.response.headers

    @property
    def request_id(self) -> str | None:
        return self.response.request_id

    async def _aiter(self) -> AsyncGenerator[_T, None]:
        parser = self._parser
        chunks = self.response.aiter_raw()
        try:
            async for chunk in chunks:
                for sse in parser.feed(chunk):
                    if type(sse) is bytes:
                        if sse == b"[DONE]":
                            parser.done = True
                            break
                        yield parser.parse_data(sse)
                    elif sse.data == "[DONE]":  # type: ignore[union-attr]
                        parser.done = True
                        break
                    else:
                        yield parser.parse(sse)  # type: ignore[arg-type]
                if parser.done:
                    break
            parser.at_eof()
        finally:
            # The reader is closed now, not when the garbage collector gets to it: until then it holds its
            # last read (often a whole burst of events), which adds up with many streams (1,000: +28 MiB).
            chunk = b""
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                await aclose()
            await self._finish()

    async def _finish(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self.response.aclose(drain=self._parser.done)

    def __aiter__(self) -> AsyncIterator[_T]:
        return self._iterator

    async def __anext__(self) -> _T:
        return await self._iterator.__anext__()

    def events(self) -> AsyncIterator[ServerSentEvent]:
        self._parser.cast = ServerSentEvent
        return self._iterator  # type: ignore[return-value]

    async def for_each(self, callback: Callable[[_T], object | Awaitable[object]]) -> None:
        """Call ``callback`` (sync or async) with every event, then close the stream."""
        async with self:
            async for event in self:
                result = callback(event)
                if inspect.isawaitable(result):
                    await result

    async def close(self) -> None:
        await self._iterator.aclose()
        await self._finish()

    async def aclose(self) -> None:
        """``close()`` (the official SDK's other name)."""
        await self.close()

    async def __aenter__(self) -> AsyncStream[_T]:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
