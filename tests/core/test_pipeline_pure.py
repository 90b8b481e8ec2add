"""The request pipeline stepped by hand: no sockets, no sleeps (h11's style of sans-IO tests).

``attempts()`` yields the IO it needs (Send, Read, Sleep, Call); each test plays the transport's part and
checks every retry, backoff and deadline decision.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

import openai_kit
from openai_kit._pipeline import Call, Pipeline, Prepared, Read, Send, Sleep, attempts
from openai_kit._retries import RetryPolicy
from openai_kit._timeouts import Timeout
from openai_kit._transports._base import Request, Response

POLICY = RetryPolicy(initial_delay=0.5, max_delay=8.0, jitter=0.0)


def prep(method: str = "GET", *, max_retries: int = 2, repeatable: bool | None = None, **kw: Any) -> Prepared:
    return Prepared(
        method=method,
        origin="https://api.example",
        target="/v1/x",
        headers={"idempotency-key": "auto"},
        content=None if method == "GET" else b"{}",
        stream=False,
        timeout=kw.pop("timeout", Timeout()),
        max_retries=max_retries,
        repeatable=method == "GET" if repeatable is None else repeatable,
    )


def pipe(**kw: Any) -> Pipeline:
    return Pipeline(
        api_key=kw.pop("api_key", "sk-test"),
        api_key_provider=kw.pop("api_key_provider", None),
        auth_headers=lambda key: {"authorization": f"Bearer {key}"},
        retry=kw.pop("retry", POLICY),
        **kw,
    )


def response(request: Request, status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(status, headers or {}, request, content=b"")


def finish(gen: Generator[Any, Any, Response], value: Any) -> Response:
    with pytest.raises(StopIteration) as stop:
        gen.send(value)
    result: Response = stop.value.value
    return result


def test_success_is_one_send() -> None:
    gen = attempts(prep(), pipe())
    action = next(gen)
    assert type(action) is Send
    assert action.request.headers["authorization"] == "Bearer sk-test"
    ok = response(action.request, 200)
    assert finish(gen, ok) is ok


def test_status_retry_reads_the_error_waits_the_servers_hint_then_sends_again() -> None:
    gen = attempts(prep(), pipe())
    send = next(gen)
    read = gen.send(response(send.request, 503, {"retry-after-ms": "250"}))
    assert type(read) is Read
    sleep = gen.send(b'{"error": {"message": "busy"}}')
    assert sleep == Sleep(0.25)
    again = gen.send(None)
    assert type(again) is Send
    assert finish(gen, response(again.request, 200)).status_code == 200


def test_backoff_is_exponential_without_hints() -> None:
    gen = attempts(prep(max_retries=3), pipe())
    sleeps = []
    action = next(gen)
    for _ in range(3):
        assert type(action) is Send
        assert type(gen.send(response(action.request, 500))) is Read
        sleep = gen.send(b"{}")
        sleeps.append(sleep.seconds)
        action = gen.send(None)
    assert sleeps == [0.5, 1.0, 2.0]
    gen.send(response(action.request, 500))
    with pytest.raises(openai_kit.InternalServerError):
        gen.send(b"{}")


@pytest.mark.parametrize(
    ("status", "headers", "body", "error"),
    [
        (500, {"x-should-retry": "false"}, b"{}", openai_kit.InternalServerError),
        (429, {}, b'{"error": {"code": "insufficient_quota", "message": "pay"}}', openai_kit.RateLimitError),
        (400, {}, b'{"error": {"message": "bad", "param": "model"}}', openai_kit.BadRequestError),
    ],
)
def test_answers_that_are_not_retried(status: int, headers: dict[str, str], body: bytes, error: type) -> None:
    gen = attempts(prep(), pipe())
    send = next(gen)
    assert type(gen.send(response(send.request, status, headers))) is Read
    with pytest.raises(error):
        gen.send(body)


def test_x_should_retry_true_retries_even_a_400() -> None:
    gen = attempts(prep(), pipe())
    send = next(gen)
    gen.send(response(send.request, 400, {"x-should-retry": "true"}))
    assert type(gen.send(b"{}")) is Sleep


@pytest.mark.parametrize(
    ("method", "repeatable", "sent", "retried"),
    [
        ("POST", False, True, False),  # may have executed: never twice
        ("POST", False, False, True),  # never left
        ("POST", True, True, True),  # the caller's idempotency key
        ("DELETE", False, True, False),
        ("GET", True, True, True),
    ],
)
def test_connection_errors_follow_the_exactly_once_rule(
    method: str, repeatable: bool, sent: bool, retried: bool
) -> None:
    gen = attempts(prep(method, repeatable=repeatable), pipe())
    next(gen)
    error = openai_kit.APIConnectionError("reset", request_sent=sent)
    if retried:
        assert type(gen.throw(error)) is Sleep
        assert type(gen.send(None)) is Send
    else:
        with pytest.raises(openai_kit.APIConnectionError) as info:
            gen.throw(error)
        assert info.value.url == "https://api.example/v1/x"


def test_no_retry_when_the_wait_would_pass_the_deadline() -> None:
    gen = attempts(prep(timeout=Timeout(total=5.0)), pipe())
    send = next(gen)
    assert send.timeout.read is not None and send.timeout.read <= 5.0  # the deadline bounds each read
    gen.send(response(send.request, 429, {"retry-after": "30"}))
    with pytest.raises(openai_kit.RateLimitError):
        gen.send(b"{}")


def test_a_key_provider_is_asked_before_every_attempt_and_hooks_see_each_request() -> None:
    seen: list[Request] = []

    def provider() -> str:
        raise AssertionError("the driver calls it, not the pipeline")

    gen = attempts(prep(), pipe(api_key=None, api_key_provider=provider, request_hooks=(seen.append,)))
    call = next(gen)
    assert call == Call(provider, ())
    hook = gen.send("sk-rotated-1")
    assert type(hook) is Call and hook.fn == seen.append
    send = gen.send(None)
    assert send.request.headers["authorization"] == "Bearer sk-rotated-1"
    gen.send(response(send.request, 502))
    gen.send(b"{}")  # Read -> Sleep
    assert gen.send(None) == Call(provider, ())  # asked again for the retry
    with pytest.raises(openai_kit.ConfigError, match="non-empty string"):
        gen.send("")


def test_a_body_that_cannot_be_replayed_is_not_retried() -> None:
    from openai_kit._multipart import encode_multipart

    class OneShot:
        def __init__(self) -> None:
            self.done = False

        def read(self, n: int = -1) -> bytes:
            if self.done:
                return b""
            self.done = True
            return b"data"

        def tell(self) -> int:
            raise OSError("not seekable")

    body = encode_multipart({}, {"file": ("a.bin", OneShot())})  # type: ignore[dict-item]
    assert not body.replayable
    p = prep("POST", repeatable=True)
    p.content = body
    gen = attempts(p, pipe())
    send = next(gen)
    gen.send(response(send.request, 503))
    with pytest.raises(openai_kit.InternalServerError):
        gen.send(b"{}")
