from __future__ import annotations

import asyncio
import json
from typing import Literal

import jsonschema
import pydantic
import pytest

from openai_kit import structured
from openai_kit.tools import ToolCallError, Toolset, function_tool


class Address(pydantic.BaseModel):
    city: str
    zip: str | None = None


@function_tool
def book(room: Literal["small", "large"], people: int, address: Address, note: str = "none") -> str:
    """Book a meeting room.

    Args:
        room: Which room.
        people: How many people
            will attend.
        address: Where.
    """
    return f"{room}:{people}:{address.city}:{note}"


def test_signature_and_docstring_become_a_strict_schema() -> None:
    d = book.chat_definition
    assert d["type"] == "function" and d["function"]["strict"] is True
    assert d["function"]["name"] == "book" and d["function"]["description"] == "Book a meeting room."
    params = d["function"]["parameters"]
    assert params["additionalProperties"] is False
    assert params["required"] == ["room", "people", "address", "note"]
    assert params["properties"]["room"]["enum"] == ["small", "large"]
    assert params["properties"]["people"]["description"] == "How many people will attend."
    assert params["properties"]["note"]["type"] == ["string", "null"]
    assert "default" not in json.dumps(params)
    addr = params["$defs"]["Address"]
    assert addr["additionalProperties"] is False and addr["required"] == ["city", "zip"]
    jsonschema.Draft202012Validator.check_schema(params)
    jsonschema.validate(
        {"room": "small", "people": 2, "address": {"city": "Oslo", "zip": None}, "note": None}, params
    )
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            {"room": "huge", "people": 2, "address": {"city": "x", "zip": None}, "note": None}, params
        )
    assert book.responses_definition["name"] == "book"


def test_toolset_invokes_validates_and_reports_errors_as_results() -> None:
    def boom(x: int) -> int:
        """Fails."""
        raise RuntimeError("disk on fire")

    tools = Toolset([book, boom])
    assert (
        tools.call("book", '{"room": "large", "people": 3, "address": {"city": "Rome"}}')
        == "large:3:Rome:none"
    )
    assert "disk on fire" in json.loads(tools.call("boom", '{"x": 1}'))["error"]
    assert "people" in json.loads(tools.call("book", '{"room": "large", "address": {"city": "R"}}'))["error"]
    assert "not valid JSON" in tools.call("book", "{oops")
    assert "unknown tool" in tools.call("nope", "{}")
    with pytest.raises(ToolCallError):
        book.bind('{"room": "small", "people": "many", "address": {"city": "x"}}')
    with pytest.raises(ValueError, match="two tools"):
        Toolset([book, book])


def test_async_tools_and_bad_signatures() -> None:
    async def lookup(q: str) -> dict[str, str]:
        """:param q: the query"""
        await asyncio.sleep(0)
        return {"q": q}

    tools = Toolset([lookup])
    assert tools.tools["lookup"].parameters["properties"]["q"]["description"] == "the query"
    assert json.loads(asyncio.run(tools.acall("lookup", {"q": "x"}))) == {"q": "x"}
    assert json.loads(tools.call("lookup", {"q": "x"})) == {"q": "x"}  # an async tool in a sync loop

    def untyped(x):  # type: ignore[no-untyped-def]
        return x

    with pytest.raises(TypeError, match="type hint"):
        function_tool(untyped)


class Person(pydantic.BaseModel):
    name: str
    age: int | None = None
    tags: list[str] = []


def test_structured_outputs_schema_and_parse() -> None:
    fmt = structured.response_format(Person)
    schema = fmt["json_schema"]["schema"]
    assert fmt["json_schema"]["strict"] is True and fmt["json_schema"]["name"] == "Person"
    assert schema["required"] == ["name", "age", "tags"] and schema["additionalProperties"] is False
    assert structured.text_format(Person)["format"]["schema"] == schema
    assert structured.parse(Person, '{"name": "Ada", "age": null, "tags": ["x"]}') == Person(
        name="Ada", tags=["x"]
    )
    with pytest.raises(structured.StructuredOutputError, match="age"):
        structured.parse(Person, '{"name": "Ada", "age": "old", "tags": []}')
    with pytest.raises(structured.StructuredOutputError, match="refused"):
        structured.parse(Person, None, refusal="I can't")
