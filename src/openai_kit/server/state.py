"""The per-app state every route reaches through ``state_of(request)``."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from .bodies import read_json
from .models import ModelRegistry
from .settings import ServerSettings
from .store import Store


class ServerState:
    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self.store = Store(settings.data_dir)
        self.models = ModelRegistry(settings)
        self.tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run background work that outlives the request (and the client's connection)."""
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def pause(self) -> None:
        await asyncio.sleep(self.settings.work_delay)

    async def close(self) -> None:
        tasks = list(self.tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.store.close()


def state_of(request: Request) -> ServerState:
    state: ServerState = request.app.state.server
    return state


async def json_body(request: Request, *, allow_empty: bool = False) -> dict[str, Any]:
    return await read_json(request, state_of(request).settings.max_body_bytes, allow_empty=allow_empty)


def ok(obj: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(obj), status_code=status, media_type="application/json")
