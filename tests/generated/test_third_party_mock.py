"""Every operation against a spec mock server nobody here wrote: Steady (`@stdy/cli` from npm, the mock
the official SDK's own tests use). It validates each request against the spec (a 400 naming the SDK
issue otherwise) and answers with data generated from the response schemas, which it is free to shape
as the spec allows — so requests are checked by a third party's reading of the spec, and responses
exercise the lenient parser.

scripts/test.sh installs Steady under ``.tools/`` (``npm install``); without npm the test is skipped with
that reason. Both the official client and openai-kit run every operation; openai-kit must succeed
wherever the official client does.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .calls import build_call, target
from .conftest import REPO, catalog

STEADY = Path(
    os.environ.get("OPENAI_KIT_STEADY", REPO / ".tools" / "steady" / "node_modules" / ".bin" / "steady")
)
# The API's own conventions, which the official SDK follows too: arrays and objects in query strings and
# forms in brackets (include[]=..., metadata[key]=..., expires_after[anchor]=...).
FLAGS = [
    "--validator-form-array-format=brackets",
    "--validator-form-object-format=brackets",
    "--validator-query-object-format=brackets",
    "--validator-query-array-format=brackets",
    "--generator-seed=7",
    "--stream-interval=0",
]
#: operations neither client can send so that Steady accepts them, with the reason
BOTH_REJECTED = {
    # multipart field `session` is an object; in a form every value is a string, and Steady wants the
    # integer `rate` inside it typed (the real API takes the JSON text, as openai-kit sends it)
    "create-realtime-call",
}

pytestmark = pytest.mark.skipif(
    not STEADY.exists() or shutil.which("node") is None,
    reason=f"Steady is not installed at {STEADY} (scripts/test.sh installs it with npm)",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def steady_url() -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [
            str(STEADY),
            "-p",
            str(port),
            "--host",
            "127.0.0.1",
            "-q",
            *FLAGS,
            str(REPO / "spec" / "openapi.yaml"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(
                        f"Steady exited: {proc.stdout.read() if proc.stdout else ''!r}"
                    ) from None
                time.sleep(0.2)
        else:
            raise RuntimeError("Steady did not start within 60 s")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _outcome(client: Any, op_id: str) -> str:
    cat = catalog()
    op = cat.op(op_id)
    call = build_call(cat, op)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            result = target(client, op)(*call.args, **call.kwargs)
            if op.response_kind == "binary":
                result.read()
        except Exception as exc:
            return f"{type(exc).__name__}: {str(exc)[:400]}"
    return "ok"


def test_every_operation_against_steady(steady_url: str) -> None:
    import openai

    import openai_kit

    kit = openai_kit.OpenAI(api_key="sk-test", base_url=steady_url, max_retries=0)
    official = openai.OpenAI(api_key="sk-test", admin_api_key="sk-admin", base_url=steady_url, max_retries=0)
    problems = []
    passed = 0
    for op in catalog().ops:
        mine = _outcome(kit, op.op_id)
        if op.op_id in BOTH_REJECTED:
            assert mine.startswith("BadRequestError"), (op.op_id, mine)
            continue
        if mine == "ok":
            passed += 1
            continue
        theirs = _outcome(official, op.op_id)
        problems.append(f"{op.op_id}: openai-kit {mine!r}; official: {theirs[:120]!r}")
    assert not problems, f"{len(problems)} operations failed against Steady ({passed} passed):\n" + "\n".join(
        problems
    )
    assert passed >= 280
