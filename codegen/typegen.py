"""JSON Schema -> Python types.

Two flavours are generated from one schema:

- ``M`` (model): pydantic models for what the API returns. Objects become ``Model`` subclasses
  (extra fields kept), multi-valued enums become ``Union[Literal[...], str]`` (new values accepted),
  unions of objects with a tag property become discriminated unions with a fallback
  (``UnknownObject``) so that a variant this version does not know yet still parses.
- ``P`` (param): ``TypedDict`` classes for what the caller sends; enums are plain ``Literal``.

Definitions are emitted as text with reference markers ``\\x01Name\\x02`` so that the module writer
can decide, per reference, between a plain name, an import from another module, or a quoted
forward reference (for the back edges of cycles).
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from typing import Any

REF_RE = re.compile("\x01([A-Za-z0-9_]+)\x02")

# Attributes of pydantic.BaseModel (and our Model) that a field name must not shadow.
RESERVED_MODEL_ATTRS = frozenset(
    {
        "construct",
        "copy",
        "dict",
        "fields",
        "from_orm",
        "json",
        "parse_file",
        "parse_obj",
        "parse_raw",
        "schema",
        "schema_json",
        "update_forward_refs",
        "validate",
        "model_config",
        "model_fields",
        "model_computed_fields",
        "model_extra",
        "model_fields_set",
        "model_construct",
        "model_copy",
        "model_dump",
        "model_dump_json",
        "model_json_schema",
        "model_parametrized_name",
        "model_post_init",
        "model_rebuild",
        "model_validate",
        "model_validate_json",
        "model_validate_strings",
        "register",
        "to_dict",
        "to_json",
        # names the annotations of a class body use: a field with a default would shadow them
        "str",
        "int",
        "float",
        "bool",
        "Any",
        "List",
        "Dict",
        "Optional",
        "Union",
        "Literal",
        "Annotated",
        "Field",
    }
)

# Official SDK names for the most used response models: schema name -> class name.
OFFICIAL_NAMES: dict[str, str] = {
    "CreateChatCompletionResponse": "ChatCompletion",
    "CreateChatCompletionStreamResponse": "ChatCompletionChunk",
    "CreateCompletionResponse": "Completion",
    "CreateEmbeddingResponse": "CreateEmbeddingResponse",
    "OpenAIFile": "FileObject",
    "CreateModerationResponse": "ModerationCreateResponse",
    "ImagesResponse": "ImagesResponse",
    "AssistantObject": "Assistant",
    "ThreadObject": "Thread",
    "RunObject": "Run",
    "MessageObject": "Message",
    "RunStepObject": "RunStep",
    "VectorStoreObject": "VectorStore",
    "VectorStoreFileObject": "VectorStoreFile",
    "VectorStoreFileBatchObject": "VectorStoreFileBatch",
    "FineTuningJob": "FineTuningJob",
    "CreateTranscriptionResponseJson": "Transcription",
    "CreateTranslationResponseJson": "Translation",
}


def pascal(s: str) -> str:
    parts = re.split(r"[^A-Za-z0-9]+", s)
    out = "".join(p[:1].upper() + p[1:] for p in parts if p)
    if not out or out[0].isdigit():
        out = "T" + out
    return out


def singular(s: str) -> str:
    if s.endswith("ies"):
        return s[:-3] + "y"
    if s.endswith("s") and not s.endswith("ss") and len(s) > 3:
        return s[:-1]
    return s


def py_field_name(name: str, *, model: bool) -> str:
    n = re.sub(r"[^A-Za-z0-9_]", "_", name)
    if not n or n[0].isdigit():
        n = "f_" + n
    if n.startswith("_"):
        n = "f" + n
    if keyword.iskeyword(n) or n in ("None", "True", "False"):
        n += "_"
    if model and n in RESERVED_MODEL_ATTRS:
        n += "_"
    return n


def lit(v: Any) -> str:
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return repr(v)


def ref(name: str) -> str:
    return f"\x01{name}\x02"


@dataclass
class Definition:
    name: str
    module: str
    kind: str  # "class" (deferred-safe class body) | "alias" (evaluated at import)
    flavor: str
    code: str
    schema_name: str | None = None

    @property
    def deps(self) -> list[str]:
        return list(dict.fromkeys(REF_RE.findall(self.code)))


@dataclass
class Union_:
    variants: list[dict[str, Any]]
    nullable: bool


#: schema -> a class of ``openai_kit._model_helpers`` mixed into its model (computed conveniences)
MODEL_MIXINS: dict[str, str] = {"Response": "ResponseHelpers", "BetaResponse": "ResponseHelpers"}
MODEL_MIXINS["ImagesResponse"] = "ImagesResponseHelpers"
#: inline schemas have no schema name: their generated class name is looked up too
MODEL_MIXINS["ModerationCreateResponseResult"] = "ModerationResultHelpers"
#: objects that remember the client that fetched them (``openai_kit._bound``): batch.wait(), file.download()...
MODEL_MIXINS.update(
    {
        "Batch": "BatchHelpers",
        "OpenAIFile": "FileHelpers",
        "FineTuningJob": "FineTuningJobHelpers",
        "RunObject": "RunHelpers",
        "ThreadObject": "ThreadHelpers",
        "VectorStoreObject": "VectorStoreHelpers",
    }
)


@dataclass
class TypeGen:
    spec: dict[str, Any]
    module_of_schema: dict[str, str]
    defs: dict[str, Definition] = field(default_factory=dict)
    named: dict[tuple[str, str], str] = field(default_factory=dict)  # (flavor, schema) -> py name
    used_names: set[str] = field(default_factory=set)
    discriminator_props: set[tuple[str, str]] = field(default_factory=set)
    #: id(union schema) -> (tag property, member type expressions) of the tagged unions rendered so far
    tagged_members: dict[int, tuple[str, list[str]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.schemas: dict[str, Any] = self.spec["components"]["schemas"]
        self._scan_discriminators()

    # ------------------------------------------------------------------ helpers
    def resolve(self, s: dict[str, Any]) -> dict[str, Any]:
        seen = 0
        while "$ref" in s and seen < 50:
            s = self.schemas[s["$ref"].rsplit("/", 1)[-1]]
            seen += 1
        return s

    @staticmethod
    def ref_name(s: dict[str, Any]) -> str | None:
        r = s.get("$ref")
        if isinstance(r, str) and r.startswith("#/components/schemas/"):
            return r.rsplit("/", 1)[-1]
        return None

    def unique(self, name: str) -> str:
        base = name
        i = 2
        while name in self.used_names:
            name = f"{base}{i}"
            i += 1
        self.used_names.add(name)
        return name

    def flatten_object(self, s: dict[str, Any], depth: int = 0) -> dict[str, Any] | None:
        """Merge an object schema with its allOf parts. None when it is not an object."""
        s = self.resolve(s)
        if depth > 20:
            return None
        if "allOf" in s:
            props: dict[str, Any] = {}
            required: list[str] = []
            nullable = bool(s.get("nullable"))
            any_obj = False
            for part in s["allOf"]:
                rp = self.resolve(part)
                if set(rp) <= {"nullable", "description", "title", "default", "deprecated"}:
                    nullable = nullable or bool(rp.get("nullable"))
                    continue
                sub = self.flatten_object(part, depth + 1)
                if sub is None:
                    return None
                any_obj = True
                props.update(sub.get("properties", {}))
                required.extend(sub.get("required", []))
            own = {k: v for k, v in s.items() if k != "allOf"}
            if own.get("properties"):
                props.update(own["properties"])
                required.extend(own.get("required", []))
            if not any_obj and not props:
                return None
            out: dict[str, Any] = {
                "type": "object",
                "properties": props,
                "required": list(dict.fromkeys(required)),
            }
            if nullable:
                out["nullable"] = True
            return out
        if any(k in s for k in ("oneOf", "anyOf")) and not self.constraint_only_union(s):
            return None
        t = s.get("type")
        if t == "object" or (t is None and "properties" in s):
            return s
        return None

    @staticmethod
    def constraint_only_union(s: dict[str, Any]) -> bool:
        """``anyOf: [{required: [a]}, {required: [b]}]`` next to ``properties``: an object, not a union."""
        key = "oneOf" if "oneOf" in s else "anyOf" if "anyOf" in s else None
        if key is None or not s.get("properties"):
            return False
        structural = {"type", "properties", "$ref", "oneOf", "anyOf", "allOf", "enum", "const", "items"}
        return all(isinstance(v, dict) and not (structural & set(v)) for v in s[key])

    # ------------------------------------------------------------ discriminators
    def union_parts(self, s: dict[str, Any]) -> Union_ | None:
        key = "oneOf" if "oneOf" in s else "anyOf" if "anyOf" in s else None
        if key is None or self.constraint_only_union(s):
            return None
        nullable = bool(s.get("nullable"))
        variants = []
        for v in s[key]:
            rv = self.resolve(v)
            if rv.get("type") == "null" and len(rv) <= 2:
                nullable = True
                continue
            variants.append(v)
        return Union_(variants, nullable)

    def tag_values(self, obj: dict[str, Any], prop: str) -> list[Any] | None:
        p = obj.get("properties", {}).get(prop)
        if p is None:
            return None
        p = self.resolve(p)
        if "const" in p:
            return [p["const"]]
        if "enum" in p and all(isinstance(x, str) for x in p["enum"] if x is not None):
            vals = [x for x in p["enum"] if x is not None]
            return vals or None
        return None

    def find_discriminator(self, s: dict[str, Any], variants: list[dict[str, Any]]) -> str | None:
        if len(variants) < 2:
            return None
        objs = []
        for v in variants:
            if self.ref_name(v) is None and "allOf" not in v and "properties" not in v:
                return None
            o = self.flatten_object(v)
            if o is None or not o.get("properties"):
                return None
            objs.append(o)
        candidates: list[str] = []
        d = s.get("discriminator")
        if isinstance(d, dict) and d.get("propertyName"):
            candidates.append(d["propertyName"])
        for c in ("type", "object", "role", "event", "kind"):
            if c not in candidates:
                candidates.append(c)
        for prop in candidates:
            seen: set[Any] = set()
            ok = True
            for o in objs:
                vals = self.tag_values(o, prop)
                if not vals or seen & set(vals):
                    ok = False
                    break
                seen |= set(vals)
            if ok:
                return prop
        return None

    def _scan_discriminators(self) -> None:
        def walk(node: Any) -> None:
            if isinstance(node, dict):
                u = self.union_parts(node)
                if u is not None:
                    variants = u.variants
                    prop = self.find_discriminator(node, variants)
                    if prop is None and any(self.union_parts(self.resolve(v)) for v in variants):
                        variants = [leaf for v in variants for leaf in self.leaf_variants(v)]
                        prop = self.find_discriminator({}, variants)
                    if prop:
                        for v in variants:
                            name = self.ref_name(v)
                            if name:
                                self.discriminator_props.add((name, prop))
                for v in node.values():
                    walk(v)
            elif isinstance(node, list):
                for v in node:
                    walk(v)

        walk(self.spec)

    # --------------------------------------------------------------- named defs
    def named_type(self, schema_name: str, flavor: str) -> str:
        key = (flavor, schema_name)
        if key in self.named:
            return ref(self.named[key])
        base = pascal(schema_name)
        if flavor == "M":
            base = OFFICIAL_NAMES.get(schema_name, base)
        elif not base.endswith("Param"):
            base = base + "Param"
        py = self.unique(base)
        self.named[key] = py
        module = self.module_of_schema.get(schema_name, "shared")
        s = self.schemas[schema_name]
        obj = self.flatten_object(s)
        # objects become classes (nullability is applied where they are used); an empty object is a
        # model without fields (everything is an extra) but, as a param, a plain dict
        is_object = obj is not None and (obj.get("properties") or self.resolve(s).get("type") == "object")
        if obj is not None and is_object and (obj.get("properties") or flavor == "M"):
            self.emit_class(py, obj, flavor, module, schema_name)
            return ref(py)
        # alias
        expr = self.texpr(s, flavor, module, py, top_named=True)
        self.defs[py] = Definition(py, module, "alias", flavor, f"{py}: TypeAlias = {expr}\n", schema_name)
        return ref(py)

    def emit_class(
        self, py: str, obj: dict[str, Any], flavor: str, module: str, schema_name: str | None
    ) -> None:
        # placeholder first (recursion)
        self.defs[py] = Definition(py, module, "class", flavor, "", schema_name)
        props: dict[str, Any] = obj.get("properties", {}) or {}
        required = set(obj.get("required", []) or [])
        lines: list[str] = []
        used: set[str] = set()
        functional = False
        entries: list[tuple[str, str]] = []  # (wire name, annotation) for TypedDict
        for wire, ps in props.items():
            if not isinstance(ps, dict):
                continue
            hint = (py[: -len("Param")] if flavor == "P" and py.endswith("Param") else py) + pascal(wire)
            is_tag = schema_name is not None and (schema_name, wire) in self.discriminator_props
            if flavor == "M":
                pname = py_field_name(wire, model=True)
                while pname in used:
                    pname += "_"
                used.add(pname)
                nullable = self.is_nullable(ps)
                if is_tag:
                    vals = self.tag_values({"properties": {wire: ps}}, wire) or []
                    t = "Literal[" + ", ".join(lit(v) for v in vals) + "]"
                    nullable = False
                else:
                    t = self.texpr(ps, flavor, module, hint, strip_null=True)
                default: str | None = None
                if wire in required:
                    ann = f"Optional[{t}]" if nullable and t not in ("None", "Any") else t
                else:
                    ann = t if is_tag else (f"Optional[{t}]" if t not in ("None", "object", "Any") else t)
                    # a field the server left out reads as None, as in the official SDK: the spec's
                    # `default` says what the server assumed, which the body does not show
                    default = (lit(vals[0]) if vals else "None") if is_tag else "None"
                if pname != wire:
                    arg = f"alias={lit(wire)}" if default is None else f"default={default}, alias={lit(wire)}"
                    lines.append(f"    {pname}: {ann} = Field({arg})")
                elif default is None:
                    lines.append(f"    {pname}: {ann}")
                else:
                    lines.append(f"    {pname}: {ann} = {default}")
            else:
                if not wire.isidentifier() or keyword.iskeyword(wire):
                    functional = True
                t = self.texpr(ps, flavor, module, hint, strip_null=True)
                if self.is_nullable(ps) and t not in ("None", "object"):
                    t = f"Optional[{t}]"
                if wire in required:
                    t = f"Required[{t}]"
                entries.append((wire, t))
        if flavor == "M":
            body = "\n".join(lines) if lines else "    pass"
            mixin = MODEL_MIXINS.get(schema_name or "") or (None if schema_name else MODEL_MIXINS.get(py))
            code = f"class {py}({mixin + ', ' if mixin else ''}BaseModel):\n{body}\n"
            self.defs[py] = Definition(py, module, "class", flavor, code, schema_name)
        elif functional:
            inner = ", ".join(f"{lit(w)}: {t}" for w, t in entries)
            code = f'{py} = TypedDict("{py}", {{{inner}}}, total=False)\n'
            self.defs[py] = Definition(py, module, "alias", flavor, code, schema_name)
        else:
            body = "\n".join(f"    {w}: {t}" for w, t in entries) if entries else "    pass"
            code = f"class {py}(TypedDict, total=False):\n{body}\n"
            self.defs[py] = Definition(py, module, "class", flavor, code, schema_name)

    def is_nullable(self, s: dict[str, Any]) -> bool:
        if s.get("nullable") is True:
            return True
        t = s.get("type")
        if isinstance(t, list) and "null" in t:
            return True
        if "enum" in s and None in s["enum"]:
            return True
        if "allOf" in s:
            return any(
                self.resolve(p).get("nullable") is True and len(self.resolve(p)) <= 3 for p in s["allOf"]
            ) or any(p.get("nullable") is True for p in s["allOf"])
        u = self.union_parts(s) if ("oneOf" in s or "anyOf" in s) else None
        if u is not None and u.nullable:
            return True
        if "$ref" in s:
            return self.is_nullable_named(s)
        return False

    def is_nullable_named(self, s: dict[str, Any]) -> bool:
        r = self.resolve(s)
        if r is s:
            return False
        return r.get("nullable") is True and "properties" not in r

    # --------------------------------------------------------------- expressions
    def texpr(
        self,
        s: Any,
        flavor: str,
        module: str,
        hint: str,
        *,
        strip_null: bool = False,
        top_named: bool = False,
    ) -> str:
        """Type expression for schema ``s``. With ``strip_null`` the caller handles nullability."""
        if not isinstance(s, dict) or not s:
            return self.anything(flavor)
        t = self._texpr(s, flavor, module, hint, top_named)
        if t == "object":
            t = self.anything(flavor)
        if (
            not strip_null
            and self.is_nullable(s)
            and t not in ("None", "object", "Any")
            and not t.startswith("Optional[")
        ):
            t = f"Optional[{t}]"
        return t

    @staticmethod
    def anything(flavor: str) -> str:
        # `object` may be shadowed by a field of that name in a model class body
        return "Any" if flavor == "M" else "object"

    def _texpr(self, s: dict[str, Any], flavor: str, module: str, hint: str, top_named: bool) -> str:
        name = self.ref_name(s)
        if name is not None:
            return self.named_type(name, flavor)
        if "const" in s:
            return f"Literal[{lit(s['const'])}]"
        if "enum" in s:
            vals = [v for v in s["enum"] if v is not None]
            if not vals:
                return "None"
            if any(isinstance(v, float) for v in vals):
                return "float"
            inner = "Literal[" + ", ".join(lit(v) for v in vals) + "]"
            if flavor == "M" and len(vals) > 1 and all(isinstance(v, str) for v in vals):
                return f"Union[{inner}, str]"
            return inner
        if "allOf" in s:
            obj = self.flatten_object(s)
            if obj is not None and obj.get("properties"):
                py = self.unique(self.inline_name(hint, flavor))
                self.emit_class(py, obj, flavor, module, None)
                return ref(py)
            parts = [
                p
                for p in s["allOf"]
                if not set(self.resolve(p)) <= {"nullable", "description", "title", "default", "deprecated"}
            ]
            if len(parts) >= 1:
                # an object part that only documents a union: the union is the type
                non_obj = [p for p in parts if self.flatten_object(p) is None]
                pick = non_obj[0] if non_obj else parts[0]
                return self.texpr(pick, flavor, module, hint, strip_null=True)
            return self.anything(flavor)
        if ("oneOf" in s or "anyOf" in s) and not self.constraint_only_union(s):
            u = self.union_parts(s)
            assert u is not None
            return self.union_expr(s, u, flavor, module, hint)
        t = s.get("type")
        if t is None and isinstance(s.get("items"), dict):
            t = "array"
        if isinstance(t, list):
            ts = [x for x in t if x != "null"]
            if len(ts) == 1:
                return self._texpr({**s, "type": ts[0]}, flavor, module, hint, top_named)
            if not ts:
                return "None"
            return (
                "Union["
                + ", ".join(self._texpr({**s, "type": x}, flavor, module, hint, top_named) for x in ts)
                + "]"
            )
        if t == "object" or (t is None and "properties" in s):
            if s.get("properties"):
                py = self.unique(self.inline_name(hint, flavor))
                self.emit_class(py, s, flavor, module, None)
                return ref(py)
            ap = s.get("additionalProperties")
            if isinstance(ap, dict) and ap:
                return f"Dict[str, {self.texpr(ap, flavor, module, hint + 'Value')}]"
            return f"Dict[str, {self.anything(flavor)}]"
        if t == "array":
            items = s.get("items")
            inner = (
                self.texpr(items, flavor, module, singular(hint))
                if isinstance(items, dict)
                else self.anything(flavor)
            )
            return f"List[{inner}]" if flavor == "M" else f"Sequence[{inner}]"
        if t == "string":
            if s.get("format") == "binary":
                return "FileTypes" if flavor == "P" else "str"
            return "str"
        if t == "integer":
            return "int"
        if t == "number":
            return "float"
        if t == "boolean":
            return "bool"
        if t == "null":
            return "None"
        return "object"

    def union_expr(self, s: dict[str, Any], u: Union_, flavor: str, module: str, hint: str) -> str:
        if not u.variants:
            return "None"
        if len(u.variants) == 1:
            return self.texpr(u.variants[0], flavor, module, hint, strip_null=True)
        prop = self.find_discriminator(s, u.variants)
        if prop is None and flavor == "M":
            flat = self.flattened_union(s, u, module, hint)
            if flat is not None:
                return flat
        members: list[str] = []
        for i, v in enumerate(u.variants):
            vh = hint
            o = self.flatten_object(v) if self.ref_name(v) is None else None
            if o is not None:
                tag = None
                for c in ([prop] if prop else []) + ["type"]:
                    vals = self.tag_values(o, c) if c else None
                    if vals:
                        tag = vals[0]
                        break
                vh = hint + (
                    pascal(str(tag))
                    if tag
                    else pascal(v.get("title", ""))
                    if v.get("title")
                    else f"Variant{i + 1}"
                )
            if prop and self.ref_name(v) is None:
                # inline variant of a tagged union: make sure the tag is a strict Literal
                o2 = self.flatten_object(v)
                assert o2 is not None
                py = self.unique(self.inline_name(vh, flavor))
                self.emit_tagged_inline(py, o2, prop, flavor, module)
                members.append(ref(py))
                continue
            members.append(self.texpr(v, flavor, module, vh, strip_null=True))
        members = list(dict.fromkeys(members))
        if len(members) == 1:
            return members[0]
        if flavor == "M" and prop:
            self.tagged_members[id(s)] = (prop, members)
            return self.tagged_union(members, prop)
        return "Union[" + ", ".join(members) + "]"

    @staticmethod
    def tagged_union(members: list[str], prop: str) -> str:
        union = "Union[" + ", ".join(members) + "]"
        return (
            f'Annotated[Union[Annotated[{union}, Field(discriminator="{prop}")], UnknownObject], '
            f'Field(union_mode="left_to_right")]'
        )

    def leaf_variants(self, v: dict[str, Any], depth: int = 0) -> list[dict[str, Any]]:
        """A union member, or the members of the unions it names, recursively."""
        u = self.union_parts(self.resolve(v)) if depth < 5 else None
        if u is None or u.nullable:
            return [v]
        return [leaf for sub in u.variants for leaf in self.leaf_variants(sub, depth + 1)]

    def flattened_union(self, s: dict[str, Any], u: Union_, module: str, hint: str) -> str | None:
        """A union of tagged unions (``AssistantStreamEvent`` = thread | run | message ... events) as one
        discriminated union of all their members, so parsing picks the member by its tag in one step."""
        if not any(self.union_parts(self.resolve(v)) for v in u.variants):
            return None
        leaves = [leaf for v in u.variants for leaf in self.leaf_variants(v)]
        prop = self.find_discriminator({}, leaves)
        if prop is None:
            return None
        members: list[str] = []
        for v in u.variants:
            rv = self.resolve(v)
            if self.union_parts(rv) is None:
                members.append(self.texpr(v, "M", module, hint, strip_null=True))
                continue
            expr = self.texpr(v, "M", module, hint, strip_null=True)  # emits the sub-union and its members
            if len(self.leaf_variants(v)) == 1:
                members.append(expr)  # a one-member "union" is that member
                continue
            sub = self.tagged_members.get(id(rv))
            if sub is None or sub[0] != prop:
                return None
            members.extend(sub[1])
        return self.tagged_union(list(dict.fromkeys(members)), prop)

    @staticmethod
    def inline_name(hint: str, flavor: str) -> str:
        if flavor == "P":
            return hint if hint.endswith("Param") else hint + "Param"
        return hint

    def emit_tagged_inline(self, py: str, obj: dict[str, Any], prop: str, flavor: str, module: str) -> None:
        key = ("__inline__" + py, prop)
        self.discriminator_props.add(key)
        self.emit_class(py, obj, flavor, module, "__inline__" + py)
