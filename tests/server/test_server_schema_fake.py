"""The JSON-schema value generator behind structured outputs and tool arguments, checked with
``jsonschema`` on hand-picked and generated schemas; plus the ``local_server`` fixture."""

from __future__ import annotations

from typing import Any

import jsonschema
import openai
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from openai_kit.server.schema_fake import SchemaError, fake_value
from openai_kit.server.testing import local_server  # noqa: F401 - the fixture under test

SCHEMAS: list[dict[str, Any]] = [
    {"type": "string", "format": "date-time"},
    {"type": "string", "pattern": r"^\+?[0-9]{2,3}-[a-f]{4}(x|yz)?$"},
    {"type": "integer", "minimum": 10, "exclusiveMaximum": 12, "multipleOf": 11},
    {"type": "number", "exclusiveMinimum": 0.5, "maximum": 0.75},
    {"type": ["null", "boolean"]},
    {"type": "array", "items": {"type": "integer"}, "minItems": 3, "maxItems": 3, "uniqueItems": True},
    {"type": "array", "prefixItems": [{"const": "a"}, {"type": "number"}], "items": False, "minItems": 2},
    {
        "allOf": [
            {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
            {"properties": {"b": {"type": "integer"}}, "required": ["b"]},
        ]
    },
    {
        "oneOf": [{"type": "null"}, {"$ref": "#/$defs/node"}],
        "$defs": {
            "node": {
                "type": "object",
                "properties": {
                    "value": {"type": "string", "minLength": 30},
                    "next": {"anyOf": [{"type": "null"}]},
                },
                "required": ["value", "next"],
                "additionalProperties": False,
            }
        },
    },
    {"type": "object", "minProperties": 2, "additionalProperties": {"type": "integer", "minimum": 5}},
]


@pytest.mark.parametrize("schema", SCHEMAS)
def test_generated_values_satisfy_schema(schema: dict[str, Any]) -> None:
    value = fake_value(schema, text="seed text")
    jsonschema.validate(value, schema)
    assert fake_value(schema, text="seed text") == value  # deterministic


def test_unsatisfiable_schema_is_reported() -> None:
    with pytest.raises(SchemaError):
        fake_value({"type": "string", "enum": []})
    with pytest.raises(SchemaError):
        fake_value({"$ref": "#/$defs/missing"})


_leaf = st.one_of(
    st.builds(
        lambda lo, span: {"type": "integer", "minimum": lo, "maximum": lo + span},
        st.integers(-1000, 1000),
        st.integers(0, 50),
    ),
    st.builds(
        lambda lo, hi: {"type": "string", "minLength": lo, "maxLength": lo + hi},
        st.integers(0, 20),
        st.integers(0, 20),
    ),
    st.builds(lambda values: {"enum": values}, st.lists(st.text(max_size=5), min_size=1, max_size=4)),
    st.just({"type": "boolean"}),
    st.just({"type": "null"}),
    st.builds(
        lambda p: {"type": "string", "pattern": p}, st.sampled_from([r"^[a-z]+\d{2}$", r"^(ab|cd)*e$", "x"])
    ),
)


def _extend(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    objects = st.dictionaries(
        st.from_regex(r"[a-z]{1,8}", fullmatch=True), children, min_size=1, max_size=4
    ).map(
        lambda props: {
            "type": "object",
            "properties": props,
            "required": sorted(props),
            "additionalProperties": False,
        }
    )
    arrays = st.builds(
        lambda item, n: {"type": "array", "items": item, "minItems": n}, children, st.integers(0, 3)
    )
    unions = st.lists(children, min_size=1, max_size=3).map(lambda options: {"anyOf": options})
    return st.one_of(objects, arrays, unions)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.recursive(_leaf, _extend, max_leaves=12), st.text(max_size=20))
def test_generated_values_satisfy_random_schemas(schema: dict[str, Any], text: str) -> None:
    jsonschema.validate(fake_value(schema, text=text), schema)


def test_local_server_fixture(local_server: str) -> None:  # noqa: F811
    assert local_server.endswith("/v1")
    client = openai.OpenAI(base_url=local_server, api_key="anything", max_retries=0)
    assert (
        client.chat.completions.create(model="echo", messages=[{"role": "user", "content": "fixture"}])
        .choices[0]
        .message.content
        == "fixture"
    )
