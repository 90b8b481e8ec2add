"""Graders, computed offline and deterministically: used by ``/fine_tuning/alpha/graders`` and eval runs.

- ``string_check``: ``eq``, ``ne``, ``like`` (contains), ``ilike`` (contains, ignoring case): 1 or 0.
- ``text_similarity``: ``fuzzy_match`` (difflib ratio), ``cosine`` (the server's hash embeddings), ``bleu``,
  ``gleu``, ``meteor`` (exact-unigram METEOR), ``rouge_1`` ... ``rouge_5`` and ``rouge_l`` (F1), on words.
- ``score_model`` / ``label_model``: the input messages are rendered and sent to the server's chat model
  for ``model`` (``echo`` for real names); the first number of the reply is the score (clamped to
  ``range``), the first label found in the reply is the label.
- ``python``: ``grade(sample, item)`` of the source, run in a separate isolated interpreter with a timeout.
- ``multi``: ``calculate_output``, an arithmetic formula over the sub-graders' scores.

Templates are ``{{ item.path }}`` and ``{{ sample.output_text }}`` / ``{{ sample.output_json.path }}``.
"""

from __future__ import annotations

import ast
import asyncio
import difflib
import math
import operator
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from . import embeddings
from .errors import RequestError, invalid, missing
from .models import GenerationRequest, Turn
from .models.base import off_loop
from .params import opt_list, req_str
from .state import ServerState
from .tokens import count_tokens

Doc = dict[str, Any]

STRING_OPS = ("eq", "ne", "like", "ilike")
METRICS = (
    "cosine",
    "fuzzy_match",
    "bleu",
    "gleu",
    "meteor",
    "rouge_1",
    "rouge_2",
    "rouge_3",
    "rouge_4",
    "rouge_5",
    "rouge_l",
)
GRADER_TYPES = ("string_check", "text_similarity", "python", "score_model", "label_model", "multi")
ROLES = ("user", "assistant", "system", "developer")
PYTHON_TIMEOUT = 10.0
_TEMPLATE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_WORDS = re.compile(r"\w+")
_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def _choices(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


# -- checking a grader definition ----------------------------------------------------------------


def check_grader(
    grader: Any, path: str, *, allowed: tuple[str, ...] = GRADER_TYPES, eval_criterion: bool = False
) -> Doc:
    """The grader as stored (defaults filled in), or a 400 naming the field at ``path``."""
    if not isinstance(grader, dict):
        raise invalid(path, f"Invalid type for '{path}': expected an object.", code="invalid_type")
    kind = req_str(grader, "type", path=f"{path}.type")
    if kind not in allowed:
        raise invalid(
            f"{path}.type",
            f"Invalid value: '{kind}'. Supported values are: {_choices(allowed)}.",
            code="invalid_value",
        )
    out: Doc = {"type": kind, "name": req_str(grader, "name", path=f"{path}.name")}
    if kind == "string_check":
        out["input"] = _template(grader, "input", path)
        out["reference"] = _template(grader, "reference", path)
        out["operation"] = _enum(grader, "operation", STRING_OPS, path)
    elif kind == "text_similarity":
        out["input"] = _template(grader, "input", path)
        out["reference"] = _template(grader, "reference", path)
        out["evaluation_metric"] = _enum(grader, "evaluation_metric", METRICS, path)
    elif kind == "python":
        source = req_str(grader, "source", path=f"{path}.source")
        _check_source(source, f"{path}.source")
        out["source"] = source
        if grader.get("image_tag") is not None:
            out["image_tag"] = req_str(grader, "image_tag", path=f"{path}.image_tag")
    elif kind in ("score_model", "label_model"):
        out["model"] = req_str(grader, "model", path=f"{path}.model")
        out["input"] = check_messages(grader.get("input"), f"{path}.input")
        if kind == "score_model":
            out["range"] = _range(grader.get("range"), f"{path}.range")
            params = grader.get("sampling_params")
            if params is not None:
                if not isinstance(params, dict):
                    raise invalid(
                        f"{path}.sampling_params",
                        f"Invalid type for '{path}.sampling_params': expected an object.",
                        code="invalid_type",
                    )
                out["sampling_params"] = params
        else:
            out["labels"] = _labels(grader, "labels", path)
            out["passing_labels"] = _labels(grader, "passing_labels", path)
            unknown = [x for x in out["passing_labels"] if x not in out["labels"]]
            if unknown:
                raise invalid(
                    f"{path}.passing_labels",
                    f"Invalid '{path}.passing_labels': '{unknown[0]}' is not one of the labels.",
                )
    else:  # multi
        out["graders"] = _sub_graders(grader.get("graders"), f"{path}.graders")
        formula = req_str(grader, "calculate_output", path=f"{path}.calculate_output")
        try:
            _parse_formula(formula)
        except FormulaError as exc:
            raise invalid(f"{path}.calculate_output", f"Invalid '{path}.calculate_output': {exc}") from None
        out["calculate_output"] = formula
    if eval_criterion:
        threshold = grader.get("pass_threshold")
        if threshold is None and kind == "text_similarity":
            raise missing(f"{path}.pass_threshold")
        if threshold is not None:
            if not isinstance(threshold, (int, float)) or isinstance(threshold, bool):
                raise invalid(
                    f"{path}.pass_threshold",
                    f"Invalid type for '{path}.pass_threshold': expected a number.",
                    code="invalid_type",
                )
            out["pass_threshold"] = threshold
    return out


def _template(grader: Doc, name: str, path: str) -> str:
    value = grader.get(name)
    if value is None:
        raise missing(f"{path}.{name}")
    if not isinstance(value, str):
        raise invalid(
            f"{path}.{name}", f"Invalid type for '{path}.{name}': expected a string.", code="invalid_type"
        )
    return value


def _enum(grader: Doc, name: str, allowed: tuple[str, ...], path: str) -> str:
    value = req_str(grader, name, path=f"{path}.{name}")
    if value not in allowed:
        raise invalid(
            f"{path}.{name}",
            f"Invalid value: '{value}'. Supported values are: {_choices(allowed)}.",
            code="invalid_value",
        )
    return value


def _labels(grader: Doc, name: str, path: str) -> list[str]:
    value = opt_list(grader, name, path=f"{path}.{name}")
    if not value:
        raise missing(f"{path}.{name}")
    for i, label in enumerate(value):
        if not isinstance(label, str) or not label:
            raise invalid(
                f"{path}.{name}[{i}]",
                f"Invalid '{path}.{name}[{i}]': expected a non-empty string.",
                code="invalid_type",
            )
    return list(value)


def _range(value: Any, path: str) -> list[float]:
    if value is None:
        return [0, 1]
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
        or not value[0] < value[1]
    ):
        raise invalid(path, f"Invalid '{path}': expected two numbers [low, high] with low < high.")
    return list(value)


def check_messages(value: Any, path: str) -> list[Doc]:
    """Input messages: ``{"role", "content"}`` with string content, or content parts with text."""
    if value is None:
        raise missing(path)
    if not isinstance(value, list) or not value:
        raise invalid(path, f"Invalid '{path}': expected a non-empty array of messages.")
    out = []
    for i, msg in enumerate(value):
        where = f"{path}[{i}]"
        if not isinstance(msg, dict):
            raise invalid(where, f"Invalid type for '{where}': expected an object.", code="invalid_type")
        role = req_str(msg, "role", path=f"{where}.role")
        if role not in ROLES:
            raise invalid(
                f"{where}.role",
                f"Invalid value: '{role}'. Supported values are: {_choices(ROLES)}.",
                code="invalid_value",
            )
        if "content" not in msg:
            raise missing(f"{where}.content")
        message_text(msg["content"], f"{where}.content")
        kept: Doc = {"role": role, "content": msg["content"]}
        if msg.get("type") is not None:
            kept["type"] = msg["type"]
        out.append(kept)
    return out


def message_text(content: Any, path: str) -> str:
    """The text of a message's content: a string, a text part, or a list of parts."""
    if isinstance(content, str):
        return content
    parts = content if isinstance(content, list) else [content]
    texts = []
    for j, part in enumerate(parts):
        if isinstance(part, str):
            texts.append(part)
            continue
        where = f"{path}[{j}]" if isinstance(content, list) else path
        if not isinstance(part, dict):
            raise invalid(where, f"Invalid type for '{where}': expected a content part.", code="invalid_type")
        if part.get("type") in ("input_text", "output_text", "text"):
            if not isinstance(part.get("text"), str):
                raise missing(f"{where}.text")
            texts.append(part["text"])
        elif part.get("type") not in ("input_image", "input_audio"):
            raise invalid(
                f"{where}.type",
                f"Invalid value: '{part.get('type')}'. Supported values are: 'input_text', 'output_text', "
                "'input_image' and 'input_audio'.",
                code="invalid_value",
            )
    return "\n".join(texts)


def _sub_graders(value: Any, path: str) -> Doc:
    """A multi grader's graders: ``{key: grader}`` (as the API takes them) or one grader (as the spec has)."""
    if not isinstance(value, dict) or not value:
        raise invalid(path, f"Invalid '{path}': expected an object of graders by name.")
    sub = ("string_check", "text_similarity", "python", "score_model", "label_model")
    if isinstance(value.get("type"), str):
        one = check_grader(value, path, allowed=sub)
        return {one["name"]: one}
    return {str(k): check_grader(v, f"{path}.{k}", allowed=sub) for k, v in value.items()}


def _check_source(source: str, path: str) -> None:
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise invalid(
            path, f"Invalid '{path}': the Python source does not parse: {exc.msg} (line {exc.lineno})."
        ) from None
    if not any(isinstance(node, ast.FunctionDef) and node.name == "grade" for node in tree.body):
        raise invalid(path, f"Invalid '{path}': the source must define a function 'grade(sample, item)'.")


def check_models(state: ServerState, grader: Doc, path: str) -> None:
    """The models of model graders (also inside a multi grader) must be chat models the server has."""
    if grader["type"] in ("score_model", "label_model"):
        state.models.chat(grader["model"], f"{path}.model")
    for key, sub in (grader.get("graders") or {}).items():
        check_models(state, sub, f"{path}.graders.{key}")


# -- templates -----------------------------------------------------------------------------------


class TemplateError(Exception):
    pass


def lookup(context: Doc, path: str) -> Any:
    """``item.a.b`` / ``sample.output_json.x[0]`` in ``context``; ``TemplateError`` when absent."""
    value: Any = context
    for part in re.findall(r"[^.\[\]]+", path):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            raise TemplateError(path)
    return value


def render(template: str, context: Doc, *, strict: bool = True) -> str:
    def one(match: re.Match[str]) -> str:
        try:
            value = lookup(context, match.group(1))
        except TemplateError:
            if strict:
                raise
            return ""
        return value if isinstance(value, str) else orjson.dumps(value).decode()

    return _TEMPLATE.sub(one, template)


def sample_namespace(output_text: str, extra: Doc | None = None) -> Doc:
    try:
        output_json = orjson.loads(output_text)
    except orjson.JSONDecodeError:
        output_json = None
    return {**(extra or {}), "output_text": output_text, "output_json": output_json}


# -- text similarity -----------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return _WORDS.findall(text.lower())


def _ngrams(words: list[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def _f1(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def _rouge_n(hyp: list[str], ref: list[str], n: int) -> float:
    h, r = _ngrams(hyp, n), _ngrams(ref, n)
    overlap = sum((h & r).values())
    if not h or not r:
        return 0.0
    return _f1(overlap / sum(h.values()), overlap / sum(r.values()))


def _rouge_l(hyp: list[str], ref: list[str]) -> float:
    if not hyp or not ref:
        return 0.0
    prev = [0] * (len(ref) + 1)
    for a in hyp:
        cur = [0]
        for j, b in enumerate(ref):
            cur.append(prev[j] + 1 if a == b else max(prev[j + 1], cur[j]))
        prev = cur
    lcs = prev[-1]
    return _f1(lcs / len(hyp), lcs / len(ref))


def _bleu(hyp: list[str], ref: list[str]) -> float:
    """Sentence BLEU up to 4-grams, add-one smoothing for n > 1, with the brevity penalty."""
    if not hyp or not ref:
        return 0.0
    logs = 0.0
    for n in range(1, 5):
        h, r = _ngrams(hyp, n), _ngrams(ref, n)
        total = sum(h.values())
        match = sum((h & r).values())
        if n == 1:
            if match == 0:
                return 0.0
            logs += math.log(match / total)
        else:
            logs += math.log((match + 1) / (total + 1))
    penalty = 1.0 if len(hyp) > len(ref) else math.exp(1 - len(ref) / len(hyp))
    return penalty * math.exp(logs / 4)


def _gleu(hyp: list[str], ref: list[str]) -> float:
    h = sum((_ngrams(hyp, n) for n in range(1, 5)), Counter[tuple[str, ...]]())
    r = sum((_ngrams(ref, n) for n in range(1, 5)), Counter[tuple[str, ...]]())
    if not h or not r:
        return 0.0
    match = sum((h & r).values())
    return min(match / sum(h.values()), match / sum(r.values()))


def _meteor(hyp: list[str], ref: list[str]) -> float:
    """METEOR with exact unigram matches: the recall-weighted F-mean times the fragmentation penalty."""
    used = [False] * len(ref)
    align: list[int] = []
    for word in hyp:
        j = next((k for k, w in enumerate(ref) if w == word and not used[k]), -1)
        if j >= 0:
            used[j] = True
        align.append(j)
    matches = sum(1 for j in align if j >= 0)
    if matches == 0:
        return 0.0
    p, r = matches / len(hyp), matches / len(ref)
    fmean = 10 * p * r / (r + 9 * p)
    chunks, prev = 0, -2
    for j in align:
        if j >= 0 and j != prev + 1:
            chunks += 1
        prev = j if j >= 0 else -2
    return fmean * (1 - 0.5 * (chunks / matches) ** 3)


def similarity(metric: str, text: str, reference: str) -> float:
    if metric == "fuzzy_match":
        return difflib.SequenceMatcher(None, text, reference, autojunk=False).ratio()
    if metric == "cosine":
        return max(0.0, min(1.0, embeddings.cosine(embeddings.embed(text), embeddings.embed(reference))))
    hyp, ref = _words(text), _words(reference)
    if metric == "bleu":
        return _bleu(hyp, ref)
    if metric == "gleu":
        return _gleu(hyp, ref)
    if metric == "meteor":
        return _meteor(hyp, ref)
    if metric == "rouge_l":
        return _rouge_l(hyp, ref)
    return _rouge_n(hyp, ref, int(metric.rsplit("_", 1)[1]))


# -- formulas ------------------------------------------------------------------------------------


class FormulaError(Exception):
    pass


_BINARY: dict[type, Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.Mod: operator.mod,
}
_FUNCTIONS: dict[str, Callable[..., float]] = {
    "min": min,
    "max": max,
    "abs": abs,
    "sqrt": math.sqrt,
    "log": math.log,
    "exp": math.exp,
    "floor": math.floor,
    "ceil": math.ceil,
}


def _parse_formula(formula: str) -> ast.expr:
    try:
        tree = ast.parse(formula, mode="eval")
    except SyntaxError:
        raise FormulaError("the formula does not parse.") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS or node.keywords:
                raise FormulaError(f"only the functions {', '.join(_FUNCTIONS)} may be called.")
        elif not isinstance(
            node,
            (
                ast.Expression,
                ast.BinOp,
                ast.UnaryOp,
                ast.Constant,
                ast.Name,
                ast.Load,
                ast.operator,
                ast.unaryop,
            ),
        ):
            raise FormulaError(
                "only numbers, grader names, arithmetic and min/max/abs/sqrt/log/exp may appear."
            )
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float)):
            raise FormulaError("only numbers may appear as constants.")
        if isinstance(node, ast.BinOp) and type(node.op) not in _BINARY:
            raise FormulaError("only + - * / % ** may be used.")
    return tree.body


def evaluate_formula(formula: str, names: dict[str, float]) -> float:
    def ev(node: ast.expr) -> float:
        if isinstance(node, ast.Constant):
            value = node.value
            assert isinstance(value, (int, float))
            return float(value)
        if isinstance(node, ast.Name):
            if node.id not in names:
                raise FormulaError(f"unknown name '{node.id}' (graders: {', '.join(names)}).")
            return names[node.id]
        if isinstance(node, ast.UnaryOp):
            value = ev(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BinOp):
            return _BINARY[type(node.op)](ev(node.left), ev(node.right))
        assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        return float(_FUNCTIONS[node.func.id](*[ev(a) for a in node.args]))

    try:
        result = ev(_parse_formula(formula))
    except (ArithmeticError, ValueError, TypeError, OverflowError) as exc:
        raise FormulaError(f"the formula could not be computed: {exc}.") from None
    if isinstance(result, complex) or math.isnan(result) or math.isinf(result):
        raise FormulaError("the formula gave no finite number.")
    return result


# -- running -------------------------------------------------------------------------------------

ERROR_FLAGS = (
    "formula_parse_error",
    "sample_parse_error",
    "truncated_observation_error",
    "unresponsive_reward_error",
    "invalid_variable_error",
    "other_error",
    "python_grader_server_error",
    "python_grader_runtime_error",
    "model_grader_server_error",
    "model_grader_refusal_error",
    "model_grader_parse_error",
)


@dataclass
class Outcome:
    score: float = 0.0
    #: the label a label_model grader chose
    label: str | None = None
    errors: Doc = field(default_factory=dict)
    sub_rewards: dict[str, float] = field(default_factory=dict)
    #: model name -> usage of the grader's model calls
    usage: dict[str, Doc] = field(default_factory=dict)
    sampled_model: str | None = None
    detail: str | None = None

    def error(self, flag: str, detail: str | None = None) -> Outcome:
        self.errors[flag] = True
        self.score = 0.0
        if detail:
            self.detail = detail
        return self

    @property
    def failed(self) -> bool:
        return bool(self.errors)

    def error_flags(self) -> Doc:
        flags: Doc = {flag: bool(self.errors.get(flag)) for flag in ERROR_FLAGS}
        flags["python_grader_server_error_type"] = None
        flags["python_grader_runtime_error_details"] = (
            self.detail if self.errors.get("python_grader_runtime_error") else None
        )
        flags["model_grader_server_error_details"] = (
            self.detail if self.errors.get("model_grader_server_error") else None
        )
        return flags


def passed(grader: Doc, outcome: Outcome) -> bool:
    """Whether an eval's testing criterion passes."""
    if outcome.failed:
        return False
    kind = grader["type"]
    if kind == "string_check":
        return outcome.score >= 1.0
    if kind == "label_model":
        return outcome.label in grader["passing_labels"]
    threshold = grader.get("pass_threshold")
    if threshold is None:
        low, high = grader.get("range", [0, 1])
        threshold = (low + high) / 2
    return bool(outcome.score >= threshold)


async def grade(state: ServerState, grader: Doc, context: Doc) -> Outcome:
    """Score ``context`` (``{"item": ..., "sample": ...}``) with ``grader``; problems become error flags."""
    kind = grader["type"]
    outcome = Outcome()
    try:
        if kind == "string_check":
            text, ref = render(grader["input"], context), render(grader["reference"], context)
            op = grader["operation"]
            hit = {
                "eq": text == ref,
                "ne": text != ref,
                "like": ref in text,
                "ilike": ref.lower() in text.lower(),
            }[op]
            outcome.score = 1.0 if hit else 0.0
        elif kind == "text_similarity":
            text, ref = render(grader["input"], context), render(grader["reference"], context)
            outcome.score = round(similarity(grader["evaluation_metric"], text, ref), 6)
        elif kind in ("score_model", "label_model"):
            await _model_grade(state, grader, context, outcome)
        elif kind == "python":
            await _python_grade(grader["source"], context, outcome)
        else:
            names: dict[str, float] = {}
            for key, sub in grader["graders"].items():
                result = await grade(state, sub, context)
                for flag in result.errors:
                    outcome.errors[flag] = True
                for model, usage in result.usage.items():
                    _add_usage(outcome.usage, model, usage)
                outcome.sampled_model = outcome.sampled_model or result.sampled_model
                names[key] = result.score
                names.setdefault(sub["name"], result.score)
                outcome.sub_rewards[key] = result.score
            try:
                outcome.score = evaluate_formula(grader["calculate_output"], names)
            except FormulaError as exc:
                return outcome.error("formula_parse_error", str(exc))
            if outcome.errors:
                outcome.score = 0.0
    except TemplateError as exc:
        return outcome.error("invalid_variable_error", f"unknown template variable '{exc}'")
    return outcome


def _add_usage(total: dict[str, Doc], model: str, usage: Doc) -> None:
    entry = total.setdefault(
        model, {"invocation_count": 0, "prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
    )
    for key in entry:
        entry[key] += usage.get(key, 0)


async def _model_grade(state: ServerState, grader: Doc, context: Doc, outcome: Outcome) -> None:
    turns = [
        Turn(role=m["role"], content=render(message_text(m["content"], "input"), context))
        for m in grader["input"]
    ]
    try:
        model = state.models.chat(grader["model"], "grader.model")
    except RequestError as exc:
        outcome.error("model_grader_server_error", exc.message)
        return
    request = GenerationRequest(turns=turns)
    reply = await off_loop(model, lambda: model.generate(request), request)
    text = reply.text or ""
    prompt = sum(count_tokens(t.content) for t in turns)
    completion = count_tokens(text)
    outcome.sampled_model = grader["model"]
    _add_usage(
        outcome.usage,
        grader["model"],
        {
            "invocation_count": 1,
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    )
    if grader["type"] == "score_model":
        number = _NUMBER.search(text)
        if number is None:
            outcome.error("model_grader_parse_error", "the grader model's reply holds no number")
            return
        low, high = grader["range"]
        outcome.score = max(float(low), min(float(high), float(number.group())))
        return
    lowered = text.strip().lower()
    label = next((x for x in grader["labels"] if x.lower() == lowered), None) or next(
        (x for x in grader["labels"] if re.search(rf"\b{re.escape(x.lower())}\b", lowered)), None
    )
    if label is None:
        outcome.error("model_grader_parse_error", "the grader model's reply names none of the labels")
        return
    outcome.label = label
    outcome.score = 1.0 if label in grader["passing_labels"] else 0.0


_RUNNER = """
import io, json, sys
try:
    import resource
    for limit, value in ((resource.RLIMIT_CPU, CPU_SECONDS), (resource.RLIMIT_AS, 1 << 30),
                         (resource.RLIMIT_FSIZE, 1 << 20), (resource.RLIMIT_CORE, 0)):
        try:
            resource.setrlimit(limit, (value, value))
        except (ValueError, OSError):
            pass
except ImportError:  # not POSIX
    pass
out = sys.stdout
sys.stdout = sys.stderr = io.StringIO()  # the grader's prints go nowhere
try:
    data = json.loads(sys.stdin.read())
    namespace = {"__name__": "grader"}
    exec(compile(data["source"], "<grader>", "exec"), namespace)
    result = {"score": float(namespace["grade"](data["sample"], data["item"]))}
except BaseException as exc:
    result = {"error": (type(exc).__name__ + ": " + str(exc))[:500]}
out.write(json.dumps(result))
""".replace("CPU_SECONDS", str(int(PYTHON_TIMEOUT)))


async def _python_grade(source: str, context: Doc, outcome: Outcome) -> None:
    """``grade(sample, item)`` in a separate interpreter: isolated mode, an empty environment (no secrets of
    the server's), a fresh working directory, CPU, memory and file-size limits, and a timeout."""
    payload = orjson.dumps(
        {"source": source, "sample": context.get("sample") or {}, "item": context.get("item") or {}}
    )
    with tempfile.TemporaryDirectory(prefix="openai-kit-grader-") as cwd:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-I",
            "-c",
            _RUNNER,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env={},
            cwd=cwd,
        )
        try:
            out, _ = await asyncio.wait_for(proc.communicate(payload), PYTHON_TIMEOUT)
        except (asyncio.TimeoutError, asyncio.CancelledError) as exc:
            proc.kill()
            await proc.wait()
            if isinstance(exc, asyncio.CancelledError):
                raise
            outcome.error("unresponsive_reward_error", f"grade() did not return within {PYTHON_TIMEOUT:g} s")
            return
    try:
        result = orjson.loads(out)
    except orjson.JSONDecodeError:
        result = {"error": f"the grader process ended with status {proc.returncode}"}
    if not isinstance(result, dict) or "score" not in result:
        error = result.get("error") if isinstance(result, dict) else None
        outcome.error("python_grader_runtime_error", str(error or "grade() gave no result"))
        return
    value = result["score"]
    if not isinstance(value, (int, float)) or math.isnan(value) or math.isinf(value):
        outcome.error("python_grader_runtime_error", "grade() returned no finite number")
        return
    outcome.score = float(value)


def run_response(grader: Doc, outcome: Outcome, elapsed: float) -> Doc:
    """The body of ``/fine_tuning/alpha/graders/run``."""
    tokens = sum(u["total_tokens"] for u in outcome.usage.values())
    return {
        "reward": outcome.score,
        "metadata": {
            "name": grader["name"],
            "type": grader["type"],
            "errors": outcome.error_flags(),
            "execution_time": round(elapsed, 6),
            "scores": {**outcome.sub_rewards, grader["name"]: outcome.score},
            "token_usage": tokens if outcome.usage else None,
            "sampled_model_name": outcome.sampled_model,
        },
        "sub_rewards": dict(outcome.sub_rewards),
        "model_grader_token_usage_per_model": {
            model: {k: v for k, v in usage.items() if k != "invocation_count"}
            for model, usage in outcome.usage.items()
        },
    }


def clock() -> float:
    return time.perf_counter()
