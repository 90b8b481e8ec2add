"""Raw access to a response: status, headers and body, with parsing on demand.

``client.with_raw_response.<resource>.<op>(...)`` returns an :class:`APIResponse` (body already read);
``client.with_streaming_response...`` returns one whose body is read only when you ask (use it as a
context manager). ``parse()`` gives what the operation would have returned.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from types import TracebackType
from typing import Any

import orjson

from ._errors import validation_error
from ._transports._base import Request, Response

__all__ = ["APIResponse", "AsyncAPIResponse"]


class _ResponseInfo:
    def __init__(self, response: Response, finish: Callable[[Response], Any]) -> None:
        self.http_response = response
        self._finish = finish

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def headers(self) -> Mapping[str, str]:
        return self.http_response.headers

    @property
    def request_id(self) -> str | None:
        return self.http_response.request_id

    @property
    def http_request(self) -> Request:
        return self.http_response.request

    @property
    def elapsed(self) -> float:
        return self.http_response.elapsed

    def __repr__(self) -> str:
        r = self.http_response.request
        return f"<{type(self).__name__} [{self.status_code}] {r.method} {r.url}>"


def _json(content: bytes) -> Any:
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        raise validation_error(f"Response body is not valid JSON: {exc}", content) from None


class APIResponse(_ResponseInfo):
    def read(self) -> bytes:
        return self.http_response.read()

    @property
    def content(self) -> bytes:
        return self.read()

    @property
    def text(self) -> str:
        return self.read().decode("utf-8", "replace")

    def json(self) -> Any:
        return _json(self.read())

    def iter_bytes(self) -> Iterator[bytes]:
        try:
            yield from self.http_response.iter_bytes()
        finally:
            self.http_response.close()

    def iter_lines(self) -> Iterator[str]:
        pending = b""
        for chunk in self.iter_bytes():
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                yield line.rstrip(b"\r").decode("utf-8", "replace")
        if pending:
            yield pending.decode("utf-8", "replace")

    def parse(self) -> Any:
        """What the operation returns normally (a model, a stream, a page of binary response...)."""
        return self._finish(self.http_response)

    def close(self) -> None:
        self.http_response.close()

    def __enter__(self) -> APIResponse:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncAPIResponse(_ResponseInfo):
    async def read(self) -> bytes:
        return await self.http_response.aread()

    async def text(self) -> str:
        return (await self.read()).decode("utf-8", "replace")

    async def json(self) -> Any:
        return _json(await self.read())

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self.http_response.aiter_bytes():
                yield chunk
        finally:
            await self.http_response.aclose()

    async def parse(self) -> Any:
        result = self._finish(self.http_response)
        if hasattr(result, "__await__"):
            result = await result
        return result

    async def close(self) -> None:
        await self.http_response.aclose()

    async def __aenter__(self) -> AsyncAPIResponse:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
