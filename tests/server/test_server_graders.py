"""Graders (``/fine_tuning/alpha/graders``): each grader type computes its score offline; validate checks
a definition and answers 400s naming the field."""

from __future__ import annotations

from typing import Any

import openai
import pytest
from server_spec_check import sdk

from openai_kit.server import graders


def _run(
    client: openai.OpenAI, grader: dict[str, Any], sample: str, item: dict[str, Any] | None = None
) -> Any:
    return client.fine_tuning.alpha.graders.run(grader=grader, model_sample=sample, item=item or {})  # type: ignore[arg-type]


def _check(op: str, sample: str, reference: str) -> dict[str, Any]:
    return {
        "type": "string_check",
        "name": "s",
        "input": "{{sample.output_text}}",
        "reference": reference,
        "operation": op,
    }


@pytest.mark.parametrize(
    ("op", "sample", "reward"),
    [
        ("eq", "Paris", 1.0),
        ("eq", "paris", 0.0),
        ("ne", "Rome", 1.0),
        ("like", "in Paris!", 1.0),
        ("like", "in PARIS", 0.0),
        ("ilike", "in PARIS", 1.0),
    ],
)
def test_string_check(client: openai.OpenAI, op: str, sample: str, reward: float) -> None:
    result = _run(client, _check(op, sample, "{{item.city}}"), sample, {"city": "Paris"})
    assert result.reward == reward
    assert result.metadata.type == "string_check" and not result.metadata.errors.invalid_variable_error


def test_text_similarity_metrics(client: openai.OpenAI) -> None:
    ref = "the cat sat on the mat"
    for metric in graders.METRICS:
        grader = {
            "type": "text_similarity",
            "name": metric,
            "input": "{{sample.output_text}}",
            "reference": ref,
            "evaluation_metric": metric,
        }
        same = _run(client, grader, ref).reward
        close = _run(client, grader, "the cat sat on the mat today").reward
        far = _run(client, grader, "quantum chromodynamics").reward
        assert same == pytest.approx(1.0, abs=0.005), metric  # METEOR keeps a small fragmentation penalty
        assert 0.0 <= far < close < 1.0, (metric, far, close)
    assert graders.similarity("rouge_2", "a b c", "a b d") == pytest.approx(0.5)
    assert graders.similarity("rouge_l", "a x b y c", "a b c") == pytest.approx(2 * 0.6 * 1.0 / 1.6)


def test_model_graders_use_the_server_model(client: openai.OpenAI) -> None:
    score = {
        "type": "score_model",
        "name": "judge",
        "model": "gpt-4o",
        "input": [
            {"role": "system", "content": "Rate it."},
            {"role": "user", "content": "rating: {{item.rating}}"},
        ],
        "range": [0, 10],
    }
    result = _run(client, score, "whatever", {"rating": 8})
    assert result.reward == 8.0  # echo repeats the user message; its first number is the score
    assert result.metadata.sampled_model_name == "gpt-4o" and result.metadata.token_usage > 0
    assert _run(client, score, "x", {"rating": 42}).reward == 10.0  # clamped to the range
    no_number = _run(client, score, "x", {"rating": "none"})
    assert no_number.reward == 0.0 and no_number.metadata.errors.model_grader_parse_error
    multi = {
        "type": "multi",
        "name": "combo",
        "graders": {
            "label": {
                "type": "label_model",
                "name": "label",
                "model": "echo",
                "input": [{"role": "user", "content": "{{sample.output_text}}"}],
                "labels": ["positive", "negative"],
                "passing_labels": ["positive"],
            },
            "exact": _check("eq", "", "great"),
        },
        "calculate_output": "0.25 * label + 0.75 * exact",
    }
    both = _run(client, multi, "great")
    assert both.reward == 0.0 and both.metadata.errors.model_grader_parse_error  # "great" is no label
    positive = _run(client, multi, "positive")
    assert positive.reward == 0.25 and positive.sub_rewards == {"label": 1.0, "exact": 0.0}


def test_python_grader_runs_in_a_subprocess(client: openai.OpenAI) -> None:
    source = "def grade(sample, item):\n    return len(sample['output_text']) * item['factor']\n"
    result = _run(client, {"type": "python", "name": "py", "source": source}, "abcd", {"factor": 0.5})
    assert result.reward == 2.0 and not result.metadata.errors.python_grader_runtime_error
    broken = _run(
        client,
        {"type": "python", "name": "py", "source": "def grade(s, i):\n    raise KeyError('nope')\n"},
        "x",
    )
    assert broken.reward == 0.0 and broken.metadata.errors.python_grader_runtime_error
    assert "KeyError" in broken.metadata.errors.python_grader_runtime_error_details


def test_python_grader_sees_no_server_secrets(client: openai.OpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_KIT_TEST_SECRET", "sk-very-secret")
    source = "import os\ndef grade(sample, item):\n    print('noise')\n    raise RuntimeError(repr(dict(os.environ)))\n"
    result = _run(client, {"type": "python", "name": "py", "source": source}, "x")
    details = result.metadata.errors.python_grader_runtime_error_details
    assert details.startswith("RuntimeError: {") and "sk-very-secret" not in details


def test_a_python_grader_that_never_returns_times_out(
    client: openai.OpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(graders, "PYTHON_TIMEOUT", 0.5)
    source = "def grade(sample, item):\n    while True:\n        pass\n"
    result = _run(client, {"type": "python", "name": "py", "source": source}, "x")
    assert result.reward == 0.0 and result.metadata.errors.unresponsive_reward_error


def test_unknown_template_variable_and_bad_formula(client: openai.OpenAI) -> None:
    result = _run(client, _check("eq", "", "{{item.missing}}"), "x")
    assert result.reward == 0.0 and result.metadata.errors.invalid_variable_error
    multi = {
        "type": "multi",
        "name": "m",
        "graders": {"a": _check("eq", "", "x")},
        "calculate_output": "a / 0",
    }
    assert _run(client, multi, "x").metadata.errors.formula_parse_error


def test_validate_returns_the_grader(client: openai.OpenAI) -> None:
    grader = _check("ilike", "", "{{item.x}}")
    assert client.fine_tuning.alpha.graders.validate(grader=grader).grader.operation == "ilike"  # type: ignore[arg-type,union-attr]


@pytest.mark.parametrize(
    ("grader", "param"),
    [
        (None, "grader"),
        ({"type": "regex", "name": "x"}, "grader.type"),
        ({"type": "string_check", "name": "x", "input": "a", "reference": "b"}, "grader.operation"),
        ({"type": "string_check", "input": "a", "reference": "b", "operation": "eq"}, "grader.name"),
        (
            {
                "type": "text_similarity",
                "name": "x",
                "input": "a",
                "reference": "b",
                "evaluation_metric": "rouge_9",
            },
            "grader.evaluation_metric",
        ),
        ({"type": "python", "name": "x", "source": "def grade(:"}, "grader.source"),
        ({"type": "python", "name": "x", "source": "x = 1"}, "grader.source"),
        ({"type": "score_model", "name": "x", "model": "echo", "input": [], "range": [0, 1]}, "grader.input"),
        (
            {
                "type": "score_model",
                "name": "x",
                "model": "echo",
                "input": [{"role": "user", "content": "a"}],
                "range": [1, 0],
            },
            "grader.range",
        ),
        (
            {
                "type": "multi",
                "name": "m",
                "graders": {"a": _check("eq", "", "x")},
                "calculate_output": "__import__('os')",
            },
            "grader.calculate_output",
        ),
        (
            {"type": "multi", "name": "m", "graders": {"a": {"type": "multi"}}, "calculate_output": "a"},
            "grader.graders.a.type",
        ),
        (
            {
                "type": "score_model",
                "name": "x",
                "model": "text-embedding-3-small",
                "input": [{"role": "user", "content": "a"}],
            },
            "grader.model",
        ),
        (
            {
                "type": "multi",
                "name": "m",
                "graders": {
                    "j": {
                        "type": "label_model",
                        "name": "j",
                        "model": "omni-moderation-latest",
                        "input": [{"role": "user", "content": "a"}],
                        "labels": ["a"],
                        "passing_labels": ["a"],
                    }
                },
                "calculate_output": "j",
            },
            "grader.graders.j.model",
        ),
    ],
)
def test_bad_graders_name_the_field(client: openai.OpenAI, grader: Any, param: str) -> None:
    errors = sdk(client)
    with pytest.raises(errors.BadRequestError) as err:
        client.post("/fine_tuning/alpha/graders/validate", body={"grader": grader}, cast_to=object)
    assert err.value.param == param
    with pytest.raises(errors.BadRequestError) as err:
        client.post(
            "/fine_tuning/alpha/graders/run", body={"grader": grader, "model_sample": "x"}, cast_to=object
        )
    assert err.value.param == param


def test_run_needs_a_string_sample(client: openai.OpenAI) -> None:
    for body, param in (
        ({"grader": _check("eq", "", "a")}, "model_sample"),
        ({"grader": _check("eq", "", "a"), "model_sample": 3}, "model_sample"),
    ):
        with pytest.raises(sdk(client).BadRequestError) as err:
            client.post("/fine_tuning/alpha/graders/run", body=body, cast_to=object)
        assert err.value.param == param
