"""The proxy as an ASGI application."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send

from . import errors
from .access_log import AccessLog
from .auth import Authenticator, TokenFile
from .config import ProxyConfig
from .errors import send_error
from .forward import HttpRelay
from .ratelimit import RateLimiter
from .relay import Admission
from .server import quiet_uvicorn_logs
from .shared import SharedLimits
from .websocket import RealtimeRelay

__all__ = ["create_proxy_app"]

_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


# Starlette treats plain functions as request handlers; these are ASGI apps, hence classes.


class _NotFound:
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await send_error(send, errors.not_found())
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})


class _Healthz:
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = b'{"status":"ok"}'
        await send({"type": "http.response.start", "status": 200, "headers": errors.error_headers(body)})
        await send({"type": "http.response.body", "body": body})


class ProxyApp(Starlette):
    """Starlette, plus a fast path: ``/v1/...`` HTTP requests go straight to the relay, skipping the
    middleware and router layers (the relay answers every error itself and never raises), which saves a
    few dozen microseconds per request. Used only when no middleware (CORS) is configured."""

    _relay: HttpRelay | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        relay = self._relay
        if relay is not None and scope["type"] == "http" and scope["path"].startswith("/v1/"):
            await relay(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def create_proxy_app(config: ProxyConfig) -> Starlette:
    """Build the proxy: ``/v1/realtime`` (websocket) and every ``/v1/...`` HTTP route are relayed to
    the upstream with the real key, after the session token is checked; ``GET /healthz`` answers
    ``{"status":"ok"}`` without authentication; anything else is a 404 in the API's error format.

    Raises :class:`~openai_kit.ConfigError` when the config has no way to authenticate front ends (a
    token file or an auth hook), unless ``config.allow_anonymous``.

    The limits on request heads (size, time) are enforced by the server protocol, not by the app: serve
    it with ``uvicorn.run(app, http=openai_kit.proxy.server.protocol_class(config))``.
    """
    token_file = TokenFile(config.token_file) if config.token_file else None
    auth = Authenticator(token_file, config.auth, allow_anonymous=config.allow_anonymous)
    shared = None
    if config.redis_url is not None and (config.rate_limit or config.max_concurrent_per_token):
        shared = SharedLimits(
            config.redis_url,
            rate_per_minute=config.rate_limit,
            burst=config.rate_limit_burst,
            max_concurrent=config.max_concurrent_per_token,
            prefix=config.redis_prefix,
            timeout=config.redis_timeout,
            slot_ttl=config.redis_slot_ttl,
        )
    limiter = RateLimiter(config.rate_limit, config.rate_limit_burst) if config.rate_limit else None
    admission = Admission(auth, limiter, config.max_concurrent_per_token, shared)
    access_log = AccessLog(enabled=config.access_log)
    http = HttpRelay(config, admission, access_log)
    realtime = RealtimeRelay(config, admission, access_log)
    quiet_uvicorn_logs()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        access_log.start()
        try:
            yield
        finally:
            await http.aclose()
            if shared is not None:
                await shared.aclose()
            access_log.stop()

    middleware = []
    if config.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(config.cors_origins),
                allow_methods=["*"],
                allow_headers=["*"],
                expose_headers=["x-request-id", "openai-processing-ms", "retry-after"],
                max_age=600,
            )
        )
    app = ProxyApp(
        routes=[
            WebSocketRoute("/v1/realtime", realtime),
            Route("/v1/{path:path}", http, methods=_ALL_METHODS),
            Route("/healthz", _Healthz(), methods=["GET"]),
            Route("/{path:path}", _NotFound()),
            WebSocketRoute("/{path:path}", _NotFound()),
        ],
        middleware=middleware,
        lifespan=lifespan,
    )
    if not middleware:
        app._relay = http
    app.state.config = config
    app.state.http_relay = http
    app.state.access_log = access_log
    return app
