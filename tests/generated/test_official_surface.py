"""Every public module of the installed official package exists under ``openai_kit`` with the same public
names, except those listed with a reason in the committed table (``codegen/official_names.json``:
``unresolved`` by name, ``skipped_modules`` by module). A new official release that adds a module or a
name makes this fail until ``python -m codegen.official_names`` is rerun (and the result reviewed).

The official modules are read by ``codegen.official_names`` (``__all__``, else what the module defines and
re-exports): the same walk the committed table was made with."""

from __future__ import annotations

import importlib
import json
from typing import Any

import openai
import pytest

import openai_kit
from codegen.generate import OFFICIAL_NAMES_FILE
from codegen.official_names import public_modules, public_names

TABLE = json.loads(OFFICIAL_NAMES_FILE.read_text())
RESOLVED: dict[str, dict[str, str]] = TABLE["module_paths"]
UNRESOLVED: dict[str, dict[str, str]] = TABLE["unresolved"]


def _kit_path(module: str) -> str:
    return "openai_kit" + module.removeprefix("openai")


def test_the_table_covers_every_official_module_and_name() -> None:
    assert TABLE["openai_version"] == openai.__version__, "rerun python -m codegen.official_names"
    missing: list[str] = []
    for module in public_modules():
        try:
            names = public_names(module)
        except ImportError:  # an optional dependency of the official package
            continue
        listed = set(RESOLVED.get(module, {})) | set(UNRESOLVED.get(module, {}))
        missing += [f"{module}.{n}" for n in names if n not in listed]
    assert not missing, missing[:20]


def test_every_resolved_official_name_imports_from_the_same_module_path() -> None:
    failures: list[str] = []
    count = 0
    for module, names in sorted(RESOLVED.items()):
        try:
            here = importlib.import_module(_kit_path(module))
        except ImportError as exc:
            failures.append(f"{_kit_path(module)}: {exc}")
            continue
        for name in names:
            if getattr(here, name, None) is None:
                failures.append(f"{_kit_path(module)}.{name}")
            else:
                count += 1
    assert not failures, failures[:20]
    total = count + sum(len(v) for v in UNRESOLVED.values())
    print(f"\n{count} of {total} official public names resolve under openai_kit")
    assert count >= 4500


def test_unresolved_names_say_why() -> None:
    for module, names in UNRESOLVED.items():
        for name, reason in names.items():
            assert reason and len(reason) > 10, (module, name)


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("types.chat.chat_completion", "ChatCompletion"),
        ("types.chat.chat_completion", "Choice"),
        ("types.responses", "CompactedResponse"),
        ("types.admin.organization.projects.service_account_create_response", "ServiceAccountCreateResponse"),
        ("types.admin.organization.projects", "ProjectAPIKey"),
        ("pagination", "SyncConversationCursorPage"),
        ("resources.chat.completions.completions", "AsyncCompletions"),
        ("lib.azure", "AzureOpenAI"),
        ("lib.streaming", "AssistantEventHandler"),
        ("version", "VERSION"),
    ],
)
def test_common_official_imports(path: str, name: str) -> None:
    from codegen.official_names import _keys

    ours = getattr(importlib.import_module(f"openai_kit.{path}"), name)
    theirs = getattr(importlib.import_module(f"openai.{path}"), name)
    # a model or TypedDict: the same fields (the official SDK may have a newer field)
    if _keys(theirs) and _keys(ours) is not None:
        mine, other = _keys(ours) or frozenset(), _keys(theirs) or frozenset()
        assert len(mine & other) >= 0.75 * len(other), sorted(mine ^ other)
    elif isinstance(theirs, type):
        assert ours.__name__ == theirs.__name__
    else:
        assert type(ours) is type(theirs)


def test_a_made_module_gives_the_same_objects_as_the_area_module() -> None:
    from openai_kit.types.chat.chat_completion import ChatCompletion as from_official_path

    from openai_kit.types.chat import ChatCompletion as from_area

    assert from_area is from_official_path
    with pytest.raises(ImportError):
        importlib.import_module("openai_kit.types.chat.no_such_module")


#: public attributes of official classes that ours lack, with the reason
CLASS_EXCEPTIONS: dict[str, dict[str, str]] = {
    "page": {
        n: "pages are lazy, client-bound objects here, not pydantic models"
        for n in [
            "construct",
            "copy",
            "dict",
            "from_orm",
            "json",
            "model_computed_fields",
            "model_config",
            "model_construct",
            "model_copy",
            "model_extra",
            "model_fields",
            "model_fields_set",
            "model_json_schema",
            "model_parametrized_name",
            "model_post_init",
            "model_rebuild",
            "model_validate",
            "model_validate_json",
            "model_validate_strings",
            "parse_file",
            "parse_obj",
            "parse_raw",
            "schema",
            "schema_json",
            "update_forward_refs",
            "validate",
        ]
    },
    "binary": {
        n: "openai-kit has separate sync (BinaryResponse) and async (AsyncBinaryResponse) classes"
        for n in [
            "aclose",
            "aiter_bytes",
            "aiter_lines",
            "aiter_raw",
            "aiter_text",
            "aread",
            "astream_to_file",
        ]
    }
    | {"iter_raw": "iter_bytes() yields the body as received (decompressed); there is no separate raw form"},
    "client": {
        "decisions": "not in spec/openapi.yaml",
        "live": "not in spec/openapi.yaml",
        "safety": "not in spec/openapi.yaml",
        "custom_auth": "httpx auth hook of the official base client; use event_hooks / api_key callables",
        "platform_headers": "the official SDK's telemetry headers (X-Stainless-*), not sent by openai-kit",
        "qs": "the official SDK's query-string encoder object",
        "workload_identity": "workload-identity authentication: not supported by openai-kit",
    },
}


def _pairs() -> list[tuple[str, Any, Any]]:
    import openai._legacy_response as legacy
    import openai._response as official_response
    import openai.pagination as op

    import openai_kit._response as ours
    import openai_kit.pagination as kp

    pairs: list[tuple[str, Any, Any]] = [
        ("response", official_response.APIResponse, ours.APIResponse),
        ("response", official_response.AsyncAPIResponse, ours.AsyncAPIResponse),
        ("response", legacy.LegacyAPIResponse, ours.LegacyAPIResponse),
        ("response", official_response.StreamedBinaryAPIResponse, ours.StreamedBinaryAPIResponse),
        ("response", official_response.AsyncStreamedBinaryAPIResponse, ours.AsyncStreamedBinaryAPIResponse),
        ("stream", openai.Stream, openai_kit.Stream),
        ("stream", openai.AsyncStream, openai_kit.AsyncStream),
        ("binary", legacy.HttpxBinaryResponseContent, openai_kit.BinaryResponse),
        ("client", openai.OpenAI(api_key="k"), openai_kit.OpenAI(api_key="k")),
        ("client", openai.AsyncOpenAI(api_key="k"), openai_kit.AsyncOpenAI(api_key="k")),
    ]
    pairs += [("page", getattr(op, n), getattr(kp, n)) for n in op.__all__]
    return pairs


@pytest.mark.parametrize(("kind", "theirs", "ours"), _pairs(), ids=lambda x: getattr(x, "__name__", None))
def test_official_classes_public_attributes_exist_here(kind: str, theirs: Any, ours: Any) -> None:
    allowed = CLASS_EXCEPTIONS.get(kind, {})
    missing = [n for n in dir(theirs) if not n.startswith("_") and n not in allowed and not hasattr(ours, n)]
    assert not missing, missing
