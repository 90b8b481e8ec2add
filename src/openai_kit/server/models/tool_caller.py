"""``tool-caller``: calls the first offered function tool, then answers using the tool output."""

from __future__ import annotations

from .base import (
    GenerationRequest,
    Reply,
    call_tool,
    forced_tool,
    last_user_text,
    render,
    tool_results_since_user,
)


class ToolCallerModel:
    id = "tool-caller"
    description = (
        "Calls the first offered function tool with schema-valid arguments, then reports its output."
    )

    def generate(self, request: GenerationRequest) -> Reply:
        results = tool_results_since_user(request.turns)
        if results:
            text = " ".join(f"The {name} tool returned: {output}" for name, output in results)
            return render(text, request)
        tool = forced_tool(request)
        if tool is None and request.tools and request.tool_choice != "none":
            tool = request.tools[0]
        if tool is not None:
            return call_tool(request, tool)
        return render(last_user_text(request.turns), request)
