"""Webhooks to a school's or district's own system, signed per the Standard Webhooks scheme.

Headers: `webhook-id` (the delivery id, stable across retries, so the receiver can drop duplicates: NT-3),
`webhook-timestamp` (seconds since the epoch) and `webhook-signature` = `v1,` + base64(HMAC-SHA256(key,
f"{id}.{timestamp}.{body}")), where the key is the base64 part of a `whsec_…` secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

import httpx

from chassis.clock import Clock
from services.notify.adapters.base import Outgoing, Permanent, Sent, Transient
from services.notify.domain.channels import Channel

SECRET_PREFIX = "whsec_"
_RETRYABLE_4XX = frozenset({408, 409, 425, 429})


def new_secret() -> str:
    """A fresh endpoint secret, shown once to the school that registers the endpoint."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value for one message."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What a receiver does: recompute the signature and compare in constant time (any of the listed ones)."""
    expected = sign(secret, headers["webhook-id"], int(headers["webhook-timestamp"]), body)
    return any(hmac.compare_digest(expected, given) for given in headers["webhook-signature"].split())


class WebhookAdapter:
    """POSTs the delivery's JSON body; a 2xx means the receiving system has it (delivered)."""

    channel = Channel.WEBHOOK

    def __init__(self, http: httpx.AsyncClient, clock: Clock) -> None:
        self._http, self._clock = http, clock

    async def send(self, outgoing: Outgoing) -> Sent:
        """Sign and POST; 410 Gone and other 4xx are permanent, 429, 5xx and network errors transient."""
        if not outgoing.signing_secret:
            raise Permanent("no-secret", "the endpoint has no signing secret")
        body = outgoing.body.encode()
        timestamp = int(self._clock.now().timestamp())
        headers = {
            "content-type": "application/json",
            "webhook-id": outgoing.delivery_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(outgoing.signing_secret, outgoing.delivery_id, timestamp, body),
        }
        try:
            response = await self._http.post(outgoing.address, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise Transient("unreachable", repr(error)) from error
        if response.is_success:
            return Sent(provider_id=None, delivered=True)
        status = response.status_code
        if 400 <= status < 500 and status not in _RETRYABLE_4XX:
            raise Permanent(f"http-{status}", response.text[:200])
        raise Transient(f"http-{status}", response.text[:200], retry_after=_retry_after(response))


def _retry_after(response: httpx.Response) -> float:
    try:
        return float(response.headers.get("retry-after", "0"))
    except ValueError:
        return 0.0
