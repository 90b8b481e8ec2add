"""Loading the OpenAPI document and the repairs every JSON Schema consumer needs."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = REPO_ROOT / "spec" / "openapi.yaml"

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def spec_path() -> Path:
    return Path(os.environ.get("OPENAI_KIT_SPEC", str(DEFAULT_SPEC)))


def load_spec(path: Path | None = None) -> dict[str, Any]:
    """Load the spec. A JSON cache next to the caller's temp dir is not used: loading is ~2 s."""
    import yaml

    p = path or spec_path()
    with open(p, "rb") as f:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(f, Loader=loader)
    # YAML turns some examples into dates; make the document JSON-clean.
    return json.loads(json.dumps(data, default=str))


def repair(spec: dict[str, Any]) -> dict[str, Any]:
    """Return a copy that JSON Schema 2020-12 validators understand.

    - duplicate entries in ``required`` lists are removed;
    - ``nullable: true`` with a ``type`` adds ``"null"`` to the type (and ``None`` to an ``enum``);
    - ``nullable: true`` without a ``type`` wraps the node as ``anyOf: [node, {"type": "null"}]``.
    """
    out = copy.deepcopy(spec)

    def fix(node: Any) -> Any:
        if isinstance(node, list):
            return [fix(x) for x in node]
        if not isinstance(node, dict):
            return node
        node = {k: fix(v) for k, v in node.items()}
        req = node.get("required")
        if isinstance(req, list) and all(isinstance(x, str) for x in req):
            node["required"] = list(dict.fromkeys(req))
        if node.get("nullable") is True:
            node.pop("nullable")
            t = node.get("type")
            if t is not None:
                if isinstance(t, list):
                    if "null" not in t:
                        node["type"] = [*t, "null"]
                else:
                    node["type"] = [t, "null"]
                if "enum" in node and None not in node["enum"]:
                    node["enum"] = [*node["enum"], None]
            else:
                return {"anyOf": [node, {"type": "null"}]}
        elif node.get("nullable") is False:
            node.pop("nullable")
        return node

    out["components"] = fix(out["components"])
    out["paths"] = fix(out["paths"])
    return out
