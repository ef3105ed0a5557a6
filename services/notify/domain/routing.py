"""Which channels a guardian's notification goes to, in which order (NT-2)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from services.notify.domain.channels import EXTERNAL_CHANNELS, Category, Channel
from services.notify.domain.quiet_hours import QuietHours


@dataclass(frozen=True)
class Addresses:
    """Where a guardian can be reached outside the app."""

    email: str | None = None
    phone: str | None = None
    wechat_openid: str | None = None

    def of(self, channel: Channel) -> str | None:
        """The address for `channel`, or None if the guardian gave none."""
        return {Channel.EMAIL: self.email, Channel.SMS: self.phone, Channel.WECHAT: self.wechat_openid}.get(channel)


@dataclass(frozen=True)
class Preferences:
    """A guardian's own choices; without any, a guardian is told in the app only."""

    channels: Mapping[Category, Sequence[Channel]] = field(default_factory=dict)
    addresses: Addresses = Addresses()
    quiet: QuietHours | None = None


def route(preferences: Preferences | None, category: Category) -> list[tuple[Channel, str]]:
    """The outside channels to try, in the guardian's order, each with its address; channels without an address
    are skipped, since they could never deliver (NT-2). The first is sent at once; the rest are the urgent
    fall-backs."""
    if preferences is None:
        return []
    order = preferences.channels.get(category, ())
    chosen: list[tuple[Channel, str]] = []
    for channel in order:
        address = preferences.addresses.of(channel)
        if channel in EXTERNAL_CHANNELS and address and all(channel != c for c, _ in chosen):
            chosen.append((channel, address))
    return chosen


def falls_back(*, urgent: bool, remaining: Sequence[object]) -> bool:
    """NT-2: only urgent alerts move on to the next channel when one fails or goes unanswered."""
    return urgent and bool(remaining)
