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
    # a subclass that only reports an official name (``@official_name``: ``Group`` of project groups)
    # is that name's class already, not a type of ours to pair with
    bases = {id(obj) for _, obj in out.values()}
    return {
        name: (module, obj)
        for name, (module, obj) in out.items()
        if not (isinstance(obj, type) and obj.__name__ != name and id(obj.__bases__[0]) in bases)
    }


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
    # unions whose members all pair up, to one of our unions with the same members (compared as
    # objects: a member may be reached under several names, BetaX = X, or report an official one)
    our_unions: dict[frozenset[int], list[str]] = defaultdict(list)
    for name, (_, obj) in ours.items():
        members = _members(obj)
        if members:
            our_unions[frozenset(id(m) for m in members)].append(name)
    for module, names in official.items():
        for name, obj in names.items():
            members = _members(obj)
            if not members or not all(id(m) in pairs for m in members):
                continue
            same = frozenset(id(ours[pairs[id(m)]][1]) for m in members)
            found = pick(our_unions.get(same, []), area_of(module), name)
            if found:
                result[module][name] = found
    # an official name that is already ours needs no alias
    return {
        m: {k: v for k, v in sorted(names.items()) if k != v and k not in ours}
        for m, names in sorted(result.items())
        if any(k != v and k not in ours for k, v in names.items())
    }


# ----------------------------------------------------------------------------------------------------
# Modules: every public module of the official package, its public names, and where each lives here.

#: official modules that are private in spirit or cannot exist here (reason recorded for each)
SKIPPED_MODULES: dict[str, str] = {
    "openai.lib.bedrock": "AWS Bedrock provider: not supported by openai-kit",
    "openai.providers": "cloud providers (Bedrock, Vertex): not supported by openai-kit",
    "openai.helpers": "audio device helpers (sounddevice/numpy): not in openai-kit",
    "openai.cli": "the official command line tool (openai-kit has its own)",
}

#: reasons for names that do not resolve, by official module prefix (first match wins)
#: official ``openai.types`` modules that are not API types: the openai-kit module that defines their names
HAND_WRITTEN_TYPES: dict[str, str] = {
    "openai.types.websocket_reconnection": "openai_kit.realtime",
}

REASONS: list[tuple[str, str]] = [
    ("openai.lib.", "official library helper with no openai-kit counterpart"),
    ("openai.auth", "workload-identity authentication: not supported by openai-kit"),
    (
        "openai.resources.",
        "resource (or its raw/streaming wrapper class) of an API area the spec does not cover",
    ),
    ("openai.types.", "no type of this structure in spec/openapi.yaml (area or fields the spec lacks)"),
    ("openai", "not provided by openai-kit"),
]


def public_modules() -> list[str]:
    import openai

    names = ["openai"]
    for info in pkgutil.walk_packages(openai.__path__, "openai."):
        parts = info.name.split(".")[1:]
        if any(p.startswith("_") for p in parts) or parts[-1] in ("tests", "conftest"):
            continue
        if any(info.name == m or info.name.startswith(m + ".") for m in SKIPPED_MODULES):
            continue
        names.append(info.name)
    return sorted(names)


def public_names(module: str) -> list[str]:
    """``__all__``, else what the module defines at top level and the explicit re-exports
    (``from .x import Y as Y``) of a package: the names code imports from that module."""
    mod = importlib.import_module(module)
    explicit = getattr(mod, "__all__", None)
    if explicit is not None:
        return sorted(n for n in explicit if not n.startswith("_"))
    path = getattr(mod, "__file__", None)
    if not path:
        return []
    tree = ast.parse(Path(path).read_text())
    out: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            out.add(node.name)
        elif isinstance(node, ast.Assign):
            out.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            out.add(node.target.id)
        elif isinstance(node, ast.ImportFrom) and node.level > 0 and hasattr(mod, "__path__"):
            out.update(a.asname for a in node.names if a.asname and a.asname == a.name)
    return sorted(
        n for n in out if not n.startswith("_") and not isinstance(getattr(mod, n, None), type(sys))
    )


def _client_classes() -> dict[str, str]:
    """official resource class (``module:Name``) -> ours (``module:Name``), pairing the two clients'
    attribute trees (sync and async)."""
    import functools
    import inspect

    import openai

    import openai_kit

    out: dict[str, str] = {}

    def walk(theirs: Any, ours: Any, depth: int) -> None:
        t, o = type(theirs), type(ours)
        out[f"{t.__module__}:{t.__name__}"] = f"{o.__module__}:{o.__name__}"
        if depth > 6:
            return
        for name in dir(t):
            if name.startswith("_") or name in ("with_raw_response", "with_streaming_response"):
                continue
            if isinstance(inspect.getattr_static(t, name, None), functools.cached_property):
                sub_o = getattr(ours, name, None)
                sub_t = getattr(theirs, name)
                if sub_o is not None and hasattr(sub_t, "_client") and hasattr(sub_o, "_client"):
                    walk(sub_t, sub_o, depth + 1)

    for t_cls, o_cls in ((openai.OpenAI, openai_kit.OpenAI), (openai.AsyncOpenAI, openai_kit.AsyncOpenAI)):
        theirs, ours = t_cls(api_key="k"), o_cls(api_key="k")
        for name in dir(type(theirs)):
            if isinstance(inspect.getattr_static(type(theirs), name, None), functools.cached_property):
                sub_o = getattr(ours, name, None)
                if sub_o is not None and hasattr(sub_o, "_client"):
                    walk(getattr(theirs, name), sub_o, 1)
    return out


def _kit_module_for(module: str) -> str:
    return "openai_kit" + module.removeprefix("openai")


def resolve_modules(
    type_pairs: dict[int, str],
) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    """(resolved, unresolved): official module -> {name: ``module:Name`` here} / {name: reason}."""
    import openai_kit
    import openai_kit.types as kt

    index: dict[str, str] = kt._INDEX  # type: ignore[attr-defined]
    classes = _client_classes()
    hand_written: dict[int, str] = {}  # id(official object) -> where it is here
    for official, home in HAND_WRITTEN_TYPES.items():
        theirs, ours = importlib.import_module(official), importlib.import_module(home)
        for name in public_names(official):
            if hasattr(ours, name):
                hand_written[id(getattr(theirs, name))] = f"{home}:{name}"
    resolved: dict[str, dict[str, str]] = defaultdict(dict)
    unresolved: dict[str, dict[str, str]] = defaultdict(dict)
    for module in public_modules():
        try:
            mod = importlib.import_module(module)
        except Exception:
            continue
        for name in public_names(module):
            obj = getattr(mod, name, None)
            target: str | None = None
            if module.startswith("openai.types"):
                if name in index:
                    target = f"openai_kit.types:{name}"
                elif id(obj) in type_pairs:
                    target = f"openai_kit.types:{type_pairs[id(obj)]}"
                elif id(obj) in hand_written:  # not an API type (also where `openai.types` re-exports it)
                    target = hand_written[id(obj)]
            elif module.startswith("openai.resources"):
                key = f"{getattr(obj, '__module__', '')}:{getattr(obj, '__name__', '')}"
                target = classes.get(key) or _response_wrapper(mod, name, classes)
            else:
                for candidate in (_kit_module_for(module), "openai_kit"):
                    try:
                        here = importlib.import_module(candidate)
                    except ImportError:
                        continue
                    if getattr(here, "__file__", None) is None:
                        continue  # made by openai_kit._official_modules from the previous table
                    if hasattr(here, name) and not name.startswith("_"):
                        target = f"{candidate}:{name}"
                        break
                if target is None and hasattr(openai_kit, name):
                    target = f"openai_kit:{name}"
            if target is not None:
                resolved[module][name] = target
            else:
                reason = next(r for prefix, r in REASONS if module == prefix or module.startswith(prefix))
                unresolved[module][name] = reason
    return dict(resolved), dict(unresolved)


#: the official SDK's classes of ``resource.with_raw_response`` / ``.with_streaming_response``
WRAPPER_SUFFIXES = ("WithRawResponse", "WithStreamingResponse")


def _response_wrapper(mod: Any, name: str, classes: dict[str, str]) -> str | None:
    """``CompletionsWithRawResponse`` -> our class of the same suffix next to the resource class that
    ``Completions`` pairs with (the generator writes one per resource class)."""
    suffix = next((s for s in WRAPPER_SUFFIXES if name.endswith(s)), None)
    resource = getattr(mod, name.removesuffix(suffix), None) if suffix else None
    if suffix is None or resource is None:
        return None
    ours = classes.get(f"{getattr(resource, '__module__', '')}:{getattr(resource, '__name__', '')}")
    if ours is None:
        return None
    where, _, cls = ours.partition(":")
    here = importlib.import_module(where)
    return f"{where}:{cls}{suffix}" if hasattr(here, cls + suffix) else None


def operations() -> dict[str, dict[str, Any]]:
    """Per official operation (dotted path): the class names of its result (model, page and item) and
    whether it is deprecated (the official SDK warns when it is called)."""
    import functools
    import inspect

    import openai

    out: dict[str, dict[str, Any]] = {}

    def cls_name(t: Any) -> str | None:
        return getattr(t, "__name__", None) if isinstance(t, type) else None

    def walk(obj: Any, path: tuple[str, ...]) -> None:
        t = type(obj)
        for name in dir(t):
            if name.startswith("_") or name in ("with_raw_response", "with_streaming_response"):
                continue
            attr = inspect.getattr_static(t, name, None)
            if isinstance(attr, functools.cached_property):
                sub = getattr(obj, name)
                if hasattr(sub, "_client"):
                    walk(sub, (*path, name))
                continue
            if not callable(attr):
                continue
            entry: dict[str, Any] = {}
            if getattr(attr, "__deprecated__", None):
                entry["deprecated"] = True
            try:
                params = inspect.signature(attr).parameters.values()
            except (TypeError, ValueError):
                params = []  # type: ignore[assignment]
            optional = sorted(
                p.name for p in params if p.default is not inspect.Parameter.empty and p.name != "stream"
            )
            if optional:
                entry["optional"] = optional
            try:
                ret = typing.get_type_hints(attr)["return"]
            except Exception:
                ret = None
            origin, args = typing.get_origin(ret), typing.get_args(ret)
            entry.update(_stream_events(args))
            meta = getattr(ret, "__pydantic_generic_metadata__", None) if isinstance(ret, type) else None
            if meta and meta.get("origin") is not None:  # a parametrized page: SyncCursorPage[FileObject]
                origin, args = meta["origin"], meta["args"]
            if origin is not None and "Page" in str(getattr(origin, "__name__", "")):
                entry["page"] = origin.__name__
                if args and cls_name(args[0]):
                    entry["item"] = cls_name(args[0])
                    entry["item_module"] = args[0].__module__
                    entry.update(_nested("item_nested", args[0]))
                elif args:
                    entry.update(_union_members(args[0]))
            elif cls_name(ret):
                entry["result"] = cls_name(ret)
                entry["result_module"] = ret.__module__
                entry.update(_nested("result_nested", ret))
            if entry:
                out[".".join((*path, name))] = entry

    walk(openai.OpenAI(api_key="k"), ())
    return dict(sorted(out.items()))


def _unwrap(t: Any, annotated: bool) -> Any:
    """``t`` without ``Optional``/``List`` around it (and ``Annotated`` with ``annotated``); a union
    of several types stays that union."""
    for _ in range(4):
        origin, args = typing.get_origin(t), typing.get_args(t)
        if origin is typing.Annotated:
            if not annotated:
                break
            t = args[0]
        elif origin in (list, typing.List) and args:  # noqa: UP006
            t = args[0]
        elif args and type(None) in args:
            rest = [a for a in args if a is not type(None)]
            t = rest[0] if len(rest) == 1 else typing.Union[tuple(rest)]  # noqa: UP007
            if len(rest) != 1:
                break
        else:
            break
    return t


def _single_model(t: Any) -> Any:
    """The one model class an annotation holds (``Optional[X]``, ``List[X]``, ``Optional[List[X]]``),
    else ``None`` (a union of models has no single class at that position)."""
    import pydantic

    t = _unwrap(t, annotated=True)
    return t if isinstance(t, type) and issubclass(t, pydantic.BaseModel) else None


def _nested(key: str, cls: Any) -> dict[str, Any]:
    """The official class at every field path of a result model (``choices.message`` ->
    ``ChatCompletionMessage`` of ``openai.types.chat.chat_completion_message``), through fields that
    hold one model class (a list or optional one too), so the generator can give our class at the same
    path the official name; a field holding a union of tagged models gets its members instead
    (``[path, "", "", members]``, as ``_union_members`` records them). Each class once (its first
    path), cycles cut."""
    out: list[list[str]] = []
    seen = {cls}

    def walk(model: Any, prefix: str, depth: int) -> None:
        if depth > 6:
            return
        for name, info in getattr(model, "model_fields", {}).items():
            inner = _single_model(info.annotation)
            if inner is None:
                union = _unwrap(info.annotation, annotated=False)
                members = _union_members(union).get("item_members")
                if members:  # a union of tagged models: the generator pairs members by tag
                    out.append([prefix + name, "", "", members])  # type: ignore[list-item]
                    for member in _members(union) or []:  # and inside each: "<path>|<Member>.<field>"
                        if member not in seen:
                            seen.add(member)
                            walk(member, f"{prefix}{name}|{member.__name__}.", depth + 1)
                continue
            if inner in seen:
                continue
            seen.add(inner)
            path = prefix + name
            out.append([path, inner.__name__, inner.__module__])
            walk(inner, path + ".", depth + 1)

    walk(cls, "", 0)
    return {key: out} if out else {}


def _union_members(t: Any) -> dict[str, Any]:
    """A page of a union (``ResponseItem``): each member's module, class name, tag value(s) and field
    names, so the generator can pair our members with them and give ours the official names."""
    out: list[list[Any]] = []
    for m in _members(t) or []:
        tag, keys = _tag(m), _keys(m)
        if not isinstance(m, type) or tag is None or keys is None:
            return {}
        values = sorted(str(v) for v in ast.literal_eval(tag[1]))
        out.append([m.__module__, m.__name__, values, sorted(keys)])
    return {"item_members": sorted(out)} if out else {}


def _stream_events(alternatives: tuple[Any, ...]) -> dict[str, Any]:
    """The members of the event union of a streamed operation (``Stream[ResponseStreamEvent]`` among
    the return type's alternatives), as ``_union_members`` records them; for a stream of one event
    class (``Stream[ChatCompletionChunk]``), the classes inside it (``_nested``)."""
    for t in alternatives:
        origin = typing.get_origin(t)
        if getattr(origin, "__name__", "") == "Stream" and typing.get_args(t):
            event = typing.get_args(t)[0]
            if isinstance(event, type):
                return _nested("event_nested", event)
            members = _union_members(event).get("item_members")
            return {"event_members": members} if members else {}
    return {}


def _all_type_pairs() -> dict[int, str]:
    """id(official type object) -> our type name, over every public types module (deep ones too)."""
    ours = _ours()
    by_shape: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    for name, (_, obj) in ours.items():
        keys = _keys(obj)
        if keys:
            by_shape[(_kind(obj), keys, _tag(obj))].append(name)
    pairs: dict[int, str] = {}
    for module in public_modules():
        if not module.startswith("openai.types"):
            continue
        try:
            mod = importlib.import_module(module)
        except Exception:
            continue
        area = module.removeprefix("openai.types").lstrip(".").rsplit(".", 1)[0]
        for name in public_names(module):
            obj = getattr(mod, name, None)
            keys = _keys(obj)
            if not keys or id(obj) in pairs:
                continue
            cands = by_shape.get((_kind(obj), keys, _tag(obj)), [])
            if not cands and _tag(obj) is not None:
                cands = by_shape.get((_kind(obj), keys, None), [])
            same = [c for c in cands if ours[c][0] == area or ours[c][0].startswith(area + ".")]
            pool = same or cands
            if len(pool) == 1:
                pairs[id(obj)] = pool[0]
            elif pool:  # several of the same shape: only a clearly closest name (as in match())

                def score(c: str, name: str = name) -> tuple[int, float]:
                    return (_shared_ending(c, name), difflib.SequenceMatcher(None, c, name).ratio())

                best = sorted(pool, key=score, reverse=True)
                (s1, r1), (s2, r2) = score(best[0]), score(best[1])
                if s1 > s2 or r1 - r2 >= 0.05:
                    pairs[id(obj)] = best[0]
    return pairs


def main() -> None:
    import openai

    table = match()
    resolved, unresolved = resolve_modules(_all_type_pairs())
    OUT.write_text(
        json.dumps(
            {
                "openai_version": openai.__version__,
                "modules": table,
                "module_paths": resolved,
                "unresolved": unresolved,
                "skipped_modules": SKIPPED_MODULES,
                "operations": operations(),
            },
            indent=1,
            sort_keys=True,
        )
        + "\n"
    )
    n_ok = sum(len(v) for v in resolved.values())
    n_bad = sum(len(v) for v in unresolved.values())
    print(f"{sum(len(v) for v in table.values())} official names paired, written to {OUT}", file=sys.stderr)
    print(
        f"{n_ok} of {n_ok + n_bad} official public names resolve in {len(resolved)} modules", file=sys.stderr
    )


if __name__ == "__main__":
    main()
