"""The realtime websocket relay (``/v1/realtime``): frame by frame, both directions, with backpressure.

The front end authenticates like any request: ``Authorization: Bearer <token>``, or from a browser (which
cannot set headers on a websocket) the subprotocol ``openai-insecure-api-key.<token>``, exactly as the
OpenAI realtime API accepts it. The hook then sees an ``authorization: Bearer <token>`` header either way.
That subprotocol is never forwarded; the others (``realtime``, ``openai-beta.realtime-v1``) are, and the
one the upstream selects is the one the client gets. A rejected handshake answers 401 in the API's error
format (through the ASGI websocket denial response where the server supports it, else close code 1008).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import Receive, Scope, Send
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Subprotocol

from . import errors
from .auth import extract_token
from .errors import ProxyError, send_error
from .relay import Relay

__all__ = ["RealtimeRelay"]

_INSECURE_KEY = "openai-insecure-api-key."
_FORWARDED_HEADERS = ("openai-beta",)


def _sendable(code: int | None, default: int) -> int:
    """``code`` if an endpoint may send it in a close frame, else ``default`` (1005/1006/1015 are
    reserved for "no code", "abnormal closure" and "TLS failure")."""
    if code is not None and (1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999):
        return code
    return default


class RealtimeRelay(Relay):
    """The ASGI app behind ``/v1/realtime`` (websocket): relays frames both ways."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        start = time.perf_counter()
        counts = [0, 0]  # bytes client -> upstream, upstream -> client
        tid = "-"
        admitted = False
        status = 101
        try:
            message = await receive()
            if message["type"] != "websocket.connect":
                return
            headers = Headers(scope=scope)
            if "authorization" not in headers:
                token = extract_token(headers)
                if token is not None:
                    mutable = MutableHeaders(raw=list(scope["headers"]))
                    mutable["authorization"] = f"Bearer {token}"
                    headers = mutable
            try:
                tid = await self.admit(headers)
                admitted = True
                upstream = await self._connect(scope, headers)
            except ProxyError as exc:
                status = exc.status
                await self._deny(scope, send, exc)
                return
            status = await self._relay(upstream, scope, receive, send, counts)
        except Exception:
            status = 500
            await self._deny(scope, send, errors.internal_error())
        finally:
            if admitted:
                self.leave(tid)
            self.access_log.record(
                tid, "WS", scope["path"], status, time.perf_counter() - start, counts[0], counts[1]
            )

    async def _deny(self, scope: Scope, send: Send, error: ProxyError) -> None:
        try:
            if "websocket.http.response" in scope.get("extensions", {}):
                await send_error(send, error, prefix="websocket.http")
            else:
                await send({"type": "websocket.close", "code": 1008})
        except Exception:  # the connection is already gone or accepted
            pass

    async def _connect(self, scope: Scope, headers: Headers) -> ClientConnection:
        url = self.upstream.realtime_url(scope["query_string"].decode("latin-1"))
        extra: list[tuple[str, str]] = list(self.upstream.headers)
        extra.extend((name, headers[name]) for name in _FORWARDED_HEADERS if name in headers)
        protocols = [Subprotocol(p) for p in scope.get("subprotocols", ()) if not p.startswith(_INSECURE_KEY)]
        try:
            return await connect(
                url,
                additional_headers=extra,
                subprotocols=protocols or None,
                user_agent_header=headers.get("user-agent", "openai-kit-proxy"),
                compression=None,
                max_size=self.config.ws_max_message_size,
                open_timeout=self.config.connect_timeout,
                proxy=None,
            )
        except InvalidStatus:
            raise errors.ProxyError(
                502,
                "The upstream API refused the realtime connection.",
                type="server_error",
                code="upstream_refused",
            ) from None
        except (asyncio.TimeoutError, TimeoutError):
            raise errors.upstream_timeout() from None
        except Exception:
            raise errors.upstream_unreachable() from None

    async def _relay(
        self, upstream: ClientConnection, scope: Scope, receive: Receive, send: Send, counts: list[int]
    ) -> int:
        accept: dict[str, Any] = {"type": "websocket.accept"}
        if upstream.subprotocol is not None and upstream.subprotocol in scope.get("subprotocols", ()):
            accept["subprotocol"] = upstream.subprotocol
        try:
            await send(accept)
        except Exception:
            await upstream.close()
            raise

        async def client_to_upstream() -> int:
            while True:
                message = await receive()
                kind = message["type"]
                if kind == "websocket.receive":
                    data: str | bytes | None = message.get("text")
                    if data is None:
                        data = message.get("bytes") or b""
                    counts[0] += len(data)
                    await upstream.send(data)
                elif kind == "websocket.disconnect":
                    code: int = message.get("code", 1000)
                    return code

        async def upstream_to_client() -> None:
            try:
                async for data in upstream:
                    counts[1] += len(data)
                    if isinstance(data, str):
                        await send({"type": "websocket.send", "text": data})
                    else:
                        await send({"type": "websocket.send", "bytes": data})
            except ConnectionClosed:
                pass

        to_upstream = asyncio.ensure_future(client_to_upstream())
        to_client = asyncio.ensure_future(upstream_to_client())
        try:
            done, _ = await asyncio.wait((to_upstream, to_client), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (to_upstream, to_client):
                task.cancel()
        if to_upstream in done and not to_upstream.cancelled() and to_upstream.exception() is None:
            # The client left: close the upstream with its code.
            code = to_upstream.result()
            await upstream.close(code=_sendable(code, 1000))
        else:
            # The upstream closed (or failed): close the client with the upstream's code.
            await upstream.close()
            code = _sendable(upstream.close_code, 1000 if upstream.close_code == 1005 else 1011)
            try:
                await send({"type": "websocket.close", "code": code, "reason": upstream.close_reason or ""})
            except Exception:
                pass
        await asyncio.gather(to_upstream, to_client, return_exceptions=True)
        return 101
