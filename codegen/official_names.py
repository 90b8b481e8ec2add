"""Match the official SDK's type names to ours: ``python -m codegen.official_names`` (needs ``openai``).

The official SDK names its types by hand (``ChatCompletionUserMessageParam`` for the spec's
``ChatCompletionRequestUserMessage``); code that switches packages imports those names. This script
introspects the installed ``openai`` package and pairs each of its models / TypedDicts / unions with the
generated type of the same structure (same field names; for a model or TypedDict with a tag, the same tag
value; for a union, members that pair up), preferring the same area. Only unambiguous pairs are written, to
``codegen/official_names.json``, which the generator reads to emit aliases
(``ChatCompletionUserMessageParam = ChatCompletionRequestUserMessageParam``). Run it again after a new
official release; the generator itself never imports ``openai``.
"""

from __future__ import annotations

import ast
import difflib
import importlib
import json
import pkgutil
import sys
import typing
from collections import defaultdict
from pathlib import Path
from typing import Any

import pydantic

OUT = Path(__file__).with_name("official_names.json")


def _is_typeddict(obj: Any) -> bool:
    return isinstance(obj, type) and hasattr(obj, "__total__") and hasattr(obj, "__annotations__")


def _keys(obj: Any) -> frozenset[str] | None:
    if isinstance(obj, type) and issubclass(obj, pydantic.BaseModel):
        return frozenset(f.alias or n for n, f in obj.model_fields.items())
    if _is_typeddict(obj):
        keys: set[str] = set()
        for base in reversed(obj.__mro__):
            keys |= set(getattr(base, "__annotations__", {}))
        return frozenset(keys)
    return None


def _tag(obj: Any) -> Any:
    hints: dict[str, Any] = {}
    if isinstance(obj, type) and issubclass(obj, pydantic.BaseModel):
        hints = {n: f.annotation for n, f in obj.model_fields.items()}
    elif _is_typeddict(obj):
        for base in reversed(obj.__mro__):
            hints.update(getattr(base, "__annotations__", {}))
    for key in ("type", "role", "object", "event"):
        t = hints.get(key)
        if t is None:
            continue
        if isinstance(t, typing.ForwardRef):
            t = t.__forward_arg__
        if isinstance(t, str):  # postponed annotations: "Required[Literal['user']]"
            if "Literal[" in t:
                inner = t.split("Literal[", 1)[1].split("]", 1)[0]
                try:
                    return (key, repr(ast.literal_eval(f"({inner},)")))
                except (SyntaxError, ValueError):
                    return (key, inner)
            continue
        args = typing.get_args(t)
        while args and typing.get_origin(t) in (typing.Required, typing.NotRequired, typing.Annotated):
            t = args[0]
            args = typing.get_args(t)
        if typing.get_origin(t) is typing.Literal:
            return (key, repr(args))
    return None


def _members(obj: Any) -> list[Any] | None:
    origin = typing.get_origin(obj)
    if origin is typing.Annotated:
        return _members(typing.get_args(obj)[0])
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        out: list[Any] = []
        for a in typing.get_args(obj):
            inner = _members(a)
            out.extend(inner if inner is not None else [a])
        return [m for m in out if m is not type(None) and getattr(m, "__name__", "") != "UnknownObject"]
    return None


def _shared_ending(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _kind(obj: Any) -> str:
    return "param" if _is_typeddict(obj) else "model"


def _official() -> dict[str, dict[str, Any]]:
    """openai.types.<area> -> {name: object}."""
    import openai.types

    out: dict[str, dict[str, Any]] = defaultdict(dict)
    packages = ["openai.types"] + [
        info.name for info in pkgutil.walk_packages(openai.types.__path__, "openai.types.") if info.ispkg
    ]
    for package in packages:
        try:
            mod = importlib.import_module(package)
        except Exception:
            continue
        # the package's own exports: what `from openai.types.chat import X` reaches
        for name, obj in vars(mod).items():
            own = str(getattr(obj, "__module__", "")).startswith("openai")
            if name[:1].isupper() and (own or _members(obj) is not None):
                out[package][name] = obj
    return out


def _ours() -> dict[str, tuple[str, Any]]:
    """our name -> (module, object), from the lazy index of ``openai_kit.types``."""
    import openai_kit.types as kt

    index: dict[str, str] = kt._INDEX  # type: ignore[attr-defined]
    # the aliases made from the previous table are not types of ours to pair with
    previous = json.loads(OUT.read_text())["modules"] if OUT.exists() else {}
    aliases = {name for pairs in previous.values() for name in pairs}
    out: dict[str, tuple[str, Any]] = {}
    for name, module in index.items():
        if name in aliases:
            continue
        out[name] = (module, getattr(importlib.import_module(f"openai_kit.types.{module}"), name))
    return out


def match() -> dict[str, dict[str, str]]:
    ours = _ours()
    by_shape: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    for name, (_, obj) in ours.items():
        keys = _keys(obj)
        if keys:
            by_shape[(_kind(obj), keys, _tag(obj))].append(name)
    official = _official()
    result: dict[str, dict[str, str]] = defaultdict(dict)
    pairs: dict[int, str] = {}  # id(official object) -> our name

    def area_of(module: str) -> str:
        return module.removeprefix("openai.types").lstrip(".")

    def pick(candidates: list[str], area: str, name: str) -> str | None:
        """One candidate; else the only one in the same area; else the clearly closest name."""
        if len(candidates) == 1:
            return candidates[0]
        same = [c for c in candidates if ours[c][0] == area or ours[c][0].startswith(area + ".")]
        if len(same) == 1:
            return same[0]
        pool = same or candidates

        def score(c: str) -> tuple[int, float]:  # the longest shared ending first, then similarity
            return (
                _shared_ending(c, name),
                difflib.SequenceMatcher(None, c, name).ratio(),
            )

        scored = sorted(pool, key=score, reverse=True)
        if len(scored) >= 2:
            (suffix1, ratio1), (suffix2, ratio2) = score(scored[0]), score(scored[1])
            if suffix1 == suffix2 and ratio1 - ratio2 < 0.05:
                return None
        return scored[0] if scored else None

    for module, names in official.items():
        for name, obj in names.items():
            keys = _keys(obj)
            if not keys:
                continue
            found = pick(by_shape.get((_kind(obj), keys, _tag(obj)), []), area_of(module), name)
            if found is None and _tag(obj) is not None:  # our tag may be an open enum (any string)
                found = pick(by_shape.get((_kind(obj), keys, None), []), area_of(module), name)
            if found:
                pairs[id(obj)] = found
                result[module][name] = found
    # unions whose members all pair up, to one of our unions with the same members
    our_unions: dict[frozenset[str], list[str]] = defaultdict(list)
    for name, (_, obj) in ours.items():
        members = _members(obj)
        if members:
            our_unions[frozenset(getattr(m, "__name__", repr(m)) for m in members)].append(name)
    for module, names in official.items():
        for name, obj in names.items():
            members = _members(obj)
            if not members or not all(id(m) in pairs for m in members):
                continue
            found = pick(our_unions.get(frozenset(pairs[id(m)] for m in members), []), area_of(module), name)
            if found:
                result[module][name] = found
    # an official name that is already ours needs no alias
    return {
        m: {k: v for k, v in sorted(names.items()) if k != v and k not in ours}
        for m, names in sorted(result.items())
        if any(k != v and k not in ours for k, v in names.items())
    }


def main() -> None:
    import openai

    table = match()
    OUT.write_text(
        json.dumps({"openai_version": openai.__version__, "modules": table}, indent=1, sort_keys=True) + "\n"
    )
    print(f"{sum(len(v) for v in table.values())} official names paired, written to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
