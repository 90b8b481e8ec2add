"""``/completions``: the legacy text completions endpoint (plain and streamed)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import usage_ledger
from ..errors import invalid
from ..ids import new_id, now
from ..models import GenerationRequest, Reply, Turn
from ..models.base import off_loop
from ..params import opt_bool, opt_dict, opt_int, opt_num, opt_str, req_str
from ..sse import DONE, event, stream_response
from ..state import ServerState, json_body, ok, state_of
from ..tokens import count_tokens, stream_pieces
from ..usage import chat_usage
from .chat import FINGERPRINT, apply_stop


def _prompts(body: dict[str, Any]) -> list[str]:
    prompt = body.get("prompt", "<|endoftext|>")
    if isinstance(prompt, str):
        return [prompt]
    if isinstance(prompt, list) and prompt and all(isinstance(p, str) for p in prompt):
        return list(prompt)
    if isinstance(prompt, list) and prompt and all(isinstance(p, int) for p in prompt):
        return [" ".join(str(t) for t in prompt)]
    if isinstance(prompt, list) and prompt and all(isinstance(p, list) for p in prompt):
        return [" ".join(str(t) for t in p) for p in prompt]
    raise invalid(
        "prompt", "Invalid 'prompt': expected a string, an array of strings or an array of token arrays."
    )


def _generate(state: ServerState, body: dict[str, Any]) -> tuple[str, list[tuple[int, str, Reply]], int, int]:
    model_id = req_str(body, "model")
    prompts = _prompts(body)
    model = state.models.chat(model_id)
    n = opt_int(body, "n", 1, lo=1, hi=128) or 1
    best_of = opt_int(body, "best_of", n, lo=1, hi=20) or n
    if best_of < n:
        raise invalid("best_of", "Invalid 'best_of': must be greater than or equal to 'n'.")
    max_tokens = opt_int(body, "max_tokens", 16, lo=0)
    opt_num(body, "temperature", lo=0, hi=2)
    opt_num(body, "top_p", lo=0, hi=1)
    opt_int(body, "logprobs", lo=0, hi=5)
    suffix = opt_str(body, "suffix") or ""
    echo = opt_bool(body, "echo")
    stop = body.get("stop")
    stops = (
        [stop]
        if isinstance(stop, str)
        else [s for s in stop if isinstance(s, str)]
        if isinstance(stop, list)
        else []
    )
    out: list[tuple[int, str, Reply]] = []
    prompt_total = completion_total = 0
    index = 0
    for prompt in prompts:
        prompt_total += count_tokens(prompt)
        for i in range(n):
            gen = GenerationRequest(turns=[Turn("user", prompt)], max_tokens=max_tokens, choice_index=i)
            reply = apply_stop(model.generate(gen), stops)
            text = (reply.text or "") + suffix
            completion_total += count_tokens(text)
            out.append((index, (prompt if echo else "") + text, reply))
            index += 1
    return model_id, out, prompt_total, completion_total


def _object(model_id: str, choices: list[dict[str, Any]], cid: str, created: int) -> dict[str, Any]:
    return {
        "id": cid,
        "object": "text_completion",
        "created": created,
        "model": model_id,
        "choices": choices,
        "system_fingerprint": FINGERPRINT,
    }


async def _generate_off_loop(
    state: ServerState, body: dict[str, Any]
) -> tuple[str, list[tuple[int, str, Reply]], int, int]:
    model_id = body.get("model")
    model = state.models.chat_or_none(model_id)
    return await off_loop(model, lambda: _generate(state, body))


async def create_completion(state: ServerState, body: dict[str, Any]) -> dict[str, Any]:
    model_id, out, prompt, completion = await _generate_off_loop(state, body)
    choices = [
        {"index": i, "text": text, "logprobs": None, "finish_reason": r.finish_reason} for i, text, r in out
    ]
    obj = _object(model_id, choices, new_id("cmpl-"), now())
    obj["usage"] = chat_usage(prompt, completion)
    usage_ledger.record_tokens(state, "completions", model_id, prompt, completion)
    return obj


async def create(request: Request) -> Response:
    state = state_of(request)
    body = await json_body(request)
    stream = opt_bool(body, "stream")
    options = opt_dict(body, "stream_options")
    if options is not None and not stream:
        raise invalid(
            "stream_options", "The 'stream_options' parameter is only allowed when 'stream' is enabled."
        )
    if not stream:
        return ok(await create_completion(state, body))
    include_usage = bool(options and opt_bool(options, "include_usage"))
    model_id, out, prompt, completion = await _generate_off_loop(state, body)
    cid, created = new_id("cmpl-"), now()
    usage_ledger.record_tokens(state, "completions", model_id, prompt, completion)

    async def events() -> AsyncIterator[bytes]:
        for i, text, reply in out:
            pieces = stream_pieces(text)
            for k, piece in enumerate(pieces):
                finish = reply.finish_reason if k == len(pieces) - 1 else None
                choice = {"index": i, "text": piece, "logprobs": None, "finish_reason": finish}
                yield event(_object(model_id, [choice], cid, created))
        if include_usage:
            yield event({**_object(model_id, [], cid, created), "usage": chat_usage(prompt, completion)})
        yield DONE

    return stream_response(events())


ROUTES = [Route("/completions", create, methods=["POST"])]
