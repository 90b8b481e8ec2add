"""The official SDK's module paths, made on import: ``from openai_kit.types.chat.chat_completion import
ChatCompletion``, ``from openai_kit.resources.chat.completions.completions import Completions``,
``from openai_kit.lib.azure import AzureOpenAI``.

The official package has one module per type (1,700+ of them); openai-kit keeps one module per API area.
A finder placed last on ``sys.meta_path`` answers only for ``openai_kit.*`` modules that have no file
here and that the generated table ``openai_kit/types/_official_modules.json`` lists: it makes a small
module whose names are looked up lazily (each is the very same object as in the area module).
"""

from __future__ import annotations

import importlib
import sys
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import types
    from importlib.machinery import ModuleSpec

__all__ = ["install", "lookup"]

_TABLE_FILE = Path(__file__).with_name("types") / "_official_modules.json"


@cache
def _table() -> dict[str, dict[str, str]]:
    import orjson

    table: dict[str, dict[str, str]] = orjson.loads(_TABLE_FILE.read_bytes())
    return table


@cache
def _namespaces() -> frozenset[str]:
    """Every listed module and each of its parents (a parent may list no names of its own)."""
    out: set[str] = set()
    for module in _table():
        parts = module.split(".")
        out.update(".".join(parts[:i]) for i in range(2, len(parts) + 1))
    return frozenset(out)


def lookup(module: str, name: str) -> Any:
    """The object ``name`` of the official module path ``module`` (``AttributeError`` if not here)."""
    target = _table().get(module, {}).get(name)
    if target is None:
        raise AttributeError(f"module {module!r} has no attribute {name!r}")
    where, _, attr = target.partition(":")
    if (where, attr) == (module, name):
        raise AttributeError(f"module {module!r} has no attribute {name!r}")
    return getattr(importlib.import_module(where), attr)


class _Finder:
    """A meta path finder and loader (duck-typed: importing ``importlib.abc`` costs a millisecond)."""

    def find_spec(
        self, fullname: str, path: Any = None, target: types.ModuleType | None = None
    ) -> ModuleSpec | None:
        if not fullname.startswith("openai_kit.") or fullname not in _namespaces():
            return None
        import importlib.util

        return importlib.util.spec_from_loader(fullname, self, is_package=True)  # type: ignore[arg-type]

    def create_module(self, spec: ModuleSpec) -> types.ModuleType | None:
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        name = module.__name__
        names = sorted(_table().get(name, {}))
        module.__path__ = []
        setattr(module, "__all__", names)  # noqa: B010
        module.__doc__ = f"The official SDK's module {'openai' + name.removeprefix('openai_kit')!r}."

        def __getattr__(attr: str) -> Any:
            value = lookup(name, attr)
            setattr(module, attr, value)
            return value

        def __dir__() -> list[str]:
            return names

        module.__getattr__ = __getattr__  # type: ignore[method-assign]
        module.__dir__ = __dir__  # type: ignore[method-assign]


_FINDER = _Finder()


def install() -> None:
    """Put the finder last on ``sys.meta_path`` (once): real files always win."""
    if _FINDER not in sys.meta_path:
        sys.meta_path.append(_FINDER)
