"""Precomputed pydantic core schemas of the generated response models (issue 17: cold start).

pydantic builds a model's core schema in Python on first use, which costs ~70 ms for ``Response`` (176
nested models) and ~10 ms for ``ChatCompletion``. The schemas only depend on the generated code and the
pydantic version, so codegen computes them once: it lays the freshly rendered package out in a temporary
directory, imports every generated types module there in a subprocess, asks pydantic for each model's core
schema and writes one JSON table per area, ``src/openai_kit/types/_core_schemas/<area>.json``.

``_aliases.json`` lists the alias entries of each area. Each table maps ``"<area>:<ClassName>"`` to ``{"deps": [...], "schema": ...}``: the model's core schema
with every nested model replaced by a ``definition-ref`` to its own key (so each model is stored once,
in its own area) and ``cls`` given by key; ``metadata`` (JSON-schema hints holding Python functions) is
left out. ``openai_kit._core_schemas`` turns a table entry and its dependencies back into one
``definitions`` schema for the lenient validators. ``codegen --check`` recomputes and compares them, so a
table can never be stale for the pydantic version the check runs with.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from .spec import REPO_ROOT

CORE_SCHEMAS_DIR = "src/openai_kit/types/_core_schemas"
PACKAGE_PREFIX = "src/openai_kit/"
TYPES_PREFIX = "openai_kit.types."


def render_core_schemas(files: dict[str, str]) -> dict[str, str]:
    """The JSON tables of the generated ``files`` (computed in a subprocess over a temporary copy of the
    package with ``files`` in place; nothing is written into the repository)."""
    with tempfile.TemporaryDirectory(prefix="openai-kit-codegen-") as tmp:
        pkg = Path(tmp) / "openai_kit"
        shutil.copytree(
            REPO_ROOT / "src" / "openai_kit",
            pkg,
            ignore=shutil.ignore_patterns("__pycache__", "resources", "types"),
        )
        for rel, text in files.items():
            if rel.startswith(PACKAGE_PREFIX):
                target = Path(tmp) / rel[len("src/") :]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([tmp, str(REPO_ROOT)])
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        proc = subprocess.run(
            [sys.executable, "-c", "from codegen.core_schemas import _dump; _dump()"],
            env=env,
            cwd=tmp,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"computing core schemas failed:\n{proc.stderr[-4000:]}")
    tables: dict[str, dict[str, Any]] = json.loads(proc.stdout)
    files = {
        f"{CORE_SCHEMAS_DIR}/{area}.json": _render_table(table) for area, table in sorted(tables.items())
    }
    # which names are aliases, by area: found by identity at run time without loading every table
    aliases = {
        area: sorted(key.partition(":")[2] for key, entry in table.items() if entry.get("alias"))
        for area, table in sorted(tables.items())
    }
    files[f"{CORE_SCHEMAS_DIR}/_aliases.json"] = _render_table({a: n for a, n in aliases.items() if n})
    return files


def _render_table(table: dict[str, Any]) -> str:
    """One model per line: readable diffs, and merges of unrelated model changes do not collide."""
    lines = [
        f"{json.dumps(key)}:{json.dumps(entry, separators=(',', ':'))}"
        for key, entry in sorted(table.items())
    ]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def _key(cls: type) -> str:
    from openai_kit._models import where_defined

    # a class with an official name elsewhere is keyed where it is defined: one table per area module
    where = where_defined(cls)
    if not where.startswith(TYPES_PREFIX):
        raise _Foreign(where)
    return where[len(TYPES_PREFIX) :]


_MAPPINGS = frozenset({"fields", "choices", "computed_fields"})


class _Foreign(Exception):
    """A model defined outside the generated types: its schema is not precomputed."""


class _NotJSON(TypeError):
    """A schema holding Python objects (validator functions...): not precomputed."""


def _normalize(schema: Any, out: dict[str, dict[str, Any]]) -> tuple[Any, set[str]]:
    """Add every model of ``schema`` (a core schema as pydantic builds it) to ``out`` by key; return
    ``schema`` with its models as references, and the keys of the models it references directly."""
    defs: dict[str, Any] = {}

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "definitions":
                for d in node["definitions"]:
                    defs[d["ref"]] = d
            for v in node.values():
                collect(v)
        elif isinstance(node, list):
            for v in node:
                collect(v)

    def walk(node: Any, deps: set[str]) -> Any:
        if isinstance(node, list):
            return [walk(v, deps) for v in node]
        if not isinstance(node, dict):
            if node is None or isinstance(node, (str, int, float, bool)):
                return node
            raise _NotJSON(f"not JSON data in a core schema: {node!r}")
        kind = node.get("type")
        if kind == "definitions":
            return walk(node["schema"], deps)
        if kind == "definition-ref":
            return walk(defs[node["schema_ref"]], deps)
        if kind == "model":
            key = _key(node["cls"])
            deps.add(key)
            if key not in out:
                out[key] = {}  # placeholder: recursion ends here
                mine: set[str] = set()
                body = {k: walk(v, mine) for k, v in node.items() if k not in ("cls", "ref", "metadata")}
                out[key] = {"deps": sorted(mine - {key}), "schema": {"cls": key, "ref": key, **body}}
            return {"type": "definition-ref", "schema_ref": key}
        if "ref" in node:
            raise _NotJSON(f"a shared non-model schema: {node['ref']}")
        return {
            k: _by_name(v, deps) if k in _MAPPINGS else walk(v, deps)
            for k, v in node.items()
            if k != "metadata"
        }

    def _by_name(value: Any, deps: set[str]) -> Any:
        # field names and union tags are data, not schema keys: a field may be called "metadata" or "type"
        if isinstance(value, dict):
            return {name: walk(v, deps) for name, v in value.items()}
        return walk(value, deps)

    collect(schema)
    top: set[str] = set()
    return walk(schema, top), top


def compute_tables() -> dict[str, dict[str, Any]]:
    """``{area: {key: entry}}`` for every model of every generated types module (imported here), and for
    every module-level alias whose schema holds models (unions such as ``ResponseStreamEvent``: entries
    with ``"alias": true``, their schema is the alias's own rather than a model)."""
    import importlib
    import pkgutil
    import typing

    import pydantic

    import openai_kit.types as types_pkg

    out: dict[str, dict[str, Any]] = {}
    aliases: dict[str, dict[str, Any]] = {}
    names = sorted(m.name for m in pkgutil.walk_packages(types_pkg.__path__, TYPES_PREFIX))
    for name in names:
        module = importlib.import_module(name)
        # a lazy module (openai_kit._lazy_types) names in __all__ what it defines and re-exports
        names_here = getattr(module, "__all__", None) or list(vars(module))
        for attr in names_here:
            value = getattr(module, attr)
            try:
                if isinstance(value, type):
                    if (
                        issubclass(value, pydantic.BaseModel)
                        and _key(value).partition(":")[0] == name[len(TYPES_PREFIX) :]
                        and not value.__pydantic_generic_metadata__["parameters"]
                    ):
                        value.model_rebuild()
                        _normalize(value.__pydantic_core_schema__, out)
                elif not attr.startswith("_") and typing.get_origin(value) is not None:
                    top, deps = _normalize(pydantic.TypeAdapter(value).core_schema, out)
                    if deps:
                        key = f"{name[len(TYPES_PREFIX) :]}:{attr}"
                        aliases[key] = {"alias": True, "deps": sorted(deps), "schema": top}
            except (_Foreign, _NotJSON):  # left unfinished: pydantic builds those at run time
                for key in [k for k, entry in out.items() if not entry]:
                    del out[key]
    out.update(aliases)
    tables: dict[str, dict[str, Any]] = {}
    for key, entry in sorted(out.items()):
        tables.setdefault(key.split(":", 1)[0], {})[key] = entry
    return tables


def _dump() -> None:
    """In the subprocess: print :func:`compute_tables` as JSON."""
    sys.stdout.write(json.dumps(compute_tables()))
