"""Teacher statements on the real stack (ST-1..ST-5): a November of sign-ins, records and incidents becomes
statements the school admin approves and publishes; a late patrol finding becomes a reversal on December's.

The helpers at the top build events as enrollment and attendance publish them (the other stipend tests use them).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from chassis.auth import Role
from chassis.clock import FakeClock
from contracts.attendance.staff import (
    ActivityRecordFiled,
    IncidentKind,
    PatrolFindingRecorded,
    SignInStatus,
    StaffIncidentReported,
    TeacherSignedIn,
)
from contracts.enrollment import PolicyProfileSet, ProgramKind, ProgramScheduled
from contracts.envelope import Envelope, Event
from contracts.policy import PolicySettings
from services.stipend.app import DEFINITION
from tests.conftest import ServiceClient, auth, eventually, running, stack_settings
from tests.events import program_scheduled
from tests.services.conftest import publish_envelopes, read_topic

MOMENT = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)  # Wednesday 15:00 in Shanghai
CLOSED = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)  # Tuesday 1 December, 15:00: November is closed
BASE_FEN, SUPPLEMENT_FEN = 5000, 2000  # ST-2: 50 yuan per class-hour, +20 for a specialty program


def envelope(event: Event, school: str = "s1") -> Envelope:
    """An envelope with a fixed time (tests never read the wall clock)."""
    return Envelope.wrap(event, source="/test", school_id=school, time=MOMENT)


def policy(school: str = "s1", **settings: Any) -> PolicyProfileSet:
    values: dict[str, Any] = {
        "stipend_fen_per_class_hour": BASE_FEN,
        "specialty_supplement_fen_per_class_hour": SUPPLEMENT_FEN,
    }
    return PolicyProfileSet(
        school_id=school,
        effective_from=date(2026, 9, 1),
        version=1,
        settings=PolicySettings(**(values | settings)),
    )


def program(
    program_id: str, kind: ProgramKind, class_hours: int, *, starts: time = time(15, 40), specialty: bool = False
) -> ProgramScheduled:
    return program_scheduled(
        program_id, kind, capacity=40, starts_at=starts, class_hours=class_hours, specialty=specialty
    )


def _session(staff: str, program_id: str, day: int, kind: str = "homework_supervision") -> dict[str, Any]:
    return {
        "staff_id": staff,
        "school_id": "s1",
        "session_id": f"{program_id}:2026-11-{day:02d}",
        "session_date": f"2026-11-{day:02d}",
        "session_kind": kind,
        "program_id": program_id,
        "half_session": kind == "noon_care",
    }


def signed_in(
    staff: str, program_id: str, day: int, status: SignInStatus = SignInStatus.ON_TIME, late: int = 0, **kw: Any
) -> TeacherSignedIn:
    at = None if status is SignInStatus.ABSENT else datetime(2026, 11, day, 7, 40 + late, tzinfo=UTC)
    return TeacherSignedIn(
        **_session(staff, program_id, day, **kw),
        status=status,
        signed_in_at=at,
        minutes_late=late,
        decided_by="teacher",
    )


def filed(
    staff: str, program_id: str, day: int, complete: bool = True, revision: int = 1, **kw: Any
) -> ActivityRecordFiled:
    return ActivityRecordFiled(
        **_session(staff, program_id, day, **kw),
        record_id=f"r-{staff}-{program_id}-{day}",
        revision=revision,
        complete=complete,
        missing=[] if complete else ["effect"],
        student_count=28,
    )


def incident(staff: str, program_id: str, day: int, kind: IncidentKind) -> StaffIncidentReported:
    return StaffIncidentReported(
        **_session(staff, program_id, day),
        incident_id=f"i-{staff}-{day}",
        kind=kind,
        reported_by="t-duty",
        reported_at=datetime(2026, 11, day, 9, 0, tzinfo=UTC),
    )


def patrol_found_absent(staff: str, program_id: str, day: int) -> PatrolFindingRecorded:
    return PatrolFindingRecorded(
        **_session(staff, program_id, day),
        patrol_id=f"patrol-{staff}-{day}",
        duty_leader_id="t-duty",
        teacher_present=False,
        activity_running=False,
        rules_followed=True,
        findings=[],
        deduction=0,
        recorded_at=datetime(2026, 11, day, 9, 0, tzinfo=UTC),
    )


pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

ADMIN = auth(Role.SCHOOL_ADMIN, "教务处", school="s1")
WANG = auth(Role.SERVICE_TEACHER, "wang", school="s1")
BASE, CHESS, NOON = "p-base", "p-chess", "p-noon"
SET_UP = [
    policy(),
    program(BASE, ProgramKind.HOMEWORK_SUPERVISION, 2),
    program(CHESS, ProgramKind.CLUB, 2, specialty=True),
    program(NOON, ProgramKind.NOON_CARE, 2, starts=time(12, 0)),
]
LATE_SIGN_IN = signed_in("wang", BASE, 24, SignInStatus.LATE, late=5)
NOVEMBER = [
    signed_in("wang", BASE, 23),
    filed("wang", BASE, 23),
    LATE_SIGN_IN,
    filed("wang", BASE, 24),
    signed_in("wang", CHESS, 25),
    filed("wang", CHESS, 25, complete=False),
    signed_in("li", BASE, 23, SignInStatus.ABSENT),
    signed_in("li", NOON, 23, kind="noon_care"),
    filed("li", NOON, 23, kind="noon_care"),
    signed_in("li", BASE, 24),
    filed("li", BASE, 24),
    incident("li", BASE, 24, IncidentKind.SAFETY_INCIDENT),
]
# An independent calculation (ST-1, ST-2): units in hundredths, fen = units/100 × class-hours × rate.
WANG_FEN = 2 * BASE_FEN + 2 * BASE_FEN - 2 * BASE_FEN + (2 * (BASE_FEN + SUPPLEMENT_FEN)) // 2
WANG_UNITS = 100 + 100 - 100 + 50
LI_UNITS = 0 + 50 + 100  # absent Monday (the whole day unpaid), noon 0.5, Tuesday unpaid (safety incident)


@pytest.fixture
async def clock() -> FakeClock:
    return FakeClock(MOMENT)


@pytest.fixture
async def stipend(pg_url: str, topic_prefix: str, clock: FakeClock) -> AsyncIterator[ServiceClient]:
    async with running(DEFINITION, stack_settings(DEFINITION, pg_url, topic_prefix), clock=clock) as client:
        yield client


async def deliver(client: ServiceClient, envelopes: list[Envelope]) -> None:
    await publish_envelopes(client.prefix, envelopes)


async def month(client: ServiceClient, name: str = "2026-11", headers: dict[str, str] = ADMIN) -> dict[str, Any]:
    response = await client.get(f"/stipend/v1/teacher-statements/{name}", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def figures(body: dict[str, Any]) -> dict[str, tuple[int, int, int]]:
    return {t["staff_id"]: (t["units_hundredths"], t["total_fen"], t["payable_fen"]) for t in body["teachers"]}


async def settled(client: ServiceClient, expected: dict[str, tuple[int, int, int]], name: str = "2026-11") -> None:
    async def arrived() -> bool:
        return figures(await month(client, name)) == expected

    await eventually(arrived)


async def wang_worked_the_23rd(client: ServiceClient) -> None:
    """王老师 signed in and filed a complete record for the base service on 23 November, and November's draft shows
    it: one unit (ST-1) and two class-hours' pay (ST-2)."""
    await deliver(client, [envelope(e) for e in [*SET_UP, signed_in("wang", BASE, 23), filed("wang", BASE, 23)]])
    await settled(client, {"wang": (100, 2 * BASE_FEN, 2 * BASE_FEN)})


async def test_a_month_of_staff_facts_becomes_statements_approved_and_published(
    stipend: ServiceClient, clock: FakeClock
) -> None:
    """ST-1..ST-3 figures, ST-5 draft → approved → published, one published event per teacher."""
    await deliver(stipend, [envelope(e) for e in SET_UP])
    sign_in_envelope = envelope(LATE_SIGN_IN)
    await deliver(stipend, [envelope(e) if e is not LATE_SIGN_IN else sign_in_envelope for e in NOVEMBER])
    await settled(stipend, {"li": (LI_UNITS, 0, 0), "wang": (WANG_UNITS, WANG_FEN, WANG_FEN)})

    draft = await month(stipend)
    assert draft["status"] == "draft"
    li = next(t for t in draft["teachers"] if t["staff_id"] == "li")
    assert len(li["bonus_forfeited_by"]) == 1  # ST-3: the safety incident's event

    early = await stipend.post("/stipend/v1/teacher-statements/2026-11/approve", headers=ADMIN)
    assert early.status_code == 422
    assert early.json()["rule"] == "ST-5"
    assert early.headers["content-type"] == "application/problem+json"
    unapproved = await stipend.post("/stipend/v1/teacher-statements/2026-11/publish", headers=ADMIN)
    assert (unapproved.status_code, unapproved.json()["rule"]) == (422, "ST-5")

    clock.advance(CLOSED - MOMENT)
    not_yet = await stipend.post("/stipend/v1/teacher-statements/2026-11/publish", headers=ADMIN)
    assert (not_yet.status_code, not_yet.json()["rule"]) == (409, "ST-5")
    approved = await stipend.post("/stipend/v1/teacher-statements/2026-11/approve", headers=ADMIN)
    assert approved.status_code == 200, approved.text
    published = await stipend.post("/stipend/v1/teacher-statements/2026-11/publish", headers=ADMIN)
    assert published.status_code == 200, published.text
    assert (await month(stipend))["status"] == "published"
    again = await stipend.post("/stipend/v1/teacher-statements/2026-11/publish", headers=ADMIN)
    assert again.status_code == 409

    events = await read_topic(stipend.prefix, "stipend.events", count=2)
    by_teacher = {e.data["staff_id"]: e.data for e in events}
    assert {e.type for e in events} == {"stipend.teacher_statement_published.v1"}
    assert (by_teacher["wang"]["total_fen"], by_teacher["wang"]["units_hundredths"]) == (WANG_FEN, WANG_UNITS)
    assert (by_teacher["li"]["payable_fen"], by_teacher["li"]["bonus_forfeited"]) == (0, True)

    mine = await stipend.get("/stipend/v1/teacher-statements/2026-11/teachers/wang", headers=WANG)
    assert mine.status_code == 200
    late = next(e for e in mine.json()["entries"] if e["line"] == "late")
    assert (late["units_hundredths"], late["fen"], late["event_ids"]) == (-100, -2 * BASE_FEN, [sign_in_envelope.id])
    assert late["entry_id"].startswith("s1:2026-11:")


async def test_a_patrol_finding_after_publication_is_a_reversal_on_the_next_statement(
    stipend: ServiceClient, clock: FakeClock
) -> None:
    """ST-5: the published November is never edited; December carries the reversing entry."""
    await wang_worked_the_23rd(stipend)
    clock.advance(CLOSED - MOMENT)
    for step in ("approve", "publish"):
        assert (await stipend.post(f"/stipend/v1/teacher-statements/2026-11/{step}", headers=ADMIN)).status_code == 200

    patrol = envelope(patrol_found_absent("wang", BASE, 23))
    await deliver(stipend, [patrol, patrol])
    await settled(stipend, {"wang": (0, -2 * BASE_FEN, 0)}, name="2026-12")
    assert figures(await month(stipend)) == {"wang": (100, 2 * BASE_FEN, 2 * BASE_FEN)}  # November as published

    december = await stipend.get("/stipend/v1/teacher-statements/2026-12/teachers/wang", headers=WANG)
    (reversal,) = december.json()["entries"]
    november = (await stipend.get("/stipend/v1/teacher-statements/2026-11/teachers/wang", headers=ADMIN)).json()
    assert reversal["reverses"] == [november["entries"][0]["entry_id"]]
    assert reversal["session_date"] == "2026-11-23"
    assert patrol.id not in reversal["event_ids"]  # it reverses what was published, with the events behind that
    assert december.json()["corrections_fen"] == -2 * BASE_FEN


async def test_the_draft_must_be_approved_again_when_facts_arrive_after_approval(
    stipend: ServiceClient, clock: FakeClock
) -> None:
    await wang_worked_the_23rd(stipend)
    clock.advance(CLOSED - MOMENT)
    assert (await stipend.post("/stipend/v1/teacher-statements/2026-11/approve", headers=ADMIN)).status_code == 200
    await deliver(stipend, [envelope(signed_in("wang", BASE, 24)), envelope(filed("wang", BASE, 24))])
    await settled(stipend, {"wang": (200, 4 * BASE_FEN, 4 * BASE_FEN)})
    stale = await stipend.post("/stipend/v1/teacher-statements/2026-11/publish", headers=ADMIN)
    assert (stale.status_code, stale.json()["rule"]) == (409, "ST-5")
    assert (await month(stipend))["status"] == "approved"


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        (auth(Role.SERVICE_TEACHER, "li", school="s1"), 404),
        (auth(Role.SCHOOL_ADMIN, "admin", school="s2"), 404),
        (auth(Role.GUARDIAN, "mum", school="s1"), 403),
        ({}, 401),
    ],
    ids=["another-teacher", "another-school", "guardian", "no-token"],
)
async def test_a_teacher_sees_only_their_own_statement(
    stipend: ServiceClient, headers: dict[str, str], status: int
) -> None:
    await wang_worked_the_23rd(stipend)
    assert (await stipend.get("/stipend/v1/teacher-statements/2026-11/teachers/wang", headers=WANG)).status_code == 200
    response = await stipend.get("/stipend/v1/teacher-statements/2026-11/teachers/wang", headers=headers)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"


async def test_only_the_school_admin_approves(stipend: ServiceClient) -> None:
    response = await stipend.post("/stipend/v1/teacher-statements/2026-11/approve", headers=WANG)
    assert response.status_code == 403
    malformed = await stipend.get("/stipend/v1/teacher-statements/2026-13", headers=ADMIN)
    assert malformed.status_code == 422
