"""``echo``: replies with the last user message."""

from __future__ import annotations

from .base import GenerationRequest, Reply, call_tool, forced_tool, last_user_text, render


class EchoModel:
    id = "echo"
    description = "Replies with the last user message."

    def generate(self, request: GenerationRequest) -> Reply:
        tool = forced_tool(request)
        if tool is not None:
            return call_tool(request, tool)
        return render(last_user_text(request.turns), request)
