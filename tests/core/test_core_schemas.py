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

from codegen.core_schemas import TYPES_PREFIX, _normalize
from openai_kit._core_schemas import _DIR, model_schema
from openai_kit._models import parse_json
from openai_kit.types.chat import ChatCompletion
from openai_kit.types.responses import Response

SRC = Path(__file__).resolve().parents[2] / "src"


def _tables() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path in sorted(_DIR.glob("*.json")):
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
        assert f"{cls.__module__[len(TYPES_PREFIX) :]}:{cls.__qualname__}" == key
        fields = table[key]["schema"]["schema"]["fields"]
        assert list(fields) == list(cls.model_fields), key  # a field named "metadata" or "type" included
        for dep in table[key]["deps"]:
            assert dep in table, (key, dep)


def test_tables_equal_what_pydantic_builds_now() -> None:
    """Every entry equals pydantic's own schema of the class, normalized the way codegen stores it."""
    table = _tables()
    rebuilt: dict[str, Any] = {}
    for cls in _classes(table).values():
        cls.model_rebuild()
        _normalize(cls.__pydantic_core_schema__, rebuilt)
    assert rebuilt == table


def test_model_schema_gathers_the_closure() -> None:
    schema = model_schema(Response)
    assert schema is not None
    assert schema["type"] == "definitions"
    classes = {d["cls"] for d in schema["definitions"]}
    assert Response in classes and len(classes) > 100
    assert all(isinstance(c, type) and issubclass(c, pydantic.BaseModel) for c in classes)


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
        from openai_kit._models import parse_json
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
