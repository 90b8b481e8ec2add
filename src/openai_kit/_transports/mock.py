"""A transport that answers from a function: test your own code without sockets or a server.

::

    from openai_kit import MockResponse, MockTransport, OpenAI

    def handler(request):
        assert request.url.endswith("/chat/completions")
        return MockResponse(json={"id": "c1", "object": "chat.completion", ...})

    client = OpenAI(api_key="test", http_client=MockTransport(handler))

The handler receives the :class:`~openai_kit._transports._base.Request` as it would go on the wire
(method, url, headers with the key, ``content`` as bytes, ``json()``) and returns a :class:`MockResponse`.
With ``AsyncOpenAI`` the handler may also be ``async``. Everything above the transport runs for real:
retries, hooks, error mapping, streaming, parsing. A handler that raises
:class:`~openai_kit.APIConnectionError` simulates a network failure (``request_sent=False`` for one that
never left).
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from typing import Any

import orjson

from .._timeouts import Timeout
from ._base import Request, Response

__all__ = ["MockResponse", "MockTransport"]


class MockResponse:
    """What a mock handler answers. Give at most one body: ``json`` (serialised, content type JSON),
    ``content`` (bytes), ``text``, ``chunks`` (bytes delivered one by one, as a streamed body) or
    ``sse`` (events: each a JSON-able object, or a string sent as is after ``data: ``; add ``"[DONE]"``
    yourself where the API sends it)."""

    __slots__ = ("chunks", "headers", "status_code")

    def __init__(
        self,
        status_code: int = 200,
        *,
        json: Any = None,
        content: bytes | None = None,
        text: str | None = None,
        chunks: Iterable[bytes] | None = None,
        sse: Iterable[Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        given = [x is not None for x in (json, content, text, chunks, sse)]
        if sum(given) > 1:
            raise ValueError("MockResponse: give one of json, content, text, chunks or sse")
        hdrs = {k.lower(): v for k, v in (headers or {}).items()}
        body: list[bytes]
        if json is not None:
            body = [orjson.dumps(json)]
            hdrs.setdefault("content-type", "application/json")
        elif text is not None:
            body = [text.encode()]
            hdrs.setdefault("content-type", "text/plain; charset=utf-8")
        elif sse is not None:
            body = [_sse_event(e) for e in sse]
            hdrs.setdefault("content-type", "text/event-stream")
        elif chunks is not None:
            body = list(chunks)
        else:
            body = [content or b""]
        self.status_code = status_code
        self.headers = hdrs
        self.chunks = body


def _sse_event(event: Any) -> bytes:
    data = event if isinstance(event, str) else orjson.dumps(event).decode()
    return b"data: " + data.encode() + b"\n\n"


Handler = Callable[[Request], "MockResponse | Awaitable[MockResponse]"]


class MockTransport:
    """A transport whose responses come from ``handler``; usable by ``OpenAI`` and ``AsyncOpenAI``
    (``http_client=MockTransport(handler)``). ``requests`` lists every request it received."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[Request] = []

    def _request(self, request: Request, content: bytes | None) -> Request:
        seen = Request(request.method, request.origin, request.target, dict(request.headers), content)
        self.requests.append(seen)
        return seen

    def _response(self, answer: object, request: Request, stream: bool) -> Response:
        if not isinstance(answer, MockResponse):
            raise TypeError(f"a mock handler must return a MockResponse, not {type(answer).__name__}")
        if not stream:
            content = b"".join(answer.chunks)
            return Response(answer.status_code, answer.headers, request, content=content)
        chunks = answer.chunks

        def iter_chunks() -> Iterator[bytes]:
            yield from chunks

        async def aiter_chunks() -> AsyncIterator[bytes]:
            for chunk in chunks:
                yield chunk

        return Response(
            answer.status_code,
            answer.headers,
            request,
            iter_chunks=iter_chunks,
            aiter_chunks=aiter_chunks,
            close=_no_close,
            aclose=_no_aclose,
        )

    def send(self, request: Request, *, stream: bool, timeout: Timeout) -> Response:
        content = request.content
        body = content if content is None or isinstance(content, bytes) else b"".join(content)
        seen = self._request(request, body)
        answer = self.handler(seen)
        if inspect.isawaitable(answer):
            if inspect.iscoroutine(answer):
                answer.close()
            raise TypeError("this mock handler is async: use it with AsyncOpenAI")
        return self._response(answer, seen, stream)

    async def asend(self, request: Request, *, stream: bool, timeout: Timeout) -> Response:
        content = request.content
        if content is None or isinstance(content, bytes):
            body = content
        else:
            body = b"".join([chunk async for chunk in content])
        seen = self._request(request, body)
        answer = self.handler(seen)
        if inspect.isawaitable(answer):
            answer = await answer
        return self._response(answer, seen, stream)

    def close(self) -> None:
        """Nothing to close."""

    async def aclose(self) -> None:
        """Nothing to close."""


class _AsyncView:
    """The async face of a :class:`MockTransport` (what ``AsyncOpenAI`` drives)."""

    def __init__(self, mock: MockTransport) -> None:
        self.mock = mock

    async def send(self, request: Request, *, stream: bool, timeout: Timeout) -> Response:
        return await self.mock.asend(request, stream=stream, timeout=timeout)

    async def aclose(self) -> None:
        """Nothing to close."""


def _no_close(drain: bool) -> None:
    del drain


async def _no_aclose(drain: bool) -> None:
    del drain
