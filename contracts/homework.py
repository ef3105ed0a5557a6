"""Events published by the homework service on `homework.events`."""

from __future__ import annotations

from contracts.envelope import Event

TOPIC = "homework.events"

# The homework domain is built in its own issue; its events are added here, versioned, when it publishes any.
EVENTS: tuple[type[Event], ...] = ()
