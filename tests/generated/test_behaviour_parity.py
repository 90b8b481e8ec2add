"""The same code, run with the official client and with openai-kit's, behaves the same.

Every operation is called with its required parameters only, through both packages, sync and async,
plainly, through ``with_raw_response`` and through ``with_streaming_response``, against the
spec-validating server. Compared: the class name of the result (pages: page class and item class), the
request on the wire (path, query, body), the raw response's attributes and class names, the warnings
(deprecations), and the ``ValueError`` naming an empty path parameter.

Differences that cannot be removed are listed in ``KNOWN_DIFFERENCES`` with the reason.
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import openai
import pytest
import pytest_asyncio

import openai_kit

from .calls import Call, build_call, target
from .conftest import catalog
from .spec_server import API_KEY, SpecServer

OPS = catalog().ops
#: the official client authenticates /organization operations with the admin key only
OFFICIAL = {"admin_api_key": API_KEY}
PATH_OPS = [o for o in OPS if o.path_params]

#: class names that differ on purpose (official -> ours)
SAME_CLASS = {
    # binary bodies: ours streams (read(), iter_bytes(), write_to_file(), async variants on the async
    # class); the official class buffers the whole body
    "HttpxBinaryResponseContent": ("BinaryResponse", "AsyncBinaryResponse"),
}
#: op_id -> why its results' class names differ (everything else is still compared); none today: shared
#: official names (``Group`` of organization and project groups) are classes that report the official
#: name and module (``openai_kit._models.official_name``), page items of a union report their official
#: member names, and the checkpoint-permission create is a page as in the official SDK
KNOWN_DIFFERENCES: dict[str, str] = {}
#: op_id -> why the requests differ on the wire (everything else is still compared)
WIRE_DIFFERENCES: dict[str, str] = {
    "create-realtime-call": (
        "the official SDK sends an SDP offer without session as a bare application/sdp body; openai-kit "
        "sends the spec's multipart form (both are valid for the spec)"
    ),
}
#: op_id -> why the official client cannot be compared at all (only ours is checked against the spec)
NOT_COMPARABLE: dict[str, str] = {
    "cancelEvalRun": "the official SDK posts to a path the spec does not have (.../runs/{run_id}/cancel)",
}


def _name(value: Any) -> str:
    cls = type(value)
    meta = getattr(cls, "__pydantic_generic_metadata__", None)
    if meta and meta.get("origin") is not None:  # the official pages: SyncCursorPage[FileObject]
        args = meta.get("args") or ()
        if not (args and isinstance(args[0], type)):
            cls = meta["origin"]  # a page of a union (a long typing repr there): its plain name, as ours
    return cls.__name__


def describe(value: Any) -> tuple[str, ...]:
    """What a caller sees of a result: its class name; for a page also the class of its items."""
    name = _name(value)
    for official, ours in SAME_CLASS.items():
        if name in ours:
            name = official
    if hasattr(value, "data") and "Page" in name:
        items = list(value.data)
        return (name, _name(items[0]) if items else "-")
    return (name,)


def wire(server: SpecServer, op_id: str) -> tuple[Any, ...]:
    hit = server.last(op_id)
    assert not hit.problems, hit.problems
    return (hit.method, hit.path, sorted(hit.query), hit.body)


def deprecation_warned(record: list[warnings.WarningMessage]) -> bool:
    return any(issubclass(w.category, DeprecationWarning) for w in record)


@pytest.fixture(scope="module")
def clients(spec_server: SpecServer) -> Iterator[dict[str, Any]]:
    both = {
        "official": openai.OpenAI(api_key=API_KEY, **OFFICIAL, base_url=spec_server.base_url, max_retries=0),
        "kit": openai_kit.OpenAI(api_key=API_KEY, base_url=spec_server.base_url, max_retries=0),
    }
    yield both
    for c in both.values():
        c.close()


def _async_clients(spec_server: SpecServer) -> dict[str, Any]:
    return {
        "official": openai.AsyncOpenAI(
            api_key=API_KEY, **OFFICIAL, base_url=spec_server.base_url, max_retries=0
        ),
        "kit": openai_kit.AsyncOpenAI(api_key=API_KEY, base_url=spec_server.base_url, max_retries=0),
    }


def _call(client: Any, call: Call) -> Any:
    return target(client, call.op)(*call.args, **call.kwargs)


def _release(value: Any) -> None:
    """Read what a plain call left unread (our binary results stream)."""
    read = getattr(value, "read", None)
    if callable(read) and type(value).__name__.endswith("BinaryResponse"):
        read()


def observe_sync(client: Any, call: Call, server: SpecServer) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        result = _call(client, call)
    out["result"] = describe(result)
    _release(result)
    out["wire"] = wire(server, call.op.op_id)
    out["deprecated"] = deprecation_warned(record)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        raw = _via(client, call, "with_raw_response")
    out["raw"] = raw_attributes(raw)
    parsed = raw.parse()
    out["raw.parse"] = describe(parsed)
    _release(parsed)
    out["raw.wire"] = wire(server, call.op.op_id)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        manager = _via(client, call, "with_streaming_response")
        with manager as response:
            out["streaming"] = (type(response).__name__, response.is_closed, response.status_code)
            parsed = response.parse()
            out["streaming.parse"] = describe(parsed)
            _release(parsed)
        out["streaming.closed"] = response.is_closed
    return out


async def observe_async(client: Any, call: Call, server: SpecServer) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        result = await _call(client, call)
    out["result"] = describe(result)
    if type(result).__name__.endswith("BinaryResponse"):
        await result.read()
    out["wire"] = wire(server, call.op.op_id)
    out["deprecated"] = deprecation_warned(record)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        raw = await _via(client, call, "with_raw_response")
    out["raw"] = raw_attributes(raw)
    parsed = raw.parse()  # the official raw response parses without await on the async client too
    out["raw.parse"] = describe(parsed)
    if type(parsed).__name__.endswith("BinaryResponse"):
        await parsed.read()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        async with _via(client, call, "with_streaming_response") as response:
            out["streaming"] = (type(response).__name__, response.is_closed, response.status_code)
            parsed = await response.parse()
            out["streaming.parse"] = describe(parsed)
            if type(parsed).__name__.endswith("BinaryResponse"):
                await parsed.read()
        out["streaming.closed"] = response.is_closed
    return out


def _via(client: Any, call: Call, mode: str) -> Any:
    """``client.<resource path>.<mode>.<op>(...)``: the official SDK's spelling, per resource."""
    obj = client
    for seg in call.op.resource:
        obj = getattr(obj, seg)
    return getattr(getattr(obj, mode), call.op.name)(*call.args, **call.kwargs)


def raw_attributes(raw: Any) -> dict[str, Any]:
    url = urlsplit(str(raw.url))
    return {
        "class": type(raw).__name__,
        "status_code": raw.status_code,
        "method": raw.method,
        "path": url.path,
        "query": sorted(parse_qsl(url.query)),
        "content-type": raw.headers.get("content-type", "").split(";")[0],
        "is_closed": raw.is_closed,
        "retries_taken": raw.retries_taken,
        "http_request.method": raw.http_request.method,
        "elapsed>=0": raw.elapsed.total_seconds() >= 0,
    }


def _observe_all(clients: dict[str, Any], call: Call, server: SpecServer) -> dict[str, dict[str, Any]]:
    names = ["kit"] if call.op.op_id in NOT_COMPARABLE else list(clients)
    return {name: observe_sync(clients[name], call, server) for name in names}


def _compare(official: dict[str, Any] | None, kit: dict[str, Any], op_id: str) -> None:
    if official is None:  # NOT_COMPARABLE: ours alone, its requests valid for the spec (wire() checked)
        assert kit["raw"]["status_code"] < 300
        return
    if op_id in WIRE_DIFFERENCES:
        official = {k: v for k, v in official.items() if not k.endswith("wire")}
    if op_id in KNOWN_DIFFERENCES:
        official = {k: v for k, v in official.items() if not k.endswith("parse") and k != "result"}
        kit = {k: v for k, v in kit.items() if k in official}
    diffs = {k: (official[k], kit.get(k)) for k in official if official[k] != kit.get(k)}
    assert not diffs, f"{op_id}: official vs openai-kit: {diffs}"


@pytest.mark.parametrize("op_id", [o.op_id for o in OPS])
def test_sync_parity(op_id: str, clients: dict[str, Any], spec_server: SpecServer) -> None:
    cat = catalog()
    call = build_call(cat, cat.op(op_id), required_only=True)
    seen = _observe_all(clients, call, spec_server)
    _compare(seen.get("official"), seen["kit"], op_id)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def aclients(spec_server: SpecServer) -> AsyncIterator[dict[str, Any]]:
    both = _async_clients(spec_server)
    yield both
    for c in both.values():
        await c.close()


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("op_id", [o.op_id for o in OPS])
async def test_async_parity(op_id: str, aclients: dict[str, Any], spec_server: SpecServer) -> None:
    cat = catalog()
    call = build_call(cat, cat.op(op_id), required_only=True)
    names = ["kit"] if op_id in NOT_COMPARABLE else list(aclients)
    seen = {name: await observe_async(aclients[name], call, spec_server) for name in names}
    _compare(seen.get("official"), seen["kit"], op_id)


def _empty_path_error(fn: Callable[[], Any]) -> str:
    with warnings.catch_warnings(), pytest.raises(ValueError) as info:
        warnings.simplefilter("ignore", DeprecationWarning)
        fn()
    return str(info.value)


@pytest.mark.parametrize("op_id", [o.op_id for o in PATH_OPS])
def test_empty_path_parameter_is_a_value_error_naming_it(op_id: str, clients: dict[str, Any]) -> None:
    cat = catalog()
    call = build_call(cat, cat.op(op_id), required_only=True)
    call.args[-1] = ""
    last = call.op.path_params[-1].py
    for client in clients.values():
        message = _empty_path_error(lambda client=client: _call(client, call))
        assert last in message, message


STREAM_OPS = [o for o in OPS if o.stream_flag]


#: streamed operations the official client answers with something else than an event stream
STREAM_NOT_COMPARABLE = {"createSpeech": "the official SDK returns speech events as binary content"}


@pytest.mark.parametrize("op_id", [o.op_id for o in STREAM_OPS])
def test_streams_parity(op_id: str, clients: dict[str, Any], spec_server: SpecServer) -> None:
    """``stream=True`` (or ``stream_format="sse"``): the same stream class, wire request and event classes
    by name, event by event (Responses, Assistants and transcription events carry the official SDK's
    hand-given names)."""
    cat = catalog()
    call = build_call(cat, cat.op(op_id), stream=True, required_only=True)
    seen = {}
    for name in ["kit"] if op_id in STREAM_NOT_COMPARABLE else ["official", "kit"]:
        client = clients[name]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            stream = _call(client, call)
            events = list(stream)
        seen[name] = (type(stream).__name__, [type(e).__name__ for e in events], wire(spec_server, op_id))
    assert seen["kit"][0] == "Stream" and len(seen["kit"][1]) > 0
    if "official" in seen:
        assert seen["kit"] == seen["official"]


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("op_id", [o.op_id for o in STREAM_OPS])
async def test_async_streams_parity(op_id: str, aclients: dict[str, Any], spec_server: SpecServer) -> None:
    """The same with the async clients: ``AsyncStream``, and the same event classes by name."""
    cat = catalog()
    call = build_call(cat, cat.op(op_id), stream=True, required_only=True)
    seen = {}
    for name in ["kit"] if op_id in STREAM_NOT_COMPARABLE else ["official", "kit"]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            stream = await _call(aclients[name], call)
            events = [e async for e in stream]
        seen[name] = (type(stream).__name__, [type(e).__name__ for e in events], wire(spec_server, op_id))
    assert seen["kit"][0] == "AsyncStream" and len(seen["kit"][1]) > 0
    if "official" in seen:
        assert seen["kit"] == seen["official"]
