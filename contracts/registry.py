"""Every published event type, and the upcasters that read old versions as new ones."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from contracts import attendance, enrollment, homework, notify, stipend
from contracts.envelope import Envelope, Event

EVENT_MODULES = (enrollment, attendance, homework, stipend, notify)

EVENT_TYPES: dict[str, type[Event]] = {model.type: model for module in EVENT_MODULES for model in module.EVENTS}

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
# (old type, new type) -> function turning old `data` into new `data`, applied in chain order.
UPCASTERS: dict[str, tuple[str, Upcaster]] = {}


class UnknownEventType(LookupError):
    """An envelope whose type no contract module publishes."""


def decode(envelope: Envelope) -> Event:
    """Turn an envelope into its typed event, upcasting old versions first."""
    event_type, data = envelope.type, dict(envelope.data)
    while event_type in UPCASTERS:
        event_type, upcast = UPCASTERS[event_type]
        data = upcast(data)
    model = EVENT_TYPES.get(event_type)
    if model is None:
        raise UnknownEventType(envelope.type)
    return model.model_validate(data)
