"""What notify subscribes to: the one registry of its event handlers, merged from the slices'.

Reference data and the `*_alerts` slices each give a map of event type → handler (an event type handled twice is
a mistake, refused at start-up); the broadcast, staff and open-stream slices then wrap some of those handlers. A new
alert slice (e.g. `fee_alerts/handlers.py` with `fee_alerts()`) is one more line in `merged(...)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from chassis.app import Runtime
from chassis.consumer import Handler, Subscription
from contracts.attendance.emergency import EmergencyBroadcast
from contracts.envelope import Event
from contracts.registry import EVENT_TYPES
from services.notify.attendance_alerts.handlers import attendance_alerts, read_ahead
from services.notify.broadcasts.handlers import merging_repeats
from services.notify.enrollment_alerts.handlers import enrollment_alerts
from services.notify.erasure import handlers as erasure
from services.notify.fee_alerts.handlers import fee_alerts
from services.notify.homework_alerts.handlers import homework_alerts
from services.notify.reference import handlers as reference
from services.notify.settings import NotifySettings
from services.notify.staff.handlers import with_staff
from services.notify.subscriptions.handlers import also_to_subscribers, to_subscribers


def subscription(runtime: Runtime) -> Subscription:
    """Rosters and application steps from enrollment; alerts from attendance; homework plans (HW-8); and every
    event type for the district's subscriptions (BX-8)."""
    # Reference data first: a batch is applied topic by topic in this order, so rosters land before the alerts.
    handlers = merged(
        reference.HANDLERS,
        attendance_alerts(),
        homework_alerts(),
        enrollment_alerts(),
        fee_alerts(),
        erasure.HANDLERS,
    )
    window = timedelta(seconds=runtime.settings_as(NotifySettings).broadcast_merge_window_seconds)
    handlers[EmergencyBroadcast] = merging_repeats(handlers[EmergencyBroadcast], window)
    handlers = with_staff(handlers)
    # BX-8: every published event type can be subscribed to; rosters and alerts keep their place in the order.
    handlers = {event: also_to_subscribers(handler) for event, handler in handlers.items()}
    handlers |= {event: to_subscribers for event in EVENT_TYPES.values() if event not in handlers}
    return Subscription(handlers, prefetch=read_ahead)


def merged(*parts: Mapping[type[Event], Handler]) -> dict[type[Event], Handler]:
    """The slices' maps as one, in order; an event type in two of them is refused."""
    handlers: dict[type[Event], Handler] = {}
    for part in parts:
        overlap = handlers.keys() & part.keys()
        assert not overlap, f"two handlers for {overlap}"
        handlers |= part
    return handlers
