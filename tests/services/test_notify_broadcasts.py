"""Broadcast guardrails on notify's side (issue 10): the same emergency message to the same guardians, sent again
and again within the window, is one alert per guardian; a different message, or the same after the window, is
sent. (Today's code turned five clicks into five alerts per guardian.)"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from chassis.auth import Role
from contracts.attendance.emergency import EmergencyBroadcast, EmergencyReason
from contracts.envelope import Envelope
from tests.conftest import auth, eventually
from tests.services.conftest import publish_envelopes
from tests.simulators.notify_stack import MUM, ROSTER, notify_after

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
