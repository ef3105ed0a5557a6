"""Events published by the stipend service on `stipend.events`."""

from __future__ import annotations

from contracts.envelope import Event

TOPIC = "stipend.events"

# The stipend domain is built in its own issue; its events are added here, versioned, when it publishes any.
EVENTS: tuple[type[Event], ...] = ()
