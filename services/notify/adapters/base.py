"""The one interface every channel adapter speaks, and how a send can fail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from services.notify.domain.channels import Channel


@dataclass(frozen=True)
class Outgoing:
    """One delivery as an adapter sends it."""

    delivery_id: str
    channel: Channel
    address: str
    title: str
    body: str
    language: str
    urgent: bool
    event_type: str
    signing_secret: str | None = None  # webhooks only


@dataclass(frozen=True)
class Sent:
    """The provider took the message; `delivered` when its acceptance already means the recipient has it."""

    provider_id: str | None
    delivered: bool = False


class SendFailed(Exception):
    """A send that did not go through; `code` is the provider's own error code."""

    def __init__(self, code: str, detail: str = "", *, retry_after: float = 0.0) -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code, self.detail, self.retry_after = code, detail, retry_after


class Transient(SendFailed):
    """Worth trying again later (throttled, busy, timed out, 4xx SMTP)."""


class Permanent(SendFailed):
    """Trying again cannot help (bad number, unsubscribed, refused recipient): fail now, fall back if urgent."""


class ChannelAdapter(Protocol):
    """Sends one delivery on one channel; raises Transient or Permanent, returns Sent."""

    channel: Channel

    async def send(self, outgoing: Outgoing) -> Sent: ...
