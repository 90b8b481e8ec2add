"""Cost of the conveniences' binding hook on the chat path (``python -m benchmarks.bound_hook``).

``_client._finish`` hands every parsed result to ``_bound.bind``; a chat completion is not a bound type,
so the hook is one set lookup. Interleaved A/B, min of 40 rounds: the parse alone, the parse + hook.
"""

from __future__ import annotations

import timeit

import orjson

import openai_kit
from openai_kit import _bound
from openai_kit._parsing import parse_response
from openai_kit._transports._base import Request, Response
from openai_kit.types.chat import ChatCompletion

BODY = orjson.dumps(
    {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "logprobs": None,
                "message": {"role": "assistant", "content": "Hello there, how can I help?", "refusal": None},
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12},
    }
)


def main() -> None:
    client = openai_kit.OpenAI(api_key="k")
    response = Response(
        200, {"content-type": "application/json"}, Request("POST", "http://x", "/", {}), content=BODY
    )
    plain = lambda: parse_response(response, ChatCompletion)  # noqa: E731
    hooked = lambda: _bound.bind(parse_response(response, ChatCompletion), client)  # noqa: E731
    a: list[float] = []
    b: list[float] = []
    for _ in range(40):
        a.append(timeit.timeit(plain, number=2000) / 2000 * 1e6)
        b.append(timeit.timeit(hooked, number=2000) / 2000 * 1e6)
    print(f"chat completion parse: {min(a):.2f} us; with the binding hook: {min(b):.2f} us")


if __name__ == "__main__":
    main()
