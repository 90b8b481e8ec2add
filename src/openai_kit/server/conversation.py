"""Turning request parameters (messages, tools, tool choice, output format) into model input."""

from __future__ import annotations

import re
from typing import Any

from .errors import invalid, missing
from .models import OutputFormat, ToolCall, ToolSpec, Turn
from .params import opt_dict, opt_list, opt_str, req_str

_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
CHAT_ROLES = ("system", "developer", "user", "assistant", "tool", "function")


def content_text(content: Any, param: str) -> str:
    """The text of a message content: a string, or a list of typed parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise invalid(
            param,
            f"Invalid type for '{param}': expected a string or an array of content parts.",
            code="invalid_type",
        )
    texts: list[str] = []
    for i, part in enumerate(content):
        p = f"{param}[{i}]"
        if not isinstance(part, dict):
            raise invalid(p, f"Invalid type for '{p}': expected an object.", code="invalid_type")
        kind = part.get("type")
        if kind in ("text", "input_text", "output_text"):
            texts.append(req_str(part, "text", path=f"{p}.text") if part.get("text") != "" else "")
        elif kind == "refusal":
            texts.append(str(part.get("refusal", "")))
        elif kind in ("image_url", "input_image", "input_audio", "file", "input_file", "image_file"):
            continue
        else:
            raise invalid(
                f"{p}.type", f"Invalid value: '{kind}'. Unsupported content part type.", code="invalid_value"
            )
    return "".join(texts)


def chat_turns(messages: Any) -> list[Turn]:
    if messages is None:
        raise missing("messages")
    if not isinstance(messages, list):
        raise invalid("messages", "Invalid type for 'messages': expected an array.", code="invalid_type")
    if not messages:
        raise invalid(
            "messages",
            "Invalid 'messages': empty array. Expected an array with minimum length 1.",
            code="empty_array",
        )
    turns: list[Turn] = []
    for i, msg in enumerate(messages):
        p = f"messages[{i}]"
        if not isinstance(msg, dict):
            raise invalid(p, f"Invalid type for '{p}': expected an object.", code="invalid_type")
        role = msg.get("role")
        if role is None:
            raise missing(f"{p}.role")
        if role not in CHAT_ROLES:
            raise invalid(
                f"{p}.role",
                f"Invalid value: '{role}'. Supported values are: "
                + ", ".join(f"'{r}'" for r in CHAT_ROLES)
                + ".",
                code="invalid_value",
            )
        if "content" not in msg and role != "assistant":
            raise missing(f"{p}.content")
        text = content_text(msg.get("content"), f"{p}.content")
        turn = Turn(role="tool" if role == "function" else role, content=text)
        if role == "assistant":
            for j, call in enumerate(opt_list(msg, "tool_calls", path=f"{p}.tool_calls") or []):
                cp = f"{p}.tool_calls[{j}]"
                if not isinstance(call, dict):
                    raise invalid(cp, f"Invalid type for '{cp}': expected an object.", code="invalid_type")
                fn = opt_dict(call, "function", path=f"{cp}.function")
                if fn is None:
                    raise missing(f"{cp}.function")
                turn.tool_calls.append(
                    ToolCall(
                        id=req_str(call, "id", path=f"{cp}.id"),
                        name=req_str(fn, "name", path=f"{cp}.function.name"),
                        arguments=opt_str(fn, "arguments", "", path=f"{cp}.function.arguments") or "",
                    )
                )
        if role == "tool":
            turn.tool_call_id = req_str(msg, "tool_call_id", path=f"{p}.tool_call_id")
        if role == "function":
            turn.tool_call_id = opt_str(msg, "name", path=f"{p}.name")
        turns.append(turn)
    return turns


def function_tools(tools: Any, *, nested: bool, param: str = "tools") -> list[ToolSpec]:
    """Function tools; ``nested`` is the chat/assistants shape (``{"type", "function": {...}}``),
    otherwise the flat Responses shape (``{"type", "name", "parameters"}``). Other tool types are skipped."""
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise invalid(param, f"Invalid type for '{param}': expected an array.", code="invalid_type")
    specs: list[ToolSpec] = []
    for i, tool in enumerate(tools):
        p = f"{param}[{i}]"
        if not isinstance(tool, dict):
            raise invalid(p, f"Invalid type for '{p}': expected an object.", code="invalid_type")
        kind = req_str(tool, "type", path=f"{p}.type")
        if kind != "function":
            continue
        fn = tool
        fp = p
        if nested:
            fn_obj = opt_dict(tool, "function", path=f"{p}.function")
            if fn_obj is None:
                raise missing(f"{p}.function")
            fn, fp = fn_obj, f"{p}.function"
        name = req_str(fn, "name", path=f"{fp}.name")
        if not _NAME.match(name):
            raise invalid(
                f"{fp}.name",
                f"Invalid '{fp}.name': string does not match pattern. Expected a string "
                "of letters, digits, underscores or dashes, at most 64 long.",
                code="invalid_value",
            )
        params = opt_dict(fn, "parameters", path=f"{fp}.parameters")
        specs.append(
            ToolSpec(
                name=name, parameters=params, description=opt_str(fn, "description"), param=f"{fp}.parameters"
            )
        )
    return specs


def tool_choice(value: Any, tools: list[ToolSpec], *, nested: bool, param: str = "tool_choice") -> str:
    if value is None:
        return "auto"
    if isinstance(value, str):
        if value not in ("auto", "none", "required"):
            raise invalid(
                param,
                f"Invalid value: '{value}'. Supported values are: 'none', 'auto' and 'required'.",
                code="invalid_value",
            )
        if value == "required" and not tools:
            raise invalid(param, f"Invalid value for '{param}': 'required' needs at least one function tool.")
        return value
    if not isinstance(value, dict):
        raise invalid(
            param, f"Invalid type for '{param}': expected a string or an object.", code="invalid_type"
        )
    if value.get("type") != "function":
        raise invalid(
            f"{param}.type",
            f"Invalid value for '{param}.type': only 'function' is supported here.",
            code="invalid_value",
        )
    if nested:
        fn = opt_dict(value, "function", path=f"{param}.function")
        if fn is None:
            raise missing(f"{param}.function")
        name = req_str(fn, "name", path=f"{param}.function.name")
    else:
        name = req_str(value, "name", path=f"{param}.name")
    if not any(t.name == name for t in tools):
        raise invalid(param, f"Invalid value for '{param}': function '{name}' is not among the given tools.")
    return name


def chat_response_format(value: Any, param: str = "response_format") -> OutputFormat:
    """The chat / assistants shape: ``{"type": "json_schema", "json_schema": {"name", "schema"}}``."""
    if value is None or value == "auto":
        return OutputFormat(param=param)
    if not isinstance(value, dict):
        raise invalid(param, f"Invalid type for '{param}': expected an object.", code="invalid_type")
    kind = value.get("type")
    if kind in ("text", "json_object"):
        return OutputFormat(type=str(kind), param=param)
    if kind == "json_schema":
        js = opt_dict(value, "json_schema", path=f"{param}.json_schema")
        if js is None:
            raise missing(f"{param}.json_schema")
        req_str(js, "name", path=f"{param}.json_schema.name")
        schema = opt_dict(js, "schema", path=f"{param}.json_schema.schema") or {}
        return OutputFormat(type="json_schema", schema=schema, param=f"{param}.json_schema.schema")
    raise invalid(
        f"{param}.type",
        f"Invalid value: '{kind}'. Supported values are: 'text', 'json_object' and 'json_schema'.",
        code="invalid_value",
    )
