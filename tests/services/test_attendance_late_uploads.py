"""Late uploads stay quiet (AT-8, LATE-1..3 in services/attendance/domain/late_uploads.py), on the real stack.

A kiosk that was offline uploads the afternoon at 22:00; another's check-in batch and check-out batch arrive
seconds apart after dismissal. Guardians get no false "moved to reception" or "not collected" alarm; staff see the
uploads marked late, and 清校 still has to account for every child the uploads say is here.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest

from chassis.clock import FakeClock
from services.attendance.timers.timers import fire_due
from tests.conftest import ServiceClient
from tests.services.attendance_afternoon import ADMIN, KIOSK, TEACHER, afternoon, checkout, local
from tests.services.conftest import read_topic

pytestmark = [pytest.mark.service, pytest.mark.timeout(180)]

CHECK_INS = "/attendance/v1/check-ins/batch"
CHECK_OUTS = "/attendance/v1/check-outs/batch"


def arrivals(*children: str, at: datetime) -> list[dict[str, str]]:
    return [{"student_id": s, "occurred_at": at.isoformat(), "method": "card"} for s in children]


async def fire(client: ServiceClient, clock: FakeClock, moment: datetime) -> int:
    """Move the clock to `moment` and fire what is due, as the worker would."""
    clock.advance(moment - clock.now())
    return await fire_due(client.runtime)


async def published_kinds(client: ServiceClient, count: int) -> Counter[str]:
    published = await read_topic(client.prefix, "attendance.events", count=count)
    return Counter(e.type.removeprefix("attendance.").removesuffix(".v1") for e in published)


async def test_late1_late3_an_afternoon_uploaded_at_22_00_alarms_nobody_and_shows_late_to_staff(
    pg_url: str, topic_prefix: str
) -> None:
    clock = FakeClock(local(22, 0))  # the kiosk was offline from lunch until 22:00; nothing opened the day before
    async with afternoon(pg_url, topic_prefix, clock) as client:
        children = ("xiaoming", "xiaoli", "xiaohong", "xiaogang")
        body = {"device_id": "s1-gate", "events": arrivals(*children, at=local(15, 0))}
        assert (await client.post(CHECK_INS, json=body, headers=KIOSK)).json()["created"] == 4
        leaving = [
            checkout("xiaoli", local(17, 2), credential_ref="card-grandpa-xiaoli"),
            checkout("xiaohong", local(17, 21), release="walk_alone"),
            checkout("xiaogang", local(17, 25), credential_ref="card-aunt-xiaogang"),
        ]  # 小明's check-out never made it into the queue
        uploaded = await client.post(CHECK_OUTS, json={"device_id": "s1-gate", "events": leaving}, headers=KIOSK)
        assert uploaded.status_code == 200, uploaded.text
        assert await fire(client, clock, local(22, 0)) == 0  # every band's moment is history: expired, not fired
        assert await fire(client, clock, local(23, 30)) == 0

        assert await published_kinds(client, count=7) == {"student_checked_in": 4, "student_checked_out": 3}
        listed = await client.get("/attendance/v1/check-ins", params={"date": "2026-11-25"}, headers=TEACHER)
        assert {c["student_id"]: c["late"] for c in listed.json()["items"]} == dict.fromkeys(children, True)
        outs = await client.get("/attendance/v1/check-outs", params={"date": "2026-11-25"}, headers=TEACHER)
        assert {c["late"] for c in outs.json()["items"]} == {True}
        clearance = (await client.get("/attendance/v1/days/2026-11-25/clearance", headers=ADMIN)).json()
        assert [(u["student_id"], u["in_reception"]) for u in clearance["unaccounted"]] == [("xiaoming", False)]


async def test_late2_a_check_in_batch_and_its_check_outs_seconds_apart_after_dismissal_alarm_nobody(
    pg_url: str, topic_prefix: str
) -> None:
    clock = FakeClock(local(15, 0))
    async with afternoon(pg_url, topic_prefix, clock) as client:
        gate = {"device_id": "s1-gate", "events": arrivals("xiaogang", at=local(15, 0))}
        on_time = await client.post(CHECK_INS, json=gate, headers=KIOSK)
        assert on_time.json()["results"][0]["outcome"] == "created"
        await fire(client, clock, local(15, 1))  # the day opens in time: one timer per dismissal band

        # The classroom kiosk was offline all afternoon; it reconnects at 17:31, after the grades 1-2 band's
        # not-collected moment (17:00 + 15 min), and the worker is behind: it fires that band between the uploads.
        clock.advance(local(17, 31) - clock.now())
        late = {"device_id": "s1-gate", "events": arrivals("xiaoming", "xiaoli", at=local(15, 2))}
        assert (await client.post(CHECK_INS, json=late, headers=KIOSK)).json()["created"] == 2
        await fire(client, clock, local(17, 31))  # the 17:15 moment is judged now, before the check-outs arrive
        clock.advance(timedelta(seconds=5))
        leaving = [
            checkout("xiaoming", local(17, 5), credential_ref="card-mum-xiaoming"),
            checkout("xiaoli", local(17, 6), credential_ref="card-grandpa-xiaoli"),
        ]
        uploaded = await client.post(CHECK_OUTS, json={"device_id": "s1-gate", "events": leaving}, headers=KIOSK)
        assert uploaded.status_code == 200, uploaded.text

        # 小刚's check-in was known in time and nobody collected him: the grades 3-4 band still moves him.
        await fire(client, clock, local(17, 36))
        cases = await client.get("/attendance/v1/not-collected", params={"date": "2026-11-25"}, headers=TEACHER)
        assert [c["student_id"] for c in cases.json()["items"]] == ["xiaogang"]
        kinds = await published_kinds(client, count=7)
        assert kinds == {
            "student_checked_in": 3,
            "student_checked_out": 2,
            "student_moved_to_reception": 1,
            "student_not_collected": 1,
        }
        listed = await client.get("/attendance/v1/check-ins", params={"date": "2026-11-25"}, headers=TEACHER)
        assert {c["student_id"]: c["late"] for c in listed.json()["items"]} == {
            "xiaogang": False,
            "xiaoli": True,
            "xiaoming": True,
        }
