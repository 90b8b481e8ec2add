"""The twin pass: a beta type with the structure of a non-beta one is that type, not a copy of it.

The spec declares the ``?beta=true`` Responses API with ``BetaX`` copies of many ``X`` schemas
(``BetaResponseFormatText`` / ``ResponseFormatText``), and the beta realtime API with ``RealtimeBetaX``
copies of ``RealtimeX``. Generated one by one, ``types/beta/*.py`` re-declared hundreds of classes of
``types/responses.py`` and ``types/realtime.py``. This pass runs on the finished definitions: a beta and a
non-beta definition are twins when their generated code is the same once every twin name in it is
replaced by the name of its twin (a greatest fixpoint, so recursive types pair up and a type that holds
one beta-only type is not a twin). Nothing is listed by hand.

A twin keeps its name, in its module, as one line: ``BetaX: TypeAlias = X`` (``isinstance`` and imports
work under both names; ``type(obj).__name__`` says ``X``). Where the class name is what a caller sees —
the result or page item of an operation and the events of a stream, compared by name with the official
SDK — it is an empty subclass instead (``class BetaX(X)``), and what holds it stays a beta type of its
own, so that parsing builds the beta-named class.
"""

from __future__ import annotations

import re
from typing import Any

from .typegen import REF_RE, Definition, TypeGen, ref

#: ``BetaX`` is paired with ``X``, ``RealtimeBetaX`` with ``RealtimeX``
BETA = "Beta"


def _twin_name(name: str) -> str | None:
    return name.replace(BETA, "", 1) if BETA in name else None


def share_twins(tg: TypeGen, op_types: dict[str, dict[str, Any]], area_priority: list[str]) -> dict[str, str]:
    """Replace each beta twin's definition by a reference to its non-beta twin; returns beta -> twin."""
    observable = _observable_classes(tg, op_types)
    twins = _find_twins(tg, observable, area_priority)
    for name, target in sorted(twins.items()):
        d = tg.defs[name]
        if name in observable:
            code = f'class {name}({ref(target)}):\n    """`{target}` under its beta name."""\n'
            tg.defs[name] = Definition(name, d.module, "class", d.flavor, code, d.schema_name)
        else:
            code = f"{name}: TypeAlias = {ref(target)}\n"
            tg.defs[name] = Definition(name, d.module, "alias", d.flavor, code, d.schema_name)
    return twins


def _observable_classes(tg: TypeGen, op_types: dict[str, dict[str, Any]]) -> set[str]:
    """Model classes an operation hands out as such: results, page items, stream events (through the
    aliases that name them, e.g. an event union, but not into the fields of a class)."""
    seen: set[str] = set()
    stack = [
        name
        for types in op_types.values()
        for key in ("result", "item", "event")
        if isinstance(types.get(key), str)
        for name in REF_RE.findall(types[key])
    ]
    out: set[str] = set()
    while stack:
        name = stack.pop()
        d = tg.defs.get(name)
        if name in seen or d is None or d.flavor != "M":
            continue
        seen.add(name)
        if d.kind == "class":
            out.add(name)
        else:
            stack.extend(d.deps)
    return out


def _find_twins(tg: TypeGen, observable: set[str], area_priority: list[str]) -> dict[str, str]:
    rank = {area: i for i, area in enumerate(area_priority)}
    rank["shared"] = -1

    def pairable(beta: str, other: str) -> bool:
        a, b = tg.defs.get(beta), tg.defs.get(other)
        return (
            a is not None
            and b is not None
            and BETA in beta
            and BETA not in other
            and a.flavor == b.flavor
            # imports only go towards more basic modules (``generate.AREA_PRIORITY``): never a cycle
            and rank.get(b.module, len(rank)) <= rank.get(a.module, len(rank))
        )

    # hypotheses: the spec's BetaX ~ X, then, position by position, the types their code refers to
    # (inline types have no spec name: ``BetaFunctionToolParam2`` may be the twin of ``FunctionToolParam``)
    pairs: dict[str, str] = {}
    work = [
        (py, tg.named[(flavor, twin)])
        for (flavor, schema), py in sorted(tg.named.items())
        if (twin := _twin_name(schema)) is not None and (flavor, twin) in tg.named
    ]
    while work:
        beta, other = work.pop()
        if beta in pairs or not pairable(beta, other):
            continue
        pairs[beta] = other
        refs_a, refs_b = REF_RE.findall(tg.defs[beta].code), REF_RE.findall(tg.defs[other].code)
        if len(refs_a) == len(refs_b):
            work.extend((a, b) for a, b in zip(refs_a, refs_b, strict=True) if a != b)
    # the greatest set of hypotheses that hold: same code, every reference the same or a twin
    valid = set(pairs)
    changed = True
    while changed:
        changed = False
        for beta in sorted(valid):
            if not _same(tg.defs[beta], tg.defs[pairs[beta]], pairs, valid - observable):
                valid.discard(beta)
                changed = True
    return {beta: pairs[beta] for beta in valid}


def _same(a: Definition, b: Definition, pairs: dict[str, str], mapped: set[str]) -> bool:
    """``a`` is ``b`` once each name of ``mapped`` is read as its twin (``pairs``)."""
    if _skeleton(a) != _skeleton(b):
        return False
    refs_a, refs_b = REF_RE.findall(a.code), REF_RE.findall(b.code)
    return all(
        x == y or (x in mapped and pairs[x] == y) or (x == a.name and y == b.name)
        for x, y in zip(refs_a, refs_b, strict=True)
    )


def _skeleton(d: Definition) -> str:
    """``d``'s code without its own name and with every reference a blank."""
    code = REF_RE.sub("\x01\x02", d.code)
    return re.sub(rf"(?<![\w\x01]){re.escape(d.name)}(?![\w\x02])", "\x01\x02", code)
