"""Generated type modules define each model on first use.

A generated module (``openai_kit.types.<area>``) holds one small function per type that runs its
``class`` statement (or builds its alias) and a table of what each one needs: the names it uses as it is
built (bases, eager annotations: defined first), the names it only refers to by a quoted forward reference
(defined right after it, so that pydantic finds them when it builds the schema later) and the names it
takes from other area modules. :func:`lazy_module` gives the module its ``__getattr__`` and ``__dir__``
(PEP 562): the first ``getattr`` defines the type and everything it reaches, once, and stores them in the
module as plain attributes, so every later access is a dict lookup.

Why: creating a pydantic model class costs ~0.2 ms even with deferred building, and an area module holds
hundreds (``types.responses``: ~300 models and ~120 TypedDicts); a process that parses one
``ChatCompletion`` needs about fifteen of them. Type checkers read the ``.pyi`` stub that codegen writes
next to each module (the same definitions at module level).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["lazy_module", "type_of"]

_PREFIX = "openai_kit.types."
#: one lock for every module: a definition may reach into other area modules (re-entrant for that)
_lock = threading.RLock()

#: name -> (builder, names needed before it, names needed after it)
Defs = dict[str, tuple[Callable[[], Any], tuple[str, ...], tuple[str, ...]]]


def lazy_module(
    namespace: dict[str, Any], defs: Defs, imports: dict[str, str], official: bool
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` of the generated module whose globals are ``namespace``.
    ``imports`` maps the names taken from another area module to that module (relative to
    ``openai_kit.types``); ``official``: names this module does not have are looked up among the official
    SDK's names of its path (``openai_kit._official_modules``)."""
    module_name: str = namespace["__name__"]
    building: set[str] = set()

    def define(name: str) -> Any:
        value = namespace.get(name, _MISSING)
        if value is not _MISSING:
            return value
        where = imports.get(name)
        if where is not None:
            value = getattr(importlib.import_module(_PREFIX + where), name)
            namespace[name] = value
            return value
        if name in building:  # codegen quotes every back edge: a cycle here is a generator bug
            raise ImportError(f"{module_name}.{name} needs itself to be defined")
        build, before, after = defs[name]
        building.add(name)
        try:
            for dep in before:
                define(dep)
            value = build()
        finally:
            building.discard(name)
        if isinstance(value, type) and "<locals>" in value.__qualname__:
            value.__qualname__ = value.__name__  # defined in its builder; pickling finds it by this name
        namespace[name] = value
        for dep in after:
            if dep not in building:  # (a back edge to a type being built: it is stored when its turn comes)
                define(dep)
        return value

    def __getattr__(name: str) -> Any:
        if name in defs or name in imports:
            with _lock:
                return define(name)
        if official:
            from openai_kit._official_modules import lookup

            return lookup(module_name, name)
        raise AttributeError(f"module {module_name!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({*namespace, *defs, *imports})

    return __getattr__, __dir__


_MISSING: Any = object()


def type_of(area: str, name: str) -> Any:
    """The generated type ``name`` of ``openai_kit.types.<area>`` (for generated resources: the event type
    of an operation that may stream, looked up only when a stream is asked for)."""
    return getattr(importlib.import_module(_PREFIX + area), name)
