"""Dismissal plans and times on the real stack (AT-4, BX-5): standing, one-day and repeating changes, the cutoff."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from chassis.clock import FakeClock
from tests.conftest import ServiceClient
from tests.services.attendance_afternoon import (
    ADMIN,
    CLASS_TEACHER_G3,
    KIOSK,
    MUM,
    OTHER_ADMIN,
    STRANGER_PARENT,
    TEACHER,
    afternoon,
    local,
)
from tests.services.conftest import read_topic

pytestmark = [pytest.mark.service, pytest.mark.timeout(180)]

PLAN = "/attendance/v1/students/xiaoming/dismissal-plan"


@pytest.fixture
async def attendance(pg_url: str, topic_prefix: str) -> AsyncIterator[ServiceClient]:
    """s1 on Wednesday 2026-11-25 at 14:00, before the 15:00 cutoff."""
    clock = FakeClock(local(14, 0))
    async with afternoon(pg_url, topic_prefix, clock) as client:
        yield client


async def test_bx5_a_guardian_sets_every_wednesday_by_bus_and_one_day_with_grandpa(
    attendance: ServiceClient,
) -> None:
    weekly = await attendance.post(f"{PLAN}/changes", json={"mode": "bus", "weekday": 2}, headers=MUM)
    assert weekly.status_code == 201
    assert (weekly.json()["date"], weekly.json()["mode"]) == ("2026-11-25", "bus")  # today still, before the cutoff
    assert weekly.json()["dismissal_at"] == local(17, 0).isoformat()  # AT-4: grade 1 leaves at 17:00
    nextweek = await attendance.get(PLAN, params={"date": "2026-12-02"}, headers=MUM)
    assert nextweek.json()["mode"] == "bus"
    thursday = await attendance.get(PLAN, params={"date": "2026-11-26"}, headers=TEACHER)
    assert thursday.json()["mode"] == "guardian"
    one_day = await attendance.post(f"{PLAN}/changes", json={"mode": "guardian", "on": "2026-12-02"}, headers=MUM)
    assert one_day.json()["mode"] == "guardian"
    assert (await attendance.get(PLAN, params={"date": "2026-12-09"}, headers=MUM)).json()["mode"] == "bus"
    events = await read_topic(attendance.prefix, "attendance.events", count=2)
    assert [(e.type, e.data["mode"], e.data["weekday"], e.data["on"]) for e in events] == [
        ("attendance.dismissal_plan_changed.v1", "bus", 2, None),
        ("attendance.dismissal_plan_changed.v1", "guardian", None, "2026-12-02"),
    ]


async def test_bx5_todays_plan_cannot_change_after_the_cutoff(attendance: ServiceClient) -> None:
    attendance.fake_clock.advance(local(15, 30) - attendance.clock.now())
    today = await attendance.post(f"{PLAN}/changes", json={"mode": "walker", "on": "2026-11-25"}, headers=MUM)
    assert (today.status_code, today.json()["rule"]) == (422, "BX-5")
    assert "15:00" in today.json()["detail"]
    weekly = await attendance.post(f"{PLAN}/changes", json={"mode": "bus", "weekday": 2}, headers=MUM)
    assert weekly.json()["date"] == "2026-12-02"  # starts next Wednesday
    standing = await attendance.post(f"{PLAN}/changes", json={"mode": "program"}, headers=ADMIN)
    assert standing.json()["date"] == "2026-11-26"  # a standing change after the cutoff starts tomorrow
    assert (await attendance.get(PLAN, params={"date": "2026-11-25"}, headers=MUM)).json()["mode"] == "guardian"


async def test_at4_the_schools_staggered_dismissal_times(attendance: ServiceClient) -> None:
    times = await attendance.get("/attendance/v1/dismissal/times", params={"date": "2026-11-25"}, headers=TEACHER)
    assert times.json()["bands"] == [{"time": "17:00:00", "grades": [1]}, {"time": "17:20:00", "grades": [3]}]
    elsewhere = await attendance.get(
        "/attendance/v1/dismissal/times", params={"date": "2026-11-25"}, headers=OTHER_ADMIN
    )
    assert elsewhere.json()["bands"] == [{"time": "17:00:00", "grades": [1]}]  # s2's own grade, default policy
    assert (
        await attendance.get("/attendance/v1/dismissal/times", params={"date": "2026-11-25"}, headers=MUM)
    ).status_code == 403


@pytest.mark.parametrize(
    ("headers", "change_status", "read_status"),
    [
        (STRANGER_PARENT, 404, 404),
        (OTHER_ADMIN, 404, 404),
        (CLASS_TEACHER_G3, 404, 404),
        (KIOSK, 403, 403),
        (TEACHER, 403, 200),  # a service teacher reads plans at dismissal but does not change them
    ],
    ids=["other-family", "other-school", "other-class", "kiosk", "service-teacher"],
)
async def test_nobody_else_changes_or_reads_a_childs_plan(
    attendance: ServiceClient, headers: dict[str, str], change_status: int, read_status: int
) -> None:
    change = await attendance.post(f"{PLAN}/changes", json={"mode": "walker"}, headers=headers)
    assert change.status_code == change_status
    read = await attendance.get(PLAN, params={"date": "2026-11-25"}, headers=headers)
    assert read.status_code == read_status
    assert (await attendance.get(PLAN, params={"date": "2026-11-26"}, headers=MUM)).json()["changes"] == []
