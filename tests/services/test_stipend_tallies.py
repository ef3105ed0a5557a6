"""Stipend on the real stack (ST-6, ST-7): attended class-hours tallied exactly once, whatever the deliveries."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from chassis.auth import Role
from contracts.attendance import CheckInMethod, StudentCheckedIn
from contracts.envelope import Envelope
from services.stipend.app import DEFINITION
from tests.conftest import ServiceClient, auth, eventually, running, stack_settings
from tests.services.conftest import publish_envelopes

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

ADMIN = auth(Role.SCHOOL_ADMIN, "教务处", school="s1")


def arrival(n: int, student: str, day: int, hour: int = 8, school: str = "s1") -> Envelope:
    event = StudentCheckedIn(
        check_in_id=f"c{n}",
        student_id=student,
        school_id=school,
        device_id="gate",
        method=CheckInMethod.CARD,
        occurred_at=datetime(2026, 11, day, hour, n % 60, tzinfo=UTC),
        session_date=f"2026-11-{day:02d}",
    )
    return Envelope.wrap(event, source="/attendance", school_id=school)


@pytest.fixture
async def stipend(pg_url: str, topic_prefix: str) -> AsyncIterator[ServiceClient]:
    async with running(DEFINITION, stack_settings(DEFINITION, pg_url, topic_prefix)) as client:
        yield client


async def tallies(client: ServiceClient, kind: str, headers: dict[str, str] = ADMIN) -> list[dict[str, object]]:
    response = await client.get(f"/stipend/v1/tallies/{kind}", params={"month": "2026-11"}, headers=headers)
    assert response.status_code == 200
    items: list[dict[str, object]] = response.json()["items"]
    return items


async def test_each_child_counts_once_per_session_whatever_is_delivered_twice(stipend: ServiceClient) -> None:
    monday, monday_again_from_east_gate = arrival(1, "xiaoming", 23), arrival(2, "xiaoming", 23, hour=9)
    envelopes = [
        monday,
        monday,
        monday_again_from_east_gate,
        arrival(3, "xiaoming", 24),
        arrival(4, "xiaohong", 23),
        arrival(5, "xiaogang", 23, school="s2"),
    ]
    await publish_envelopes(stipend.prefix, envelopes)

    async def all_tallied() -> bool:
        return sum(int(t["sessions"]) for t in await tallies(stipend, "students")) == 3  # type: ignore[call-overload]

    await eventually(all_tallied)
    assert await tallies(stipend, "students") == [
        {"student_id": "xiaohong", "sessions": 1, "class_hours": 2},
        {"student_id": "xiaoming", "sessions": 2, "class_hours": 4},
    ]
    assert await tallies(stipend, "sessions") == [
        {"session_date": "2026-11-23", "students": 2, "class_hours": 4},
        {"session_date": "2026-11-24", "students": 1, "class_hours": 2},
    ]
    other_school = await tallies(stipend, "students", auth(Role.SCHOOL_ADMIN, "admin", school="s2"))
    assert other_school == [{"student_id": "xiaogang", "sessions": 1, "class_hours": 2}]


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), (auth(Role.GUARDIAN, "mum", school="s1"), 403), (auth(Role.KIOSK, "gate", school="s1"), 403)],
    ids=["no-token", "guardian", "kiosk"],
)
async def test_only_school_admins_read_tallies(stipend: ServiceClient, headers: dict[str, str], status: int) -> None:
    response = await stipend.get("/stipend/v1/tallies/students", params={"month": "2026-11"}, headers=headers)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_malformed_month_is_a_problem(stipend: ServiceClient) -> None:
    response = await stipend.get("/stipend/v1/tallies/students", params={"month": "2026-13"}, headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "month"]
