"""Broadcast guardrails on notify's side (issue 10): the same emergency message to the same guardians, sent again
and again within the window, is one alert per guardian; a different message, or the same after the window, is
sent. (Today's code turned five clicks into five alerts per guardian.)"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from chassis.auth import Role
from contracts.attendance.emergency import EmergencyBroadcast, EmergencyReason
from contracts.enrollment import GuardianLinked, StudentEnrolled
from contracts.envelope import Envelope, Event
from services.notify import store
from services.notify.alerts.handlers import COPY_FROM_ROWS
from tests.conftest import auth, eventually
from tests.services.conftest import publish_envelopes
from tests.simulators.notify_stack import (
    EMAIL,
    MUM,
    PHONE,
    ROSTER,
    deliveries,
    notify_after,
    set_preferences,
)

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

ISSUED = datetime(2026, 11, 25, 7, 30, tzinfo=UTC)


def broadcast(n: int, *, reason: EmergencyReason = EmergencyReason.WEATHER, minutes_later: int = 0) -> Envelope:
    event = EmergencyBroadcast(
        broadcast_id=f"b{n}",
        school_id="s1",
        drill=False,
        reason=reason,
        dismiss_at=datetime(2026, 11, 25, 8, 0, tzinfo=UTC),
        issued_by="duty-leader",
        note="暴雨预警，提前放学。",
    )
    return Envelope.wrap(event, source="/attendance", school_id="s1", time=ISSUED + timedelta(minutes=minutes_later))


async def test_five_identical_broadcasts_are_one_alert_per_guardian(pg_url: str, topic_prefix: str) -> None:
    dad = ROSTER[1].model_copy(update={"guardian_id": "dad", "relation": "父亲"})
    async with notify_after(pg_url, topic_prefix, [*ROSTER, dad]) as (_outside, notify):
        await publish_envelopes(topic_prefix, [broadcast(n, minutes_later=n) for n in range(5)])

        async def told(headers: dict[str, str]) -> list[str]:
            items = (await notify.get("/notify/v1/notifications", headers=headers)).json()["items"]
            return [item["title"] for item in items]

        await eventually(lambda: told(MUM))
        await asyncio.sleep(1.5)  # the four repeats would land now
        assert len(await told(MUM)) == 1
        assert len(await told(auth(Role.GUARDIAN, "dad", school="s1"))) == 1

        other_reason = next(e for e in EmergencyReason if e != EmergencyReason.WEATHER)
        await publish_envelopes(
            topic_prefix, [broadcast(5, reason=other_reason, minutes_later=6), broadcast(6, minutes_later=30)]
        )  # a new message, and the first one again after the 10-minute window

        async def three() -> bool:
            return len(await told(MUM)) == 3

        await eventually(three)


async def test_a_broadcast_to_more_guardians_than_an_insert_takes_stores_every_row_by_copy_and_pushes_each_live(
    pg_url: str, topic_prefix: str
) -> None:
    """NT-3 on the COPY path (issue 10): the rows are made as the COPY sends them, and still every guardian has one
    notification, its in-app delivery and its chosen channel's, with the fall-back order intact, and the live event."""
    many = COPY_FROM_ROWS + 50
    roster: list[Event] = []
    for n in range(many):
        child, guardian = ("xiaoming", "mum") if n == 0 else (f"c{n}", f"g{n}")
        roster += [
            StudentEnrolled(student_id=child, school_id="s1", class_id="s1-g3-c1", grade=3, name=f"孩子{n}"),
            GuardianLinked(guardian_id=guardian, student_id=child, school_id="s1", relation="母亲"),
        ]
    async with notify_after(pg_url, topic_prefix, roster) as (_outside, notify):
        await set_preferences(notify, {"channels": {"urgent": ["email", "sms"]}, "email": EMAIL, "phone": PHONE})
        runtime = notify.runtime
        listener = await runtime.broadcaster.listen("guardian:g7")
        try:
            sent = broadcast(0)
            await publish_envelopes(topic_prefix, [sent])
            frame = await listener.next_within(30)
        finally:
            await listener.aclose()

        async with runtime.db.sessions() as session:
            stored = (
                (await session.execute(select(store.Notification).where(store.Notification.event_id == sent.id)))
                .scalars()
                .all()
            )
        queued = [d for d in await deliveries(notify) if d.event_id == sent.id]
        assert sorted(n.guardian_id for n in stored) == sorted(["mum", *(f"g{n}" for n in range(1, many))])
        in_app = {d.recipient_id: d for d in queued if d.channel == "in_app"}
        assert len(in_app) == many
        assert {d.state for d in in_app.values()} == {"delivered"}
        assert {d.notification_id for d in in_app.values()} == {n.notification_id for n in stored}
        (email,) = [d for d in queued if d.channel != "in_app"]
        assert (email.recipient_id, email.channel, email.address) == ("mum", "email", EMAIL)
        assert email.fallback == [["sms", PHONE]]  # the JSON column, through the COPY
        assert frame is not None
        assert b"event: notification" in frame
        g7 = next(n for n in stored if n.guardian_id == "g7")
        assert g7.notification_id.encode() in frame
