"""Fixtures of the generated-surface tests: one spec-validating server for the whole session."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from codegen.generate import _apply_overrides, assign_modules  # noqa: E402
from codegen.naming import operation_name  # noqa: E402
from codegen.operations import Operation, collect_operations  # noqa: E402
from codegen.spec import HTTP_METHODS, load_spec, repair  # noqa: E402
from codegen.typegen import TypeGen  # noqa: E402

from .spec_server import API_KEY, SpecServer, SpecWorld  # noqa: E402


@dataclass
class Catalog:
    raw: dict[str, Any]
    world: SpecWorld
    ops: list[Operation]

    def op(self, op_id: str) -> Operation:
        return next(o for o in self.ops if o.op_id == op_id)


_CATALOG: Catalog | None = None


def catalog() -> Catalog:
    """The spec, parsed once per test process (also used at collection time)."""
    global _CATALOG
    if _CATALOG is None:
        raw = load_spec()
        world = SpecWorld(repair(raw))
        _apply_overrides(raw)
        raw_ops = []
        for p, item in raw["paths"].items():
            for m in HTTP_METHODS:
                if m in item:
                    raw_ops.append((operation_name(item[m]["operationId"], m, p)[0], item[m]))
        tg = TypeGen(raw, assign_modules(raw, raw_ops))
        _CATALOG = Catalog(raw, world, collect_operations(raw, tg))
    return _CATALOG


@pytest.fixture(scope="session")
def spec_catalog() -> Catalog:
    return catalog()


@pytest.fixture(scope="session")
def spec_server(spec_catalog: Catalog) -> Iterator[SpecServer]:
    srv = SpecServer(spec_catalog.world).start()
    yield srv
    srv.close()


@pytest.fixture
def client(spec_server: SpecServer) -> Iterator[Any]:
    from openai_kit import OpenAI

    c = OpenAI(api_key=API_KEY, base_url=spec_server.base_url, max_retries=0)
    yield c
    c.close()


@pytest.fixture
async def aclient(spec_server: SpecServer) -> Any:
    from openai_kit import AsyncOpenAI

    c = AsyncOpenAI(api_key=API_KEY, base_url=spec_server.base_url, max_retries=0)
    yield c
    await c.close()
