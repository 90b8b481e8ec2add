"""Conveniences that some generated models add on top of what the API sends (mixed in by codegen,
see ``MODEL_MIXINS`` in ``codegen/typegen.py``)."""

from __future__ import annotations

from typing import Any

__all__ = ["ResponseHelpers"]


class ResponseHelpers:
    """``Response.output_text``, as in the official SDK: computed from ``output``, never sent."""

    __slots__ = ()

    @property
    def output_text(self) -> str:
        """The text of every ``output_text`` part of every message in ``output``, joined ("" if none)."""
        texts: list[str] = []
        item: Any
        for item in getattr(self, "output", None) or ():
            if getattr(item, "type", None) != "message":
                continue
            for part in getattr(item, "content", None) or ():
                if getattr(part, "type", None) == "output_text":
                    texts.append(part.text)
        return "".join(texts)
