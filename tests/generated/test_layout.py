"""The generated surface is laid out like the official SDK, sync mirrors async, and loads lazily."""

from __future__ import annotations

import inspect
import subprocess
import sys
from typing import Any

import pytest

from openai_kit import AsyncOpenAI, OpenAI

from .calls import target
from .conftest import REPO, catalog

OPS = catalog().ops

BRIEF_EXAMPLES = [
    "chat.completions.create",
    "files.list",
    "vector_stores.file_batches.create",
    "beta.assistants.create",
    "beta.threads.runs.submit_tool_outputs",
    "responses.create",
    "fine_tuning.jobs.list_events",
    "admin.organization.projects.users.list",
    "audio.voice_consents.create",
    "audio.voices.create",
    "realtime.translations.client_secrets.create",
]


def _resolve(root: Any, dotted: str) -> Any:
    obj = root
    for seg in dotted.split("."):
        obj = getattr(obj, seg)
    return obj


def test_every_operation_is_generated() -> None:
    assert len(OPS) == 288
    assert len({o.dotted for o in OPS}) == 288


@pytest.mark.parametrize("dotted", BRIEF_EXAMPLES)
def test_brief_examples_exist(dotted: str) -> None:
    c = OpenAI(api_key="k", base_url="http://127.0.0.1:9")
    assert callable(_resolve(c, dotted))


def test_names_match_the_official_sdk() -> None:
    openai = pytest.importorskip("openai")
    official = openai.OpenAI(api_key="k", base_url="http://127.0.0.1:9")
    missing = []
    for o in OPS:
        try:
            _resolve(official, o.dotted)
        except AttributeError:
            missing.append(o.dotted)
    assert not missing, missing


def test_sync_and_async_signatures_match() -> None:
    s = OpenAI(api_key="k", base_url="http://127.0.0.1:9")
    a = AsyncOpenAI(api_key="k", base_url="http://127.0.0.1:9")
    for o in OPS:
        fs, fa = target(s, o), target(a, o)
        assert list(inspect.signature(fs).parameters) == list(inspect.signature(fa).parameters), o.dotted
        if o.response_kind == "page":
            assert not inspect.iscoroutinefunction(fa), o.dotted
        else:
            assert inspect.iscoroutinefunction(fa), o.dotted


def _run(code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout


def test_import_loads_no_resource_or_type_module() -> None:
    out = _run(
        "import sys, openai_kit\n"
        "print(sorted(m for m in sys.modules if m.startswith(('openai_kit.types', 'openai_kit.resources'))))"
    )
    assert out.strip() == "[]"


def test_chat_loads_only_chat() -> None:
    out = _run(
        "import sys, openai_kit\n"
        "c = openai_kit.OpenAI(api_key='k', base_url='http://127.0.0.1:9')\n"
        "c.chat.completions\n"
        "from openai_kit.types.chat import ChatCompletion\n"
        "print(sorted(m for m in sys.modules if m.startswith(('openai_kit.types', 'openai_kit.resources'))))"
    )
    loaded = eval(out)
    assert "openai_kit.resources.chat.completions" in loaded
    assert not any(
        m.startswith(
            (
                "openai_kit.types.responses",
                "openai_kit.types.beta",
                "openai_kit.types.admin",
                "openai_kit.resources.responses",
                "openai_kit.resources.beta",
            )
        )
        for m in loaded
    ), loaded


def test_fine_tuning_jobs_load_neither_evals_nor_responses() -> None:
    """A fine-tuning job holds graders; they live in ``types.graders`` (as in the official SDK), so the job's
    area does not import the evals area and, through it, the Responses types (~90 ms at first use)."""
    out = _run(
        "import sys, openai_kit\n"
        "c = openai_kit.OpenAI(api_key='k', base_url='http://127.0.0.1:9')\n"
        "c.fine_tuning.jobs\n"
        "from openai_kit.types.fine_tuning import FineTuningJob\n"
        "print(sorted(m for m in sys.modules if m.startswith('openai_kit.types')))"
    )
    loaded = eval(out)
    assert "openai_kit.types.fine_tuning" in loaded and "openai_kit.types.graders" in loaded
    assert "openai_kit.types.evals" not in loaded and "openai_kit.types.responses" not in loaded, loaded


def test_import_time_budget() -> None:
    best = min(
        float(_run("import time; t = time.perf_counter(); import openai_kit; print(time.perf_counter() - t)"))
        for _ in range(3)
    )
    assert best < 0.150, f"import openai_kit took {best * 1000:.0f} ms"
