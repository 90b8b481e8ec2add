"""The Starlette application: routes under ``/v1``, API-key check, errors in the API's format."""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import RequestError
from .protocol import http_protocol
from .routes import (
    assistants,
    audio,
    batches,
    chat,
    completions,
    containers,
    conversations,
    embeddings,
    evals,
    files,
    fine_tuning,
    graders,
    images,
    models,
    provenance,
    realtime,
    responses,
    runs,
    skills,
    uploads,
    vector_stores,
    voices,
)
from .settings import ServerSettings
from .state import ServerState

log = logging.getLogger("openai_kit.server")

# ``runs`` comes before ``assistants``: ``/threads/runs`` must not be taken for ``/threads/{thread_id}``.
ROUTE_MODULES = (
    models,
    chat,
    completions,
    responses,
    embeddings,
    files,
    uploads,
    batches,
    vector_stores,
    runs,
    assistants,
    images,
    audio,
    conversations,
    fine_tuning,
    realtime,
    evals,
    graders,
    containers,
    skills,
    provenance,
    voices,
)


def _error_response(err: RequestError, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(err.body()), status_code=err.status, media_type="application/json", headers=headers
    )


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestError)
    return _error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return _error_response(RequestError(404, f"Invalid URL ({request.method} {request.url.path})"))
    if exc.status_code == 405:
        return _error_response(
            RequestError(405, f"Method {request.method} is not allowed on {request.url.path}.")
        )
    return _error_response(RequestError(exc.status_code, str(exc.detail)))


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _error_response(
        RequestError(500, "The server had an error while processing your request.", type="server_error")
    )


class GuardMiddleware:
    """Checks the API key (when one is configured) and tags every response with a request id."""

    def __init__(self, app: ASGIApp, api_key: str | None) -> None:
        self.app = app
        self.api_key = api_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = "req_" + secrets.token_hex(16)
        if self.api_key is not None and not scope["path"].startswith(images.PUBLIC_PREFIX):
            auth = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
            scheme, _, token = auth.partition(" ")
            if scheme.lower() != "bearer" or not secrets.compare_digest(token.strip(), self.api_key):
                shown = (token[:3] + "*" * 4 + token[-4:]) if len(token) > 8 else "****"
                err = RequestError(
                    401,
                    f"Incorrect API key provided: {shown}."
                    if token
                    else "You didn't provide an API key. Send it as 'Authorization: Bearer <key>'.",
                    code="invalid_api_key" if token else None,
                )
                response = _error_response(err, headers={"x-request-id": request_id})
                await response(scope, receive, send)
                return

        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            if started:  # a stream broke off: uvicorn closes the connection, the client sees it cut
                raise
            # answered here rather than by Starlette's outermost handler, which re-raises, so that
            # uvicorn does not also close the client's keep-alive connection
            response = await _server_error(Request(scope), exc)
            await response(scope, receive, send_with_id)


def create_app(settings: ServerSettings | None = None) -> Starlette:
    settings = settings or ServerSettings()
    server = ServerState(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        batches.resume(server)
        runs.resume(server)
        responses.resume(server)
        fine_tuning.resume(server)
        evals.resume(server)
        yield
        await server.close()

    routes: list[Any] = []
    for module in ROUTE_MODULES:
        routes.extend(module.ROUTES)
    app = Starlette(
        routes=[Mount("/v1", routes=routes)],
        lifespan=lifespan,
        exception_handlers={RequestError: _api_error, HTTPException: _http_error, Exception: _server_error},
    )
    app.state.server = server
    app.add_middleware(GuardMiddleware, api_key=settings.api_key)
    return app


def serve(settings: ServerSettings, *, log_level: str = "info", app: Starlette | None = None) -> None:
    """Run the server in the foreground until interrupted (what ``openai-kit serve`` does)."""
    import uvicorn

    uvicorn.run(
        app or create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=log_level,
        http=http_protocol(),
    )
