"""Code written for the official SDK calls openai-kit the same way: every operation sits at the same
attribute path (``client.admin.organization.projects.users.list``...), and every parameter the official
method takes that the spec defines is accepted by ours under the same name and in the same way
(positional or keyword). Parameters the official SDK sends outside the spec are listed, not required:
they go through ``extra_body=``.

Compared by signature (``inspect``), with the installed official package: a new official release that
moves or renames something the spec also has makes this fail."""

from __future__ import annotations

import inspect
from typing import Any

import openai
import pytest

import openai_kit

from .conftest import catalog

OPS = catalog().ops
_SDK_ONLY = {"extra_headers", "extra_query", "extra_body", "timeout"}


def _method(client: Any, path: tuple[str, ...], name: str) -> Any:
    obj = client
    for seg in path:
        obj = getattr(obj, seg)
    return getattr(obj, name)


@pytest.fixture(scope="module")
def clients() -> tuple[Any, Any]:
    return openai.OpenAI(api_key="k", admin_api_key="k"), openai_kit.OpenAI(api_key="k")


@pytest.mark.parametrize("op_id", [o.op_id for o in OPS])
def test_official_calls_fit_our_signature(op_id: str, clients: tuple[Any, Any]) -> None:
    official, kit = clients
    op = next(o for o in OPS if o.op_id == op_id)
    theirs = inspect.signature(_method(official, op.resource, op.name)).parameters
    ours = inspect.signature(_method(kit, op.resource, op.name)).parameters
    spec_names = {
        p.py for group in (op.path_params, op.query_params, op.header_params, op.body_params) for p in group
    }
    for name, param in theirs.items():
        if name in _SDK_ONLY or param.kind in (param.VAR_KEYWORD, param.VAR_POSITIONAL):
            continue
        if name not in ours:
            assert name not in spec_names, f"{op.dotted}: the spec's {name!r} is missing from our signature"
            continue
        assert ours[name].kind == param.kind, (
            f"{op.dotted}({name}): {param.kind.name} there, {ours[name].kind.name} here"
        )
        if param.default is inspect.Parameter.empty:
            assert ours[name].default is inspect.Parameter.empty or name == "stream", (
                f"{op.dotted}: {name} required there"
            )
