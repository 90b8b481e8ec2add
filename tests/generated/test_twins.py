"""The twin pass (``codegen/twins.py``): a beta type with the structure of a non-beta one is that type.

First on a small spec (which pairs are twins, and why the others are not), then on the generated package
and, through the spec-validating server, on what the beta operations return."""

from __future__ import annotations

from typing import Any

from codegen.generate import AREA_PRIORITY
from codegen.twins import share_twins
from codegen.typegen import TypeGen, ref

from .spec_server import SpecServer


def _obj(**props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": sorted(props)}


STR = {"type": "string"}
SCHEMAS: dict[str, Any] = {
    "Text": _obj(type={"type": "string", "enum": ["text"]}),
    "Node": _obj(name=STR, children={"type": "array", "items": {"$ref": "#/components/schemas/Node"}}),
    "Call": _obj(id=STR),
    "Holder": _obj(call={"$ref": "#/components/schemas/Call"}),
    "Outer": _obj(inner=_obj(x={"type": "integer"})),
    "Wrap": _obj(text={"$ref": "#/components/schemas/Text"}),
    "Late": _obj(id=STR),
    "BetaText": _obj(type={"type": "string", "enum": ["text"]}),
    "BetaNode": _obj(
        name=STR, children={"type": "array", "items": {"$ref": "#/components/schemas/BetaNode"}}
    ),
    # one field more than its twin: not a twin, nor is what holds it
    "BetaCall": _obj(id=STR, agent=STR),
    "BetaHolder": _obj(call={"$ref": "#/components/schemas/BetaCall"}),
    "BetaOuter": _obj(inner=_obj(x={"type": "integer"})),
    "BetaWrap": _obj(text={"$ref": "#/components/schemas/BetaText"}),
    "BetaLate": _obj(id=STR),
}
MODULES = {name: "beta.responses" if name.startswith("Beta") else "responses" for name in SCHEMAS}
MODULES["Late"] = "webhooks"  # less basic than beta.responses: importing it from there could make a cycle


def _generate(op_types: dict[str, dict[str, Any]]) -> tuple[TypeGen, dict[str, str]]:
    tg = TypeGen({"components": {"schemas": SCHEMAS}, "paths": {}}, MODULES)
    for name in SCHEMAS:
        tg.named_type(name, "M")
    return tg, share_twins(tg, op_types, AREA_PRIORITY)


def test_twins_are_found_by_structure_including_recursive_and_inline_ones() -> None:
    tg, twins = _generate({})
    assert twins == {
        "BetaText": "Text",
        "BetaNode": "Node",
        "BetaOuter": "Outer",
        "BetaOuterInner": "OuterInner",
        "BetaWrap": "Wrap",
    }
    assert tg.defs["BetaNode"].code == f"BetaNode: TypeAlias = {ref('Node')}\n"
    assert tg.defs["BetaNode"].module == "beta.responses"
    # what is not a twin keeps its own class
    for name in ("BetaCall", "BetaHolder", "BetaLate"):
        assert tg.defs[name].code.startswith(f"class {name}(BaseModel):"), name


def test_a_class_an_operation_returns_keeps_its_name_and_its_holders_stay_beta() -> None:
    tg, twins = _generate({"retrieveText": {"result": ref("BetaText")}})
    assert twins["BetaText"] == "Text"
    assert tg.defs["BetaText"].code.startswith(f"class BetaText({ref('Text')}):")
    # BetaWrap holds the beta-named class, so it cannot be Wrap (which holds Text)
    assert "BetaWrap" not in twins
    assert ref("BetaText") in tg.defs["BetaWrap"].code


def test_generated_beta_twins_are_the_non_beta_classes() -> None:
    from openai_kit.types import responses
    from openai_kit.types.beta import responses as beta

    assert beta.BetaResponseFormatText is responses.ResponseFormatText
    assert beta.BetaResponseUsage is responses.ResponseUsage
    assert beta.BetaReasoning is responses.Reasoning
    # an item with the beta `agent` field is a class of its own
    assert beta.BetaFunctionToolCall is not responses.FunctionToolCall
    assert "agent" in beta.BetaFunctionToolCall.model_fields
    assert "agent" not in responses.FunctionToolCall.model_fields
    # the beta realtime API's copies too (`RealtimeBetaX` ~ `RealtimeX`)
    from openai_kit.types import realtime
    from openai_kit.types.beta import realtime as beta_realtime

    assert (
        beta_realtime.RealtimeBetaServerEventConversationItemCreated
        is realtime.RealtimeServerEventConversationItemCreated
    )
    # the official module path of a shared type gives the same class
    from openai_kit.types.beta.beta_response_usage import BetaResponseUsage

    assert BetaResponseUsage is responses.ResponseUsage


def test_beta_results_keep_their_class_name_and_share_nested_classes(
    client: Any, spec_server: SpecServer
) -> None:
    from openai_kit.types import responses
    from openai_kit.types.beta import responses as beta

    counted = client.beta.responses.input_tokens.count()
    # the official SDK's name (its beta module has its own InputTokenCountResponse)
    assert type(counted).__name__ == "InputTokenCountResponse"
    assert type(counted).__module__ == "openai_kit.types.beta.responses.input_token_count_response"
    assert isinstance(counted, beta.BetaTokenCountsResource)
    assert isinstance(counted, responses.TokenCountsResource)
    assert not spec_server.last("beta_Getinputtokencounts").problems

    response = client.beta.responses.retrieve("resp_abc")
    assert type(response) is beta.BetaResponse
    assert response.usage is not None and type(response.usage) is responses.ResponseUsage
    assert isinstance(response.usage, beta.BetaResponseUsage)
