"""Webhooks: check that a request really comes from OpenAI, then parse the event.

OpenAI signs webhooks the Standard Webhooks way: the ``webhook-signature`` header holds one or more
``v1,<base64 HMAC-SHA256>`` of ``"{webhook-id}.{webhook-timestamp}.{body}"``, keyed with the endpoint's
secret (``whsec_<base64>``). ``client.webhooks.unwrap(body, headers)`` checks that, and that the
timestamp is within ``tolerance`` seconds (replays of old deliveries are refused), then returns the typed
event (``UnwrapWebhookEvent``, told apart by ``type``; an event type this version does not know parses as
``UnknownObject``). The secret comes from the ``secret=`` argument, the client's ``webhook_secret``, or
``OPENAI_WEBHOOK_SECRET``. Pass the raw body exactly as received: re-serialised JSON will not verify.

The secret never appears in errors, logs or ``repr``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._errors import OpenAIError

if TYPE_CHECKING:
    from .types.webhooks import UnwrapWebhookEvent

__all__ = ["InvalidWebhookSignatureError", "Webhooks", "unwrap", "verify_signature"]

DEFAULT_TOLERANCE = 300  # seconds, either way


class InvalidWebhookSignatureError(OpenAIError, ValueError):
    """The request is not a valid, fresh webhook delivery signed with this secret."""


def _header(headers: Mapping[str, str] | Any, name: str) -> str:
    value = headers.get(name)
    if value is None:  # plain dicts are case-sensitive; look the name up case-insensitively
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    if not value:  # the official SDK's error and message
        raise ValueError(f"Could not find {name} header")
    return str(value)


def _key(secret: str) -> bytes:
    """A ``whsec_<base64>`` secret is the base64 key; any other string is the key itself (as the official
    SDK reads it)."""
    if not secret.startswith("whsec_"):
        return secret.encode()
    try:
        return base64.b64decode(secret[len("whsec_") :], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the webhook secret is not valid base64 (expected 'whsec_<base64>')") from None


def verify_signature(
    payload: str | bytes,
    headers: Mapping[str, str] | Any,
    *,
    secret: str,
    tolerance: int = DEFAULT_TOLERANCE,
) -> None:
    """Raise :class:`InvalidWebhookSignatureError` unless ``payload`` is signed with ``secret`` and fresh."""
    body = payload.decode("utf-8") if isinstance(payload, bytes) else payload
    # (the official SDK's checks, order and messages, so code matching on them keeps working)
    signatures = _header(headers, "webhook-signature")
    stamp = _header(headers, "webhook-timestamp")
    msg_id = _header(headers, "webhook-id")
    try:
        sent = int(stamp)
    except ValueError:
        raise InvalidWebhookSignatureError("Invalid webhook timestamp format") from None
    now = int(time.time())
    if now - sent > tolerance:
        raise InvalidWebhookSignatureError("Webhook timestamp is too old")
    if sent > now + tolerance:
        raise InvalidWebhookSignatureError("Webhook timestamp is too new")
    digest = hmac.new(_key(secret), f"{msg_id}.{stamp}.{body}".encode(), hashlib.sha256).digest()
    expected = base64.b64encode(digest).decode()
    for entry in signatures.split():
        version, _, signature = entry.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            return
    raise InvalidWebhookSignatureError("The given webhook signature does not match the expected signature")


def unwrap(
    payload: str | bytes,
    headers: Mapping[str, str] | Any,
    *,
    secret: str,
    tolerance: int = DEFAULT_TOLERANCE,
) -> UnwrapWebhookEvent:
    """Verify, then parse the event."""
    verify_signature(payload, headers, secret=secret, tolerance=tolerance)
    from ._models import parse_json
    from .types.webhooks import UnwrapWebhookEvent

    try:
        return parse_json(UnwrapWebhookEvent, payload)
    except ValueError as exc:
        raise InvalidWebhookSignatureError(
            f"the webhook body is not a valid event: {str(exc)[:200]}"
        ) from None


class Webhooks:
    """``client.webhooks``: :func:`unwrap` and :func:`verify_signature` with the client's secret."""

    def __init__(self, secret: str | None) -> None:
        self._secret = secret

    def __repr__(self) -> str:
        return "<Webhooks>"

    def _resolve(self, secret: str | None) -> str:
        found = secret or self._secret or os.environ.get("OPENAI_WEBHOOK_SECRET")
        if not found:
            raise ValueError(
                "The webhook secret must either be set using the env var, OPENAI_WEBHOOK_SECRET, on the "
                "client class, OpenAI(webhook_secret='123'), or passed to this function"
            )
        return found

    def verify_signature(
        self,
        payload: str | bytes,
        headers: Mapping[str, str] | Any,
        *,
        secret: str | None = None,
        tolerance: int = DEFAULT_TOLERANCE,
    ) -> None:
        verify_signature(payload, headers, secret=self._resolve(secret), tolerance=tolerance)

    def unwrap(
        self,
        payload: str | bytes,
        headers: Mapping[str, str] | Any,
        *,
        secret: str | None = None,
        tolerance: int = DEFAULT_TOLERANCE,
    ) -> UnwrapWebhookEvent:
        return unwrap(payload, headers, secret=self._resolve(secret), tolerance=tolerance)
