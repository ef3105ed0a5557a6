"""Emergency early dismissal on the real stack (AT-7, BX-7): a broadcast, a drill, the all-clear, and children of
the covered grades not collected by the early time go to reception."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from chassis.auth import Role
from chassis.clock import FakeClock
from services.attendance.emergency import store
from services.attendance.timers.timers import fire_due
from tests.conftest import ServiceClient, auth
from tests.services.attendance_afternoon import (
    ADMIN,
    DUTY,
    KIOSK,
    MUM,
    OTHER_ADMIN,
    OTHER_DUTY,
    TEACHER,
    afternoon,
    count,
    everyone_checked_in,
    local,
)
from tests.services.conftest import read_topic

pytestmark = [pytest.mark.service, pytest.mark.timeout(180)]

BROADCASTS = "/attendance/v1/emergency/broadcasts"


@pytest.fixture
async def attendance(pg_url: str, topic_prefix: str) -> AsyncIterator[ServiceClient]:
    """s1 at 14:00 with every child checked in at 13:50."""
    clock = FakeClock(local(14, 0))
    async with afternoon(pg_url, topic_prefix, clock) as client:
        await everyone_checked_in(client, local(13, 50))
        yield client


async def test_at7_a_storm_sends_grade_1_home_early_and_the_uncollected_go_to_reception(
    attendance: ServiceClient,
) -> None:
    body = {"grades": [1], "reason": "weather", "dismiss_at": local(15, 0).isoformat(), "note": "暴雨预警"}
    response = await attendance.post(BROADCASTS, json=body, headers={**DUTY, "Idempotency-Key": "storm"})
    assert response.status_code == 201
    broadcast = response.json()
    assert (broadcast["grades"], broadcast["drill"], broadcast["issued_by"]) == ([1], False, "duty_leader:duty-chen")
    again = await attendance.post(BROADCASTS, json=body, headers={**DUTY, "Idempotency-Key": "storm"})
    assert again.json() == broadcast
    collected = {
        "student_id": "xiaoli",
        "occurred_at": local(15, 5).isoformat(),
        "credential_ref": "card-grandpa-xiaoli",
        "device_id": "s1-gate",
    }
    clock: FakeClock = attendance.fake_clock
    clock.advance(local(15, 5) - clock.now())
    assert (await attendance.post("/attendance/v1/check-outs", json=collected, headers=KIOSK)).status_code == 201
    clock.advance(timedelta(minutes=11))  # 15:16: fifteen minutes after the early dismissal
    await fire_due(attendance.runtime)
    cases = await attendance.get("/attendance/v1/not-collected", params={"date": "2026-11-25"}, headers=TEACHER)
    assert [c["student_id"] for c in cases.json()["items"]] == ["xiaoming"]  # grade 3 is not dismissed yet
    clear = await attendance.post(f"{BROADCASTS}/{broadcast['broadcast_id']}/all-clear", headers=ADMIN)
    assert (clear.status_code, clear.json()["cleared_by"]) == (200, "school_admin:admin-1")
    twice = await attendance.post(f"{BROADCASTS}/{broadcast['broadcast_id']}/all-clear", headers=ADMIN)
    assert (twice.status_code, twice.json()["rule"]) == (409, "BX-7")
    events = await read_topic(attendance.prefix, "attendance.events", count=4 + 5)
    kinds = [e.type for e in events if e.type != "attendance.student_checked_in.v1"]
    assert sorted(kinds) == [  # school and student events are keyed apart: compare without order
        "attendance.emergency_all_clear.v1",
        "attendance.emergency_broadcast.v1",
        "attendance.student_checked_out.v1",
        "attendance.student_moved_to_reception.v1",
        "attendance.student_not_collected.v1",
    ]
    sent = next(e for e in events if e.type == "attendance.emergency_broadcast.v1")
    assert (sent.subject, sent.data["grades"], sent.data["reason"], sent.data["drill"]) == ("s1", [1], "weather", False)


async def test_bx7_a_drill_is_announced_as_a_drill_and_changes_nobodys_day(attendance: ServiceClient) -> None:
    body = {"drill": True, "reason": "emergency", "dismiss_at": local(15, 0).isoformat()}
    drill = await attendance.post(BROADCASTS, json=body, headers=ADMIN)
    assert (drill.status_code, drill.json()["drill"], drill.json()["grades"]) == (201, True, [])
    clock: FakeClock = attendance.fake_clock
    clock.advance(local(15, 30) - clock.now())
    await fire_due(attendance.runtime)
    cases = await attendance.get("/attendance/v1/not-collected", params={"date": "2026-11-25"}, headers=TEACHER)
    assert cases.json()["items"] == []
    assert (
        await attendance.post(f"{BROADCASTS}/{drill.json()['broadcast_id']}/all-clear", headers=DUTY)
    ).status_code == 200
    events = await read_topic(attendance.prefix, "attendance.events", count=4 + 2)
    assert [(e.type, e.data["drill"]) for e in events if "emergency" in e.type] == [
        ("attendance.emergency_broadcast.v1", True),
        ("attendance.emergency_all_clear.v1", True),
    ]


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"grades": [7], "reason": "weather", "dismiss_at": local(15, 0).isoformat()}, "no grade 7"),
        ({"reason": "weather", "dismiss_at": local(13, 0).isoformat()}, "past"),
        ({"reason": "weather", "dismiss_at": local(18, 0).isoformat()}, "later"),
    ],
    ids=["unknown-grade", "past", "later-than-usual"],
)
async def test_at7_a_broadcast_that_makes_no_sense_is_refused(
    attendance: ServiceClient, body: dict[str, object], detail: str
) -> None:
    response = await attendance.post(BROADCASTS, json=body, headers=ADMIN)
    assert (response.status_code, response.json()["rule"]) == (422, "AT-7")
    assert detail in response.json()["detail"]
    assert await count(attendance, store.Broadcast) == 0


async def test_only_the_schools_admin_or_duty_leader_broadcast_and_another_school_sees_nothing(
    attendance: ServiceClient,
) -> None:
    body = {"reason": "weather", "dismiss_at": local(15, 0).isoformat()}
    for headers in (MUM, TEACHER, KIOSK, auth(Role.CLASS_TEACHER, "t-li", school="s1")):
        assert (await attendance.post(BROADCASTS, json=body, headers=headers)).status_code == 403
    sent = (await attendance.post(BROADCASTS, json=body, headers=ADMIN)).json()
    other = await attendance.post(f"{BROADCASTS}/{sent['broadcast_id']}/all-clear", headers=OTHER_ADMIN)
    assert other.status_code == 404
    assert (await attendance.get(BROADCASTS, headers=OTHER_ADMIN)).json()["items"] == []
    mine = await attendance.get(BROADCASTS, headers=TEACHER)
    assert [b["broadcast_id"] for b in mine.json()["items"]] == [sent["broadcast_id"]]
    assert await count(attendance, store.Broadcast) == 1


async def test_the_fourth_broadcast_of_one_role_in_a_school_within_the_window_is_a_429_and_sends_nothing(
    attendance: ServiceClient,
) -> None:
    def body(note: str) -> dict[str, object]:
        return {"grades": [1], "drill": True, "reason": "weather", "dismiss_at": local(15, 0).isoformat(), "note": note}

    for n in range(3):  # the default limit: 3 per school and role in 600 s
        assert (await attendance.post(BROADCASTS, json=body(f"b{n}"), headers=DUTY)).status_code == 201
    fourth = {**DUTY, "Idempotency-Key": "fourth"}
    refused = await attendance.post(BROADCASTS, json=body("b3"), headers=fourth)
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["Retry-After"] == "600"  # all three at 14:00 on the test's clock
    assert (refused.json()["limit"], refused.json()["retry_after"]) == (3, 600)
    assert await count(attendance, store.Broadcast) == 3  # nothing recorded

    s2 = {"grades": [1], "reason": "weather", "dismiss_at": local(15, 0).isoformat()}
    assert (await attendance.post(BROADCASTS, json=s2, headers=OTHER_DUTY)).status_code == 201  # another school
    assert (await attendance.post(BROADCASTS, json=body("admin"), headers=ADMIN)).status_code == 201  # another role

    clock: FakeClock = attendance.fake_clock
    clock.advance(timedelta(minutes=9))
    still = await attendance.post(BROADCASTS, json=body("b3"), headers=fourth)
    assert (still.status_code, still.headers["Retry-After"]) == (429, "60")
    clock.advance(timedelta(minutes=1))  # the window has passed: the same request (and key) is accepted now
    accepted = await attendance.post(BROADCASTS, json=body("b3"), headers=fourth)
    assert accepted.status_code == 201, accepted.text
    assert await count(attendance, store.Broadcast) == 6

    events = await read_topic(attendance.prefix, "attendance.events", count=4 + 6)
    sent = [e.data["note"] for e in events if e.type == "attendance.emergency_broadcast.v1"]
    assert sorted(sent, key=str) == sorted(["b0", "b1", "b2", None, "admin", "b3"], key=str)  # no refused one
