"""A school's own system receiving notify's webhooks: it checks each Standard Webhooks signature itself, drops
duplicates by `webhook-id` as the scheme asks receivers to, and answers with the statuses a test queues."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


@dataclass
class WebhookReceiver:
    """Accepted messages by webhook-id, every attempt, and the statuses to answer next."""

    secret: str | None = None
    received: dict[str, dict[str, Any]] = field(default_factory=dict)
    attempts: list[str] = field(default_factory=list)
    bad_signatures: int = 0
    answer_next: list[int] = field(default_factory=list)

    def app(self) -> Starlette:
        """The ASGI app (POST /hook)."""
        return Starlette(routes=[Route("/hook", self._hook, methods=["POST"])])

    async def _hook(self, request: Request) -> Response:
        body = await request.body()
        message_id = request.headers.get("webhook-id", "")
        self.attempts.append(message_id)
        if self.answer_next:
            return Response(status_code=self.answer_next.pop(0))
        if self.secret is None or not _signed(self.secret, request.headers, body):
            self.bad_signatures += 1
            return Response(status_code=401)
        self.received.setdefault(message_id, orjson.loads(body))
        return Response(status_code=204)


def _signed(secret: str, headers: Any, body: bytes) -> bool:
    key = base64.b64decode(secret.split("_", 1)[1])
    content = headers["webhook-id"].encode() + b"." + headers["webhook-timestamp"].encode() + b"." + body
    expected = "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(expected, sig) for sig in headers.get("webhook-signature", "").split(" "))
