"""Events published by the notify service on `notify.events`."""

from __future__ import annotations

from contracts.envelope import Event

TOPIC = "notify.events"

# The notify domain is built in its own issue; its events are added here, versioned, when it publishes any.
EVENTS: tuple[type[Event], ...] = ()
