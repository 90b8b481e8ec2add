"""Webhook signatures (Standard Webhooks, HMAC-SHA256) and typed events. Deliveries are signed here
with the standard's recipe; the official SDK accepts the same deliveries, which proves the recipe."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import openai
import pytest

import openai_kit
from openai_kit.types._base import UnknownObject
from openai_kit.types.webhooks import WebhookBatchCompleted, WebhookResponseCompleted
from openai_kit.webhooks import InvalidWebhookSignatureError, unwrap, verify_signature

SECRET = "whsec_" + base64.b64encode(b"a very secret key of 32 bytes!!!").decode()
BODY = json.dumps(
    {"id": "evt_1", "object": "event", "type": "batch.completed", "created_at": 1, "data": {"id": "batch_1"}}
)


def sign(body: str, *, secret: str = SECRET, msg_id: str = "msg_1", at: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if at is None else at)
    key = base64.b64decode(secret.removeprefix("whsec_"))
    sig = base64.b64encode(
        hmac.new(key, f"{msg_id}.{stamp}.{body}".encode(), hashlib.sha256).digest()
    ).decode()
    return {"webhook-id": msg_id, "webhook-timestamp": stamp, "webhook-signature": f"v1,{sig}"}


def test_a_signed_delivery_unwraps_to_its_typed_event() -> None:
    headers = sign(BODY)
    event = openai_kit.OpenAI(api_key="k", webhook_secret=SECRET).webhooks.unwrap(BODY, headers)
    assert isinstance(event, WebhookBatchCompleted)
    assert event.data.id == "batch_1"
    # the official SDK accepts the very same delivery
    official = openai.OpenAI(api_key="k", webhook_secret=SECRET).webhooks.unwrap(BODY, headers)
    assert official.type == event.type and official.data.id == event.data.id


def test_bytes_bodies_case_insensitive_headers_and_several_signatures() -> None:
    headers = sign(BODY)
    mixed = {
        "Webhook-Id": headers["webhook-id"],
        "Webhook-Timestamp": headers["webhook-timestamp"],
        # a rotated secret: the old signature first, the valid one second
        "Webhook-Signature": "v1,AAAAbm90IGl0 " + headers["webhook-signature"],
    }
    verify_signature(BODY.encode(), mixed, secret=SECRET)
    other = json.dumps({"id": "evt_2", "object": "event", "type": "response.completed", "created_at": 2,
                        "data": {"id": "resp_1"}})  # fmt: skip
    assert isinstance(unwrap(other, sign(other), secret=SECRET), WebhookResponseCompleted)


_MISMATCH = "The given webhook signature does not match the expected signature"


@pytest.mark.parametrize(
    ("mutate", "error", "message"),
    [
        (lambda h: {**h, "webhook-signature": "v1,bm90IHRoZSByaWdodCBvbmU="}, "InvalidWebhookSignatureError", _MISMATCH),
        (lambda h: {k: v for k, v in h.items() if k != "webhook-id"}, "ValueError", "Could not find webhook-id header"),
        (lambda h: {**h, "webhook-timestamp": "yesterday"}, "InvalidWebhookSignatureError", "Invalid webhook timestamp format"),
        (lambda h: {**h, "webhook-id": "msg_other"}, "InvalidWebhookSignatureError", _MISMATCH),
        (lambda h: {**h, "webhook-timestamp": str(int(time.time()) - 3600)}, "InvalidWebhookSignatureError", "Webhook timestamp is too old"),
        (lambda h: {**h, "webhook-timestamp": str(int(time.time()) + 3600)}, "InvalidWebhookSignatureError", "Webhook timestamp is too new"),
    ],
)  # fmt: skip
def test_tampered_deliveries_are_refused_as_the_official_sdk_does(
    mutate: object, error: str, message: str
) -> None:
    headers = mutate(sign(BODY))  # type: ignore[operator]
    for client in (
        openai_kit.OpenAI(api_key="k", webhook_secret=SECRET),
        openai.OpenAI(api_key="k", webhook_secret=SECRET),
    ):
        with pytest.raises(ValueError) as info:
            client.webhooks.unwrap(BODY, headers)
        assert (type(info.value).__name__, str(info.value)) == (error, message), client


def test_a_secret_without_the_whsec_prefix_is_the_key_itself() -> None:
    raw = "plain-secret"
    stamp = str(int(time.time()))
    sig = base64.b64encode(
        hmac.new(raw.encode(), f"m.{stamp}.{BODY}".encode(), hashlib.sha256).digest()
    ).decode()
    headers = {"webhook-id": "m", "webhook-timestamp": stamp, "webhook-signature": f"v1,{sig}"}
    verify_signature(BODY, headers, secret=raw)
    openai.OpenAI(api_key="k").webhooks.verify_signature(BODY, headers, secret=raw)


def test_changed_body_wrong_secret_and_replays_are_refused() -> None:
    headers = sign(BODY)
    with pytest.raises(InvalidWebhookSignatureError):
        verify_signature(BODY.replace("batch_1", "batch_2"), headers, secret=SECRET)
    wrong = "whsec_" + base64.b64encode(b"another key").decode()
    with pytest.raises(InvalidWebhookSignatureError) as info:
        verify_signature(BODY, headers, secret=wrong)
    assert SECRET not in str(info.value) and wrong not in str(info.value)
    old = sign(BODY, at=int(time.time()) - 3600)
    with pytest.raises(InvalidWebhookSignatureError, match="too old"):
        verify_signature(BODY, old, secret=SECRET)
    verify_signature(BODY, old, secret=SECRET, tolerance=7200)
    with pytest.raises(InvalidWebhookSignatureError, match="too new"):
        verify_signature(BODY, sign(BODY, at=int(time.time()) + 3600), secret=SECRET)


def test_secret_sources_and_unknown_event_types(monkeypatch: pytest.MonkeyPatch) -> None:
    client = openai_kit.OpenAI(api_key="k")
    with pytest.raises(ValueError, match="The webhook secret must either be set"):
        client.webhooks.unwrap(BODY, sign(BODY))
    monkeypatch.setenv("OPENAI_WEBHOOK_SECRET", SECRET)
    new = json.dumps(
        {"id": "evt_3", "object": "event", "type": "video.rendered", "created_at": 3, "data": {}}
    )
    event = client.webhooks.unwrap(new, sign(new))
    assert isinstance(event, UnknownObject) and event.type == "video.rendered"
    assert SECRET not in repr(client.webhooks) and SECRET not in repr(
        openai_kit.OpenAI(api_key="k", webhook_secret=SECRET)
    )
    with pytest.raises(ValueError, match="not valid base64"):
        verify_signature(BODY, sign(BODY), secret="whsec_***")
