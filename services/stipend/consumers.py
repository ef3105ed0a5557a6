"""What stipend subscribes to: the one registry of its event handlers."""

from __future__ import annotations

from chassis.app import Runtime
from chassis.consumer import Subscription
from services.stipend.facts import handlers as facts
from services.stipend.reference import handlers as reference


def subscription(_runtime: Runtime) -> Subscription:
    """Enrollment's set-up first (policy, programs, roster, fees), then attendance's facts."""
    overlap = reference.HANDLERS.keys() & facts.HANDLERS.keys()
    assert not overlap, f"two handlers for {overlap}"
    # Every fact handler only keeps its row under the fact's own id: a redelivered fact changes nothing without an
    # inbox row, which was half of what a check-in wrote here (issue 9).
    return Subscription({**reference.HANDLERS, **facts.HANDLERS}, idempotent=frozenset(facts.HANDLERS))
