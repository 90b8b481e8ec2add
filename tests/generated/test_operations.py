"""Every operation of the spec, called through the generated client (sync and async) against the
spec-validating server: the request must pass the server's checks and the answer must parse back to
exactly what the server sent."""

from __future__ import annotations

from typing import Any

import pytest

from .calls import build_call, check_result, target
from .conftest import catalog
from .spec_server import SpecServer

OPS = catalog().ops
STREAM_OPS = [o for o in OPS if o.stream_flag]


def _read_binary(result: Any) -> bytes:
    return result.read()


@pytest.mark.parametrize("op_id", [o.op_id for o in OPS])
def test_sync(op_id: str, client: Any, spec_server: SpecServer) -> None:
    cat = catalog()
    call = build_call(cat, cat.op(op_id))
    result = target(client, call.op)(*call.args, **call.kwargs)
    body = _read_binary(result) if call.op.response_kind == "binary" else None
    check_result(spec_server, call, result, binary_body=body)


@pytest.mark.parametrize("op_id", [o.op_id for o in OPS])
async def test_async(op_id: str, aclient: Any, spec_server: SpecServer) -> None:
    cat = catalog()
    call = build_call(cat, cat.op(op_id))
    result = target(aclient, call.op)(*call.args, **call.kwargs)
    if call.op.response_kind == "page":
        result = await result
    else:
        result = await result
    body = await result.read() if call.op.response_kind == "binary" else None
    check_result(spec_server, call, result, binary_body=body)


@pytest.mark.parametrize("op_id", [o.op_id for o in STREAM_OPS])
def test_stream_sync(op_id: str, client: Any, spec_server: SpecServer) -> None:
    cat = catalog()
    call = build_call(cat, cat.op(op_id), stream=True)
    result = target(client, call.op)(*call.args, **call.kwargs)
    check_result(spec_server, call, result)


@pytest.mark.parametrize("op_id", [o.op_id for o in STREAM_OPS])
async def test_stream_async(op_id: str, aclient: Any, spec_server: SpecServer) -> None:
    cat = catalog()
    call = build_call(cat, cat.op(op_id), stream=True)
    stream = await target(aclient, call.op)(*call.args, **call.kwargs)
    events = [e async for e in stream]

    class _Replay:
        def __iter__(self) -> Any:
            return iter(events)

    check_result(spec_server, call, _Replay())
