"""Generated type modules define each type on first use (``openai_kit._lazy_types``): what a program
reaches is defined, with everything it needs, and nothing else; the types are the same classes they were
(names, module, pickling, schemas, star imports, official names), and concurrent first uses agree."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest

import openai_kit.types.responses as responses_module
from openai_kit._models import validate_python


def _fresh(code: str) -> Any:
    """Run ``code`` in a new interpreter (nothing defined yet) and return what it prints as JSON."""
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_importing_an_area_module_defines_no_type_and_one_use_defines_its_closure() -> None:
    out = _fresh(
        """
        import json
        import openai_kit.types.chat as chat
        before = sorted(n for n in chat._DEFS if n in vars(chat))
        chat.ChatCompletion
        after = sorted(n for n in chat._DEFS if n in vars(chat))
        print(json.dumps({"before": before, "after": after, "all": len(chat._DEFS)}))
        """
    )
    assert out["before"] == []
    assert "ChatCompletion" in out["after"]
    assert "ChatCompletionChoice" in out["after"]  # what its fields hold
    assert "ChatCompletionResponseMessage" in out["after"]
    assert "ChatCompletionChunk" not in out["after"]  # what it does not reach
    assert "ChatCompletionRequestUserMessageParam" not in out["after"]
    assert len(out["after"]) < out["all"] / 3


def test_a_plain_chat_call_does_not_define_the_stream_events() -> None:
    out = _fresh(
        """
        import json
        import openai_kit
        from openai_kit import MockResponse, MockTransport
        reply = {"id": "c1", "object": "chat.completion", "created": 1, "model": "m", "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}]}
        client = openai_kit.OpenAI(api_key="k", http_client=MockTransport(lambda r: MockResponse(json=reply)))
        assert client.chat.completions.create(model="m", messages=[]).choices[0].message.content == "hi"
        import openai_kit.types.chat as chat
        print(json.dumps(sorted(n for n in chat._DEFS if n in vars(chat))))
        """
    )
    assert "ChatCompletion" in out
    assert "ChatCompletionChunk" not in out


def test_types_keep_their_identity_names_and_pickling() -> None:
    from openai_kit.types.responses import Response, ResponseOutputMessage

    again = responses_module.Response
    assert again is Response
    assert Response.__qualname__ == "Response"
    assert Response.__module__ == "openai_kit.types.responses"
    assert "<locals>" not in ResponseOutputMessage.__qualname__  # official name and module kept
    assert ResponseOutputMessage.__module__ == "openai_kit.types.responses.response_output_message"
    message = validate_python(
        ResponseOutputMessage,
        {
            "id": "m1",
            "type": "message",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": "hi", "annotations": []}],
        },
    )
    assert pickle.loads(pickle.dumps(message)) == message
    assert type(message.content[0]).__name__ == "ResponseOutputText"  # typed, official name
    # pydantic's own schema (model_dump, strict mode) resolves the quoted forward references
    assert message.model_dump()["content"][0]["text"] == "hi"
    assert "Response" in dir(responses_module)


def test_star_import_and_unknown_names() -> None:
    out = _fresh(
        """
        import json
        from openai_kit.types.moderations import *
        print(json.dumps([ModerationCreateResponse.__name__, "Metadata" in dir()]))
        """
    )
    assert out[0] == "ModerationCreateResponse"
    with pytest.raises(AttributeError, match="NoSuchType"):
        _ = responses_module.NoSuchType


def test_official_names_of_a_module_still_resolve() -> None:
    # a name the official SDK has in this module path but that lives in another module here
    from openai_kit.types.conversations import ConversationItemList
    from openai_kit.types.responses import ResponseItemList

    assert "ResponseItemList" not in responses_module._DEFS
    assert ResponseItemList is ConversationItemList


def test_concurrent_first_uses_get_one_class() -> None:
    code = """
        import json, threading
        import openai_kit.types.evals as evals
        barrier = threading.Barrier(8)
        seen = []
        def use():
            barrier.wait()
            seen.append(id(evals.EvalRun))
        threads = [threading.Thread(target=use) for _ in range(8)]
        for t in threads: t.start()
        for t in threads: t.join()
        print(json.dumps(len(set(seen))))
    """
    assert _fresh(code) == 1


def test_the_stub_declares_what_the_module_defines() -> None:
    """Type checkers read ``<area>.pyi``: it must name every type the run-time module defines."""
    import openai_kit.types.chat as chat

    text = Path((chat.__file__ or "") + "i").read_text(encoding="utf-8")
    for name in chat._DEFS:
        assert f"\nclass {name}(" in text or f"\n{name}: TypeAlias" in text or f"\n{name} = " in text, name


def test_threads_in_process_share_definitions() -> None:
    import openai_kit.types.webhooks as webhooks

    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(webhooks.WebhookBatchCompleted)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(x) for x in got}) == 1
