"""The precomputed core schemas (``types/_core_schemas``, ``openai_kit._core_schemas``): they are what
pydantic builds for each generated model, the lenient parse uses them without building any pydantic
schema, and models outside the tables still parse as before."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pydantic
import pytest

from codegen.core_schemas import TYPES_PREFIX, compute_tables
from openai_kit._core_schemas import _DIR, alias_schema, model_schema
from openai_kit._models import defined_as, parse_json
from openai_kit.types.chat import ChatCompletion
from openai_kit.types.responses import Response, ResponseStreamEvent

SRC = Path(__file__).resolve().parents[2] / "src"


def _tables() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path in sorted(p for p in _DIR.glob("*.json") if p.name != "_aliases.json"):
        out.update(json.loads(path.read_text(encoding="utf-8")))
    return out


def _classes(table: dict[str, Any]) -> dict[str, type[pydantic.BaseModel]]:
    out = {}
    for key in table:
        area, _, name = key.partition(":")
        out[key] = getattr(importlib.import_module(TYPES_PREFIX + area), name)
    return out


def test_tables_hold_every_generated_model_once_with_its_fields() -> None:
    table = _tables()
    assert len(table) > 1500
    for key, cls in _classes(table).items():
        if table[key].get("alias"):
            assert not isinstance(cls, type) and table[key]["deps"], key
            continue
        # keyed where it is defined: its own module and name, or (a class that reports an official name
        # of another module) the identifier of its area module
        where = defined_as.get(cls) or f"{cls.__module__}:{cls.__qualname__}"
        assert where == TYPES_PREFIX + key
        if cls in defined_as:
            assert cls.__module__ != TYPES_PREFIX + key.partition(":")[0], key
        fields = table[key]["schema"]["schema"]["fields"]
        assert list(fields) == list(cls.model_fields), key  # a field named "metadata" or "type" included
        for dep in table[key]["deps"]:
            assert dep in table, (key, dep)


def _literal_order_free(node: Any) -> Any:
    """``node`` with the values of every literal schema in a canonical order. typing caches ``Union[...]``
    by equal arguments and ``Literal["a", "b"] == Literal["b", "a"]``, so which order a union's literal
    keeps depends on which equal literal the process built first (import order: the tests that ran
    before). The order changes nothing in validation."""
    if isinstance(node, dict):
        out = {k: _literal_order_free(v) for k, v in node.items()}
        if out.get("type") == "literal" and isinstance(out.get("expected"), list):
            out["expected"] = sorted(out["expected"], key=repr)
        return out
    if isinstance(node, list):
        return [_literal_order_free(v) for v in node]
    return node


def test_tables_equal_what_pydantic_builds_now() -> None:
    """Every entry equals pydantic's own schema of the class or alias, normalized the way codegen stores
    it (computed here in-process, from the modules under test), up to the order of literal values."""
    rebuilt: dict[str, Any] = {}
    for entries in compute_tables().values():
        rebuilt.update(entries)
    assert _literal_order_free(rebuilt) == _literal_order_free(_tables())


def test_model_schema_gathers_the_closure() -> None:
    schema = model_schema(Response)
    assert schema is not None
    assert schema["type"] == "definitions"
    classes = {d["cls"] for d in schema["definitions"]}
    assert Response in classes and len(classes) > 100
    assert all(isinstance(c, type) and issubclass(c, pydantic.BaseModel) for c in classes)


def test_alias_schema_finds_generated_unions_by_identity() -> None:
    schema = alias_schema(ResponseStreamEvent)
    assert schema is not None and schema["schema"]["type"] == "union"  # tagged union | UnknownObject
    assert alias_schema(Response | None) is None  # not a generated alias
    assert alias_schema(list[Response]) is None
    assert alias_schema("ResponseStreamEvent") is None


def test_models_outside_the_tables_fall_back_to_pydantic() -> None:
    class Mine(ChatCompletion):  # a user's subclass: not in the tables
        note: str | None = None

    class Local(pydantic.BaseModel):
        a: int

    assert model_schema(Mine) is None
    assert model_schema(Local) is None
    assert model_schema(int) is None  # type: ignore[arg-type]
    mine = parse_json(Mine, b'{"id": "c1", "choices": [], "note": "n", "extra": 1}')
    assert type(mine) is Mine and mine.note == "n" and mine.model_extra == {"extra": 1}
    assert mine.created is None  # lenient: a missing required field reads as None


def test_first_parse_builds_no_pydantic_schema() -> None:
    """In a fresh process, parsing a Response leniently uses the tables: the class stays unbuilt (no
    schema generation) until something needs pydantic's own validator or serializer, which still work."""
    body = {
        "id": "resp_1", "object": "response", "created_at": 1, "status": "completed", "model": "m",
        "output": [{"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
                    "content": [{"type": "output_text", "text": "hi", "annotations": []}]},
                   {"type": "brand_new_item", "x": 1}],
        "usage": {"input_tokens": "many"},
    }  # fmt: skip
    code = textwrap.dedent(
        f"""
        import json, pickle
        from openai_kit._models import defined_as, parse_json
        from openai_kit.types.responses import Response, ResponseOutputMessage
        body = json.dumps({body!r})
        r = parse_json(Response, body)
        assert Response.__pydantic_complete__ is False, "pydantic built Response's schema"
        assert ResponseOutputMessage.__pydantic_complete__ is False
        assert r.output_text == "hi"
        assert isinstance(r.output[0], ResponseOutputMessage)
        assert r.output[1].type == "brand_new_item" and r.output[1].x == 1
        assert r.usage.input_tokens == "many" and r.usage.output_tokens is None
        assert r.error is None and "error" not in r.model_fields_set
        assert pickle.loads(pickle.dumps(r)) == r
        dumped = r.model_dump(mode="json", exclude_unset=True, warnings=False)
        assert dumped["output"][0]["content"][0]["text"] == "hi", dumped
        assert Response.__pydantic_complete__ is True
        assert parse_json(Response, body) == r
        from openai_kit._models import json_validator
        from openai_kit.types.responses import ResponseStreamEvent, ResponseTextDeltaEvent
        from openai_kit.types._base import UnknownObject
        event = json_validator(ResponseStreamEvent)(
            '{{"type": "response.output_text.delta", "delta": "h", "item_id": "i", "output_index": 0,'
            ' "content_index": 0, "sequence_number": 1}}')
        assert type(event) is ResponseTextDeltaEvent and event.delta == "h"
        assert ResponseTextDeltaEvent.__pydantic_complete__ is False
        other = parse_json(ResponseStreamEvent, '{{"type": "response.brand_new", "n": 1}}')
        assert isinstance(other, UnknownObject) and other.n == 1
        print("ok")
        """
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == "ok"


@pytest.mark.parametrize("strict", [False, True])
def test_strict_mode_still_validates(strict: bool) -> None:
    body = b'{"id": "c1", "object": "chat.completion", "created": "yesterday", "model": "m", "choices": []}'
    if strict:
        with pytest.raises(pydantic.ValidationError):
            parse_json(ChatCompletion, body, strict=True)
    else:
        assert parse_json(ChatCompletion, body).created == "yesterday"


def _canonical(schema: Any) -> Any:
    """A core schema with definitions inlined, classes by name, metadata and refs dropped (comparable)."""
    defs: dict[str, Any] = {}

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "definitions":
                defs.update((d["ref"], d) for d in node["definitions"])
            for v in node.values():
                collect(v)
        elif isinstance(node, list):
            for v in node:
                collect(v)

    def walk(node: Any, keyed: bool = False) -> Any:
        if isinstance(node, list):
            return [walk(v) for v in node]
        if not isinstance(node, dict):
            return node.__qualname__ if isinstance(node, type) else node
        if keyed:
            return {k: walk(v) for k, v in node.items()}
        if node.get("type") == "definitions":
            return walk(node["schema"])
        if node.get("type") == "definition-ref":
            return walk(defs[node["schema_ref"]])
        skip = ("metadata", "ref", "post_init")
        return {k: walk(v, k in ("fields", "choices")) for k, v in node.items() if k not in skip}

    collect(schema)
    return walk(schema)


@pytest.mark.parametrize("item", ["files:FileObject", "conversations:ConversationItem"])
def test_page_schemas_equal_what_pydantic_builds(item: str) -> None:
    """List pages (``_pagination.page_model``) take their schema from the item's entry, written the way
    pydantic writes it for that page model."""
    from openai_kit._pagination import page_model

    area, _, name = item.partition(":")
    item_type = getattr(importlib.import_module(TYPES_PREFIX + area), name)
    page = page_model(item_type)
    ours = model_schema(page)
    assert ours is not None
    page.model_rebuild(force=True)
    assert _canonical(ours) == _canonical(page.__pydantic_core_schema__)
    parsed = parse_json(page, b'{"object": "list", "data": [], "has_more": false, "extra": 1}')
    assert type(parsed) is page and parsed.has_more is False and parsed.model_extra == {"extra": 1}


def test_tables_parse_each_entry_on_demand_and_equal_a_whole_parse() -> None:
    """``_Table`` reads codegen's one-entry-per-line layout lazily; every entry equals what parsing the
    whole file gives, and a file in any other JSON layout is still read (whole)."""
    from openai_kit._core_schemas import _Table

    for path in sorted(p for p in _DIR.glob("*.json") if p.name != "_aliases.json"):
        data = path.read_bytes()
        whole = json.loads(data)
        table = _Table(data)
        assert table._raw and not table._parsed, path.name  # nothing parsed yet
        for key in list(whole)[:50]:
            assert table.get(key) == whole[key], key
        assert table.get("no:SuchModel") is None
    compact = b'{"a:B":{"deps":[],"schema":{"type":"any"}}}'
    assert _Table(compact).get("a:B") == {"deps": [], "schema": {"type": "any"}}
    assert _Table(b"").get("a:B") is None
