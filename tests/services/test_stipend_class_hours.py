"""Attended class-hours on the real stack (SR-1, EN-4..EN-6, ST-7): from the program's class-hours and when the
child was actually there, whatever the order and number of deliveries; a guardian sees only their own child."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from chassis.auth import Role
from chassis.clock import FakeClock
from contracts.attendance import CheckInMethod, StudentCheckedIn
from contracts.attendance.dismissal import HandledBy, Release, StudentCheckedOut
from contracts.enrollment import GuardianLinked, ProgramKind, StudentEnrolled
from contracts.envelope import Envelope
from services.stipend.app import DEFINITION
from tests.conftest import ServiceClient, auth, eventually, running, stack_settings
from tests.events import check_in
from tests.services.conftest import publish_envelopes
from tests.services.test_stipend_statements import MOMENT, envelope, policy, program

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

ADMIN = auth(Role.SCHOOL_ADMIN, "教务处", school="s1")
MUM = auth(Role.GUARDIAN, "mum", school="s1")
BASE = "p-base"
ROSTER = [
    policy(),
    program(BASE, ProgramKind.HOMEWORK_SUPERVISION, 3),  # 15:40–17:40 in 40-minute class-hours (EN-5)
    StudentEnrolled(student_id="xiaoming", school_id="s1", class_id="3-1", grade=3, name="小明"),
    StudentEnrolled(student_id="xiaohong", school_id="s1", class_id="3-1", grade=3, name="小红"),
    GuardianLinked(guardian_id="mum", student_id="xiaoming", school_id="s1", relation="母亲"),
]


def shanghai(day: int, hour: int, minute: int) -> datetime:
    """A Shanghai wall-clock moment of November 2026, in UTC."""
    return datetime(2026, 11, day, hour - 8, minute, tzinfo=UTC)


def arrived(n: int, student: str, day: int, hour: int = 15, minute: int = 35) -> StudentCheckedIn:
    return check_in(f"c{n}", student, shanghai(day, hour, minute), device_id="gate", method=CheckInMethod.CARD)


def collected(n: int, student: str, day: int, hour: int, minute: int) -> StudentCheckedOut:
    return StudentCheckedOut(
        check_out_id=f"o{n}",
        student_id=student,
        school_id="s1",
        day=date(2026, 11, day),
        occurred_at=shanghai(day, hour, minute),
        release=Release.PICKUP_PERSON,
        person_id="mum",
        handled_by=HandledBy.STAFF,
    )


@pytest.fixture
async def stipend(pg_url: str, topic_prefix: str) -> AsyncIterator[ServiceClient]:
    settings = stack_settings(DEFINITION, pg_url, topic_prefix)
    async with running(DEFINITION, settings, clock=FakeClock(MOMENT)) as client:
        yield client


async def tallies(client: ServiceClient) -> list[dict[str, Any]]:
    response = await client.get("/stipend/v1/tallies/students", params={"month": "2026-11"}, headers=ADMIN)
    assert response.status_code == 200
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def deliver(client: ServiceClient, envelopes: list[Envelope]) -> None:
    await publish_envelopes(client.prefix, envelopes)


async def test_a_three_class_hour_program_attended_two_days_is_six_class_hours(stipend: ServiceClient) -> None:
    """The issue's case: 3 class-hours × 2 days = 6 (not a fixed 2 per check-in); early collection costs class-hours."""
    await deliver(stipend, [envelope(e) for e in ROSTER])
    facts = [
        envelope(arrived(1, "xiaoming", 23)),
        envelope(arrived(2, "xiaoming", 24, minute=50)),  # 10 minutes late: keeps the first class-hour (SR-1)
        envelope(collected(3, "xiaoming", 24, 17, 45)),
        envelope(arrived(4, "xiaohong", 23)),
        envelope(collected(5, "xiaohong", 23, 16, 50)),  # collected 50 minutes early: 2 of 3
    ]
    await deliver(stipend, [*facts[::-1], facts[0], facts[2]])  # reversed and partly redelivered (ST-7)

    async def all_there() -> bool:
        lines = await stipend.get("/stipend/v1/tallies/students/xiaoming", params={"month": "2026-11"}, headers=MUM)
        seen = {event for line in lines.json().get("lines", []) for event in line["event_ids"]}
        return (
            seen == {facts[0].id, facts[1].id, facts[2].id}
            and sum(t["class_hours"] for t in await tallies(stipend)) == 8
        )

    await eventually(all_there)
    assert await tallies(stipend) == [
        {"student_id": "xiaohong", "sessions": 1, "class_hours": 2},
        {"student_id": "xiaoming", "sessions": 2, "class_hours": 6},
    ]
    lines = await stipend.get("/stipend/v1/tallies/students/xiaoming", params={"month": "2026-11"}, headers=MUM)
    assert lines.status_code == 200
    body = lines.json()
    assert [(line["day"], line["program_id"], line["class_hours"]) for line in body["lines"]] == [
        ("2026-11-23", BASE, 3),
        ("2026-11-24", BASE, 3),
    ]
    assert body["lines"][1]["event_ids"] == sorted([facts[1].id, facts[2].id])


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        (auth(Role.GUARDIAN, "another-mum", school="s1"), 404),
        (auth(Role.SCHOOL_ADMIN, "admin", school="s2"), 404),
        (auth(Role.KIOSK, "gate", school="s1"), 403),
    ],
    ids=["another-family", "another-school", "kiosk"],
)
async def test_a_childs_lines_are_for_the_school_and_the_childs_own_guardians(
    stipend: ServiceClient, headers: dict[str, str], status: int
) -> None:
    await deliver(stipend, [envelope(e) for e in [*ROSTER, arrived(1, "xiaoming", 23)]])

    async def there() -> bool:
        return bool(await tallies(stipend))

    await eventually(there)
    response = await stipend.get("/stipend/v1/tallies/students/xiaoming", params={"month": "2026-11"}, headers=headers)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
