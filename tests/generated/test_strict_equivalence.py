"""Lenient parsing (the default) and strict validation (``strict_response_validation=True``) give equal
results for every body the spec allows: every operation's answer from the spec-validating server, and every
event of every streamed operation, is parsed by both clients into equal objects of the same classes.

So the strict models accept everything the spec allows (they are checked here, while the operation tests run
with the default, lenient client), and leniency changes nothing for a server that follows the spec."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pydantic
import pytest

from .calls import build_call, target
from .conftest import API_KEY, catalog
from .spec_server import SpecServer

OPS = [o for o in catalog().ops if o.response_kind in ("model", "page")]
STREAM_OPS = [o for o in catalog().ops if o.stream_flag]


@pytest.fixture
def strict_client(spec_server: SpecServer) -> Iterator[Any]:
    from openai_kit import OpenAI

    c = OpenAI(api_key=API_KEY, base_url=spec_server.base_url, max_retries=0, strict_response_validation=True)
    yield c
    c.close()


def observed(result: Any, kind: str) -> list[Any]:
    return list(result.data) if kind == "page" else [result]


def assert_equal(lenient: list[Any], strict: list[Any]) -> None:
    assert len(lenient) == len(strict)
    for a, b in zip(lenient, strict, strict=True):
        assert type(a) is type(b)
        assert a == b
        if isinstance(a, pydantic.BaseModel):
            assert a.model_dump(mode="json", by_alias=True) == b.model_dump(mode="json", by_alias=True)
            assert a.model_fields_set == b.model_fields_set


@pytest.mark.parametrize("op_id", [o.op_id for o in OPS])
def test_lenient_and_strict_agree_on_spec_bodies(op_id: str, client: Any, strict_client: Any) -> None:
    cat = catalog()
    call = build_call(cat, cat.op(op_id))
    lenient = target(client, call.op)(*call.args, **call.kwargs)
    strict = target(strict_client, call.op)(*call.args, **call.kwargs)
    assert_equal(observed(lenient, call.op.response_kind), observed(strict, call.op.response_kind))


@pytest.mark.parametrize("op_id", [o.op_id for o in STREAM_OPS])
def test_lenient_and_strict_agree_on_spec_stream_events(op_id: str, client: Any, strict_client: Any) -> None:
    cat = catalog()
    call = build_call(cat, cat.op(op_id), stream=True)
    lenient = list(target(client, call.op)(*call.args, **call.kwargs))
    strict = list(target(strict_client, call.op)(*call.args, **call.kwargs))
    assert lenient
    assert_equal(lenient, strict)
