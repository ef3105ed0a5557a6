"""A simulated afternoon on the real stack (AT-4, AT-5, AT-6, BX-5): staggered dismissal, an early pickup, a
walker, a child not collected who goes to reception and up the escalation ladder, a late fee, and 清校."""

from __future__ import annotations

from collections import Counter

import pytest
from prometheus_client import Gauge

from chassis.clock import FakeClock
from contracts.enrollment import StudentEnrolled
from services.attendance.dismissal.handlers import NOT_COLLECTED_FIGURE
from services.attendance.timers.timers import fire_due
from tests.conftest import ServiceClient
from tests.services.attendance_afternoon import (
    ADMIN,
    DUTY,
    KIOSK,
    OTHER_DUTY,
    TEACHER,
    afternoon,
    checkout,
    everyone_checked_in,
    local,
    more_children,
)
from tests.services.conftest import read_topic, school_figure

pytestmark = [pytest.mark.service, pytest.mark.timeout(180)]

CHECK_INS = "/attendance/v1/check-ins/batch"
CHECK_OUTS = "/attendance/v1/check-outs"


async def at(client: ServiceClient, clock: FakeClock, hour: int, minute: int) -> int:
    """Move the afternoon on to hh:mm and fire what is due then."""
    clock.advance(local(hour, minute) - clock.now())
    return await fire_due(client.runtime)


async def test_at6_an_afternoon_with_a_child_not_collected(pg_url: str, topic_prefix: str) -> None:
    clock = FakeClock(local(15, 0))
    seen: dict[Gauge, set[str]] = {}
    async with afternoon(pg_url, topic_prefix, clock) as client:
        upload = await everyone_checked_in(client, local(15, 0))
        assert upload.json()["created"] == 4
        await at(client, clock, 15, 1)  # the day opens: one timer per dismissal band (AT-4), none per child

        await at(client, clock, 16, 30)  # AT-4 弹性离校: grandpa collects 小丽 early
        early = await client.post(
            CHECK_OUTS,
            json=checkout(
                "xiaoli", local(16, 30), credential_ref="card-grandpa-xiaoli", device_id="s1-gate", place="south gate"
            ),
            headers=KIOSK,
        )
        assert early.status_code == 201
        assert (early.json()["early"], early.json()["handled_by"], early.json()["place"]) == (
            True,
            "guardian",
            "south gate",
        )

        await at(client, clock, 17, 16)  # 17:00 band + 15 min: 小明 is still here
        cases = (
            await client.get("/attendance/v1/not-collected", params={"date": "2026-11-25"}, headers=TEACHER)
        ).json()
        assert [(c["student_id"], c["room_id"], c["step"]) for c in cases["items"]] == [("xiaoming", "s1-reception", 1)]
        assert await school_figure(client.runtime, NOT_COLLECTED_FIGURE, "s1", seen) == 1  # issue 14's panel
        await at(client, clock, 17, 22)  # AT-5: 小红 walks home alone with her standing permission
        walker = await client.post(
            CHECK_OUTS,
            json=checkout("xiaohong", local(17, 22), release="walk_alone", device_id="s1-gate"),
            headers=KIOSK,
        )
        assert (walker.status_code, walker.json()["handled_by"]) == (201, "student")
        await at(client, clock, 17, 25)
        staff = await client.post(
            CHECK_OUTS, json=checkout("xiaogang", local(17, 25), person_id="p-aunt-xiaogang"), headers=TEACHER
        )
        assert (staff.status_code, staff.json()["handled_by"], staff.json()["staff_id"]) == (201, "staff", "t-zhao")

        await at(client, clock, 17, 26)  # guardian 2
        await at(client, clock, 17, 36)  # class teacher (the 17:20 band's timer finds nobody)

        report = (await client.get("/attendance/v1/days/2026-11-25/clearance", headers=ADMIN)).json()
        assert [(u["student_id"], u["in_reception"], u["step"]) for u in report["unaccounted"]] == [
            ("xiaoming", True, 3)
        ]
        elsewhere = await client.get("/attendance/v1/days/2026-11-25/clearance", headers=OTHER_DUTY)
        assert elsewhere.json()["unaccounted"] == []  # another school's duty leader sees none of s1's children
        others = await client.get("/attendance/v1/not-collected", params={"date": "2026-11-25"}, headers=OTHER_DUTY)
        assert others.json()["items"] == []
        refused = await client.post("/attendance/v1/days/2026-11-25/clear", headers=DUTY)
        assert refused.status_code == 409
        assert [u["student_id"] for u in refused.json()["unaccounted"]] == ["xiaoming"]

        await at(client, clock, 17, 40)  # mum arrives: 25 minutes past dismissal + grace → two started blocks
        late = await client.post(
            CHECK_OUTS,
            json=checkout("xiaoming", local(17, 40), credential_ref="card-mum-xiaoming", device_id="s1-gate"),
            headers=KIOSK,
        )
        assert (late.status_code, late.json()["late_fee_fen"]) == (201, 2000)
        assert await school_figure(client.runtime, NOT_COLLECTED_FIGURE, "s1", seen) == 0  # collected
        await at(client, clock, 17, 50)  # the duty-leader step finds nobody left
        assert (await client.post("/attendance/v1/days/2026-11-25/clear", headers=OTHER_DUTY)).status_code == 201
        cleared = await client.post("/attendance/v1/days/2026-11-25/clear", headers=DUTY)
        assert cleared.status_code == 201
        assert cleared.json()["cleared"] is True
        again = await client.post("/attendance/v1/days/2026-11-25/clear", headers=DUTY)
        assert again.status_code == 200

        published = await read_topic(client.prefix, "attendance.events", count=15)
        kinds = Counter(e.type.removeprefix("attendance.").removesuffix(".v1") for e in published)
        assert kinds == {
            "student_checked_in": 4,
            "student_checked_out": 4,
            "student_moved_to_reception": 1,
            "student_not_collected": 3,
            "late_pickup_charged": 1,
            "day_cleared": 2,  # s1's, and s2's empty day
        }
        ladder = [
            (e.data["step"], e.data["escalation"], e.data["recipient_id"], e.data["class_teacher_id"])
            for e in published
            if e.type == "attendance.student_not_collected.v1"
        ]
        assert ladder == [  # every rung names the class teacher, whom notify tells at the staff rungs (issue 10)
            (1, "guardian_1", "dad-xiaoming", "t-li"),
            (2, "guardian_2", "mum-xiaoming", "t-li"),
            (3, "class_teacher", "t-li", "t-li"),
        ]
        fee = next(e.data for e in published if e.type == "attendance.late_pickup_charged.v1")
        assert (fee["student_id"], fee["blocks"], fee["fee_fen"]) == ("xiaoming", 2, 2000)


async def test_at4_at6_hundreds_of_children_leave_band_by_band_and_only_the_uncollected_escalate(
    pg_url: str, topic_prefix: str
) -> None:
    clock = FakeClock(local(15, 0))
    extra = more_children(per_grade=30)
    children = [e.student_id for e in extra if isinstance(e, StudentEnrolled)]
    async with afternoon(pg_url, topic_prefix, clock, extra) as client:
        everyone = [*children, "xiaoli", "xiaohong", "xiaogang", "xiaoming"]
        events = [{"student_id": s, "occurred_at": local(15, 0).isoformat(), "method": "card"} for s in everyone]
        upload = await client.post(CHECK_INS, json={"device_id": "s1-gate", "events": events}, headers=KIOSK)
        assert upload.json()["created"] == len(everyone)
        await at(client, clock, 15, 1)
        bands = {(17, 5): (1, 2), (17, 25): (3, 4), (17, 35): (5, 6)}  # AT-4: five minutes into each band
        for (hour, minute), grades in bands.items():
            await at(client, clock, hour, minute)
            leaving = [c for c in children if int(c[1]) in grades]
            batch = [
                {"student_id": c, "occurred_at": local(hour, minute).isoformat(), "credential_ref": f"card-{c}"}
                for c in leaving
            ]
            if grades == (3, 4):
                batch += [
                    {
                        "student_id": "xiaogang",
                        "occurred_at": local(hour, minute).isoformat(),
                        "credential_ref": "card-aunt-xiaogang",
                    },
                    {"student_id": "xiaohong", "occurred_at": local(hour, minute).isoformat(), "release": "walk_alone"},
                ]
            if grades == (1, 2):
                batch.append(
                    {
                        "student_id": "xiaoli",
                        "occurred_at": local(hour, minute).isoformat(),
                        "credential_ref": "card-grandpa-xiaoli",
                    }
                )
            answer = await client.post(
                CHECK_OUTS + "/batch", json={"device_id": "s1-gate", "events": batch}, headers=KIOSK
            )
            assert (answer.json()["created"], answer.json()["refused"]) == (len(batch), 0)
        for minute in (16, 26, 36, 46):  # 小明's ladder, one step every ten minutes; every other band finds nobody
            await at(client, clock, 17, minute)
        late = await client.post(
            CHECK_OUTS, json=checkout("xiaoming", local(17, 50), person_id="p-mum-xiaoming"), headers=TEACHER
        )
        assert late.json()["late_fee_fen"] == 3000  # 35 minutes after dismissal + grace: three started blocks
        assert (await client.post("/attendance/v1/days/2026-11-25/clear", headers=DUTY)).status_code == 201

        total = 2 * len(everyone) + 1 + 4 + 1 + 1
        published = await read_topic(client.prefix, "attendance.events", count=total)
        kinds = Counter(e.type.removeprefix("attendance.").removesuffix(".v1") for e in published)
        assert kinds == {
            "student_checked_in": len(everyone),
            "student_checked_out": len(everyone),
            "student_moved_to_reception": 1,
            "student_not_collected": 4,
            "late_pickup_charged": 1,
            "day_cleared": 1,
        }
        assert {e.subject for e in published if e.type == "attendance.student_not_collected.v1"} == {"xiaoming"}
