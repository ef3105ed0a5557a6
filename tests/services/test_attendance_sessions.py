"""The day's sessions, derived on demand from enrollment's facts (issue 4 §1; EN-4, EN-5, EN-6)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chassis.auth import Role
from chassis.clock import FakeClock
from contracts.enrollment import AgreementSigned, EnrollmentWithdrawn, StudentEnrolled
from tests.conftest import auth, eventually
from tests.services.conftest import publish_as_producer
from tests.services.test_attendance_reference import (
    AT,
    CHESS,
    DAY,
    HOMEWORK,
    STUDENTS_A,
    STUDENTS_B,
    TERM,
    school,
)

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

ADMIN = auth(Role.SCHOOL_ADMIN, "admin-1", school="s1")
OTHER_SCHOOL = auth(Role.SCHOOL_ADMIN, "admin-2", school="s2")
NOW = datetime(2026, 9, 16, 6, 0, tzinfo=UTC)


async def test_a_school_day_lists_its_sessions_with_times_teachers_and_expected_children(
    pg_url: str, topic_prefix: str
) -> None:
    withdrawn = EnrollmentWithdrawn(
        application_id="app-gang",
        student_id="gang",
        school_id="s1",
        term_id=TERM,
        by="admin",
        at=NOW,
        effective_on=DAY,
    )
    async with school(pg_url, topic_prefix, FakeClock(AT), [withdrawn]) as client:
        sessions = "/attendance/v1/sessions"

        async def gang_withdrawn() -> bool:
            found = (await client.get(f"{sessions}/{HOMEWORK}:{DAY}", headers=ADMIN)).json()
            return "gang" not in found.get("expected_student_ids", ["gang"])

        await eventually(gang_withdrawn)
        listed = await client.get(sessions, params={"date": DAY.isoformat()}, headers=ADMIN)
        assert listed.status_code == 200
        items = listed.json()["items"]
        assert [s["session_id"] for s in items] == [f"{CHESS}:{DAY}", f"{HOMEWORK}:{DAY}"]
        chess, homework = items
        assert chess["expected_student_ids"] == ["ming"]
        assert chess["kind"] == "club"
        assert chess["teacher_ids"] == ["t-chess"]
        # EN-5: 16:00 local is 08:00 UTC; two class-hours of 40 minutes end at 17:20 local.
        assert homework["starts_at"] == "2026-09-16T08:00:00Z"
        assert homework["ends_at"] == "2026-09-16T09:20:00Z"
        assert homework["room_id"] == "s1-r101"
        assert homework["teacher_ids"] == ["t-service"]
        everyone_but_gang = sorted(s for s in STUDENTS_A + STUDENTS_B if s != "gang")
        assert homework["expected_student_ids"] == everyone_but_gang  # EN-2: withdrawn on the day

        thursday = await client.get(sessions, params={"date": "2026-09-17"}, headers=ADMIN)
        assert [s["session_id"] for s in thursday.json()["items"]] == [f"{HOMEWORK}:2026-09-17"]  # chess: Wednesdays
        for no_school in ("2026-10-01", "2026-09-19", "2026-08-12"):  # holiday, weekend, vacation
            assert (await client.get(sessions, params={"date": no_school}, headers=ADMIN)).json()["items"] == []
        page = (await client.get(sessions, params={"date": DAY.isoformat(), "limit": 1}, headers=ADMIN)).json()
        assert [s["session_id"] for s in page["items"]] == [f"{CHESS}:{DAY}"]
        rest = await client.get(sessions, params={"date": DAY.isoformat(), "after": page["next"]}, headers=ADMIN)
        assert [s["session_id"] for s in rest.json()["items"]] == [f"{HOMEWORK}:{DAY}"]
        assert rest.json()["next"] is None


async def test_another_schools_token_sees_no_session(pg_url: str, topic_prefix: str) -> None:
    async with school(pg_url, topic_prefix, FakeClock(AT)) as client:
        listed = await client.get("/attendance/v1/sessions", params={"date": DAY.isoformat()}, headers=OTHER_SCHOOL)
        assert (listed.status_code, listed.json()["items"]) == (200, [])
        one = await client.get(f"/attendance/v1/sessions/{HOMEWORK}:{DAY}", headers=OTHER_SCHOOL)
        assert one.status_code == 404
        guardian = auth(Role.GUARDIAN, "g-ming", school="s1")
        assert (await client.get(f"/attendance/v1/sessions/{HOMEWORK}:{DAY}", headers=guardian)).status_code == 403
        assert (await client.get("/attendance/v1/sessions/nonsense", headers=ADMIN)).status_code == 404
        assert (await client.get(f"/attendance/v1/sessions/{HOMEWORK}:{DAY}", headers=ADMIN)).status_code == 200


async def test_a_child_enrolled_mid_day_joins_that_days_session(pg_url: str, topic_prefix: str) -> None:
    """Derived on demand: a fact arriving mid-day changes the session at once, with no batch to re-run."""
    async with school(pg_url, topic_prefix, FakeClock(AT)) as client:
        late = [
            StudentEnrolled(student_id="new", school_id="s1", class_id="s1-g3-c1", grade=3, name="new"),
            AgreementSigned(
                application_id="app-new",
                student_id="new",
                school_id="s1",
                term_id=TERM,
                by="g",
                at=NOW,
                active_from=DAY,
            ),
        ]
        await publish_as_producer(client.prefix, late, school_id="s1")

        async def joined() -> bool:
            found = (await client.get(f"/attendance/v1/sessions/{HOMEWORK}:{DAY}", headers=ADMIN)).json()
            return "new" in found["expected_student_ids"]

        await eventually(joined)
