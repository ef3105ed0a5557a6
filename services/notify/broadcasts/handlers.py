"""Emergency broadcasts to a school's guardians, with repeats merged (BX-7, issue 10's broadcast guardrails)."""

from __future__ import annotations

import logging
from datetime import timedelta

from chassis.consumer import Handler
from chassis.uow import UnitOfWork
from contracts.attendance.emergency import EmergencyBroadcast
from contracts.envelope import Envelope
from services.notify.broadcasts import store
from services.notify.domain.broadcasts import broadcast_key, is_repeat

log = logging.getLogger(__name__)


def merging_repeats(handler: Handler, window: timedelta) -> Handler:
    """The broadcast handler, unless the same message went to the same guardians within `window` (then the
    repeat is counted on the first and nobody is told twice)."""

    async def handle(uow: UnitOfWork, event: EmergencyBroadcast, envelope: Envelope) -> None:
        # Two repeats handled at once (two partitions, two replicas) must not both pass as "the first".
        await uow.lock(f"notify-broadcast:{event.school_id}")
        key = broadcast_key(
            school_id=event.school_id,
            grades=event.grades,
            drill=event.drill,
            reason=str(event.reason),
            dismiss_at=event.dismiss_at,
            note=event.note,
        )
        recent = await uow.session.get(store.RecentBroadcast, (event.school_id, key))
        if recent is not None and is_repeat(recent.sent_at, envelope.time, window):
            recent.merged += 1
            await uow.session.flush()
            log.info("emergency broadcast merged into an earlier one", extra={"broadcast_id": event.broadcast_id})
            return
        if recent is None:
            uow.session.add(
                store.RecentBroadcast(
                    school_id=event.school_id, key=key, broadcast_id=event.broadcast_id, sent_at=envelope.time, merged=0
                )
            )
        else:
            recent.broadcast_id, recent.sent_at, recent.merged = event.broadcast_id, envelope.time, 0
        await uow.session.flush()  # a repeat later in the same batch must find it
        await handler(uow, event, envelope)

    return handle
