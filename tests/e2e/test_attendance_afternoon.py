"""A simulated afternoon of one school (issue 4 "Done means"): 240 children on PostgreSQL and Kafka, driven by a
FakeClock from lunch to 清校, with one leave, one unexcused absence, one refused pickup, one child not collected
and one handover discrepancy. Every event attendance publishes is read back: exactly the expected ones, no other.

AT-1..AT-6, AT-9, BX-2..BX-6 on one timeline; the timers (absence, reconciliation, not collected, staff
deadlines) are fired with `fire_due` after each move of the clock, as the worker would.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, time
from typing import Any

import pytest

from chassis.app import Runtime
from chassis.auth import Role
from chassis.clock import SCHOOL_TZ, FakeClock
from contracts.enrollment import (
    AgreementSigned,
    ApplicationSubmitted,
    ClassCreated,
    ClassTeacherAssigned,
    GuardianLinked,
    PickupPersonAdded,
    PolicyProfileSet,
    ProgramKind,
    ProgramScheduled,
    RoomDefined,
    StudentEnrolled,
    TermCalendarSet,
)
from contracts.envelope import Envelope, Event
from contracts.policy import PolicySettings
from services.attendance.app import DEFINITION
from services.attendance.timers.timers import fire_due
from tests.conftest import ServiceClient, auth, eventually, running, stack_settings
from tests.services.conftest import publish_as_producer, read_topic
from tests.services.test_attendance_reference import programs_known, roster_size

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(600)]

SCHOOL, TERM = "s1", "s1-2026-autumn"
DAY = date(2026, 9, 16)  # a Wednesday of the autumn term
GRADES, CLASSES_PER_GRADE, CHILDREN_PER_CLASS = range(1, 7), 2, 20
BANDS = {"low": (1, 2), "mid": (3, 4), "high": (5, 6)}
ON_LEAVE = "s1-g2c1-07"  # 小丽: leave for the day, asked by her mother, approved by her class teacher (AT-3)
ABSENT = "s1-g4c2-03"  # 小刚: at school in the morning, never arrives at homework supervision (AT-3, BX-4)
REFUSED = "s1-g5c1-11"  # 小红: a stranger's card is refused at the gate before her father collects her (AT-5)
NOT_COLLECTED = "s1-g1c2-05"  # 小明: nobody comes at 17:00; reception, two calls, then his grandmother (AT-6)
DISCREPANCY_CLASS = "s1-g4-c2"  # the service teacher counts 19 where the class teacher handed over 20 (AT-1)
UNKNOWN = "not_authorised"  # the refusal reason of a card on nobody's pickup list (AT-5)
POLICY = PolicySettings(absence_after_minutes=10, not_collected_after_minutes=15, late_pickup_fee_fen=500)

GATE = "s1-gate"
KIOSK = auth(Role.KIOSK, GATE, school=SCHOOL)
DUTY = auth(Role.DUTY_LEADER, "t-duty", school=SCHOOL)


def at(hour: int, minute: int) -> datetime:
    """A school-local moment of the day."""
    return datetime.combine(DAY, time(hour, minute), tzinfo=SCHOOL_TZ)


def classes() -> Iterator[tuple[int, str]]:
    for grade in GRADES:
        for number in range(1, CLASSES_PER_GRADE + 1):
            yield grade, f"s1-g{grade}-c{number}"


def children(class_id: str) -> list[str]:
    grade_class = class_id.removeprefix("s1-").replace("-", "")
    return [f"s1-{grade_class}-{n:02d}" for n in range(1, CHILDREN_PER_CLASS + 1)]


def class_teacher(class_id: str) -> str:
    return "t-" + class_id.removeprefix("s1-")


def band_of(grade: int) -> str:
    return next(name for name, grades in BANDS.items() if grade in grades)


def session_of_band(band: str) -> str:
    return f"s1-hw-{band}:{DAY.isoformat()}"


def teachers_of(band: str) -> list[str]:
    return [f"t-{band}-1", f"t-{band}-2"]


def everyone() -> list[tuple[int, str, str]]:
    return [(grade, class_id, child) for grade, class_id in classes() for child in children(class_id)]


def world() -> list[Event]:
    """The school as enrollment publishes it: calendar, policy, rooms, 12 classes of 20, three homework sessions."""
    applied = datetime(2026, 9, 1, 9, 0, tzinfo=SCHOOL_TZ)
    events: list[Event] = [
        TermCalendarSet(
            term_id=TERM, school_id=SCHOOL, name="2026 autumn", starts_on=date(2026, 9, 1), ends_on=date(2027, 1, 20)
        ),
        PolicyProfileSet(school_id=SCHOOL, effective_from=date(2026, 9, 1), version=1, settings=POLICY),
        RoomDefined(room_id="s1-reception", school_id=SCHOOL, name="接待室", capacity=10, is_reception=True),
    ]
    for grade, class_id in classes():
        events += [
            ClassCreated(class_id=class_id, school_id=SCHOOL, grade=grade, name=class_id),
            ClassTeacherAssigned(class_id=class_id, school_id=SCHOOL, staff_id=class_teacher(class_id)),
        ]
    for grade, class_id, child in everyone():
        guardian = f"g-{child}"
        events += [
            StudentEnrolled(student_id=child, school_id=SCHOOL, class_id=class_id, grade=grade, name=child),
            GuardianLinked(guardian_id=guardian, student_id=child, school_id=SCHOOL, relation="母亲"),
            PickupPersonAdded(
                person_id=f"p-{child}",
                student_id=child,
                school_id=SCHOOL,
                relation="母亲",
                credential_ref=f"card-{child}",
            ),
            ApplicationSubmitted(
                application_id=f"app-{child}", student_id=child, school_id=SCHOOL, term_id=TERM, by=guardian, at=applied
            ),
            AgreementSigned(
                application_id=f"app-{child}",
                student_id=child,
                school_id=SCHOOL,
                term_id=TERM,
                by=guardian,
                at=applied,
                active_from=date(2026, 9, 7),
            ),
        ]
    for band, (low, high) in BANDS.items():
        events.append(
            ProgramScheduled(
                program_id=f"s1-hw-{band}",
                school_id=SCHOOL,
                term_id=TERM,
                kind=ProgramKind.HOMEWORK_SUPERVISION,
                name="作业辅导",
                capacity=100,
                teacher_ids=teachers_of(band),
                weekdays=[0, 1, 2, 3, 4],
                starts_at=time(16, 0),
                class_hours=2,
                min_grade=low,
                max_grade=high,
            )
        )
    return events


class Afternoon:
    """The school's staff, devices and families acting through the attendance API, on the test's clock."""

    def __init__(self, client: ServiceClient, clock: FakeClock) -> None:
        self.client, self.clock = client, clock
        self.runtime: Runtime = client.runtime

    async def at(self, hour: int, minute: int) -> None:
        """Move the clock and let every timer due by then fire, as the worker would."""
        self.clock.advance(at(hour, minute) - self.clock.now())
        await fire_due(self.runtime)

    async def call(self, method: str, url: str, headers: dict[str, str], body: Any = None, status: int = 200) -> Any:
        response = await self.client.request(method, f"/attendance/v1{url}", json=body, headers=headers)
        assert response.status_code == status, (url, response.text)
        return response.json()

    async def check_in_all(self, present: list[str]) -> None:
        moment = self.clock.now().isoformat()
        events = [{"student_id": child, "occurred_at": moment, "method": "card"} for child in present]
        answer = await self.call("POST", "/check-ins/batch", KIOSK, {"device_id": GATE, "events": events})
        assert answer["created"] == len(present)

    async def check_out_at_gate(self, leaving: list[str], card: str | None = None) -> dict[str, Any]:
        moment = self.clock.now().isoformat()
        events = [
            {"student_id": child, "occurred_at": moment, "credential_ref": card or f"card-{child}"} for child in leaving
        ]
        answer: dict[str, Any] = await self.call(
            "POST", "/check-outs/batch", KIOSK, {"device_id": GATE, "place": "东门", "events": events}
        )
        return answer


async def loaded(runtime: Runtime) -> bool:
    return await roster_size(runtime) == len(everyone()) and await programs_known(runtime) == len(BANDS)


async def test_an_afternoon_of_240_children_publishes_exactly_the_expected_events(
    pg_url: str, topic_prefix: str
) -> None:
    await publish_as_producer(topic_prefix, world(), school_id=SCHOOL)
    clock = FakeClock(at(14, 0))
    settings = stack_settings(DEFINITION, pg_url, topic_prefix, timer_tick_seconds=3600.0)
    async with running(DEFINITION, settings, clock=clock) as client:
        runtime: Runtime = client.runtime
        await eventually(lambda: loaded(runtime), timeout=120)
        await asyncio.sleep(2)  # the pickup people, the last events of each child, settle too
        school = Afternoon(client, clock)
        await run_the_afternoon(school)
        published = await read_topic(topic_prefix, "attendance.events", count=EXPECTED_TOTAL, timeout=60)
    check_published(published)


async def run_the_afternoon(school: Afternoon) -> None:
    await school.at(14, 30)
    mother = auth(Role.GUARDIAN, f"g-{ON_LEAVE}", school=SCHOOL)
    leave = await school.call(
        "POST", "/leave-requests", mother, {"student_id": ON_LEAVE, "day": DAY.isoformat(), "reason": "看牙医"}, 201
    )
    teacher = auth(Role.CLASS_TEACHER, class_teacher("s1-g2-c1"), school=SCHOOL)
    await school.call("POST", f"/leave-requests/{leave['leave_id']}/approve", teacher, {})

    await school.at(15, 30)  # the regular-class registers: everybody was at school today (BX-4)
    for _, class_id in classes():
        marks = [{"student_id": child, "status": "present"} for child in children(class_id)]
        headers = auth(Role.CLASS_TEACHER, class_teacher(class_id), school=SCHOOL)
        saved = await school.call("PUT", f"/school-days/{DAY}/classes/{class_id}/register", headers, {"marks": marks})
        assert saved["alerts_raised"] == 0

    await school.at(15, 50)  # AT-1/BX-3: each class handed over with a count, each acknowledged with another
    discrepancy = await hand_over_every_class(school)

    await school.at(15, 55)  # AT-9: every service teacher signs in on time
    for band in BANDS:
        for teacher_id in teachers_of(band):
            headers = auth(Role.SERVICE_TEACHER, teacher_id, school=SCHOOL)
            signed = await school.call("POST", f"/sessions/{session_of_band(band)}/teacher-sign-in", headers, None, 201)
            assert signed["status"] == "on_time"

    await school.at(15, 58)  # AT-2: the gate kiosk sees every child but the one on leave and the absent one
    await school.check_in_all([c for _, _, c in everyone() if c not in (ON_LEAVE, ABSENT)])

    await school.at(16, 11)  # AT-3 and BX-4: the absence and the missing child are alerted by their sessions' timers
    board = await school.call("GET", "/board/school", DUTY)
    assert (board["totals"]["present"], board["totals"]["on_leave"], board["totals"]["missing"]) == (238, 1, 1)

    await school.at(16, 20)  # the discrepancy and the absence are followed up
    await school.call("POST", f"/handover-discrepancies/{discrepancy}/resolve", DUTY, {"note": "小刚由奶奶提前接走"})
    case = f"{session_of_band('mid')}:{ABSENT}"
    headers = auth(Role.CLASS_TEACHER, class_teacher(DISCREPANCY_CLASS), school=SCHOOL)
    await school.call("POST", f"/absences/{case}/resolve", headers, {"note": "奶奶12点接走，家长已确认"})

    await dismiss_the_bands(school)

    await school.at(17, 55)  # AT-6 清校: nobody is left, the day closes
    await school.call("POST", f"/days/{DAY}/clear", DUTY, None, 201)


async def hand_over_every_class(school: Afternoon) -> str:
    """Every class handed over and acknowledged; the discrepancy's id."""
    discrepancy = ""
    for grade, class_id in classes():
        band = band_of(grade)
        staying = len(children(class_id)) - (1 if ON_LEAVE in children(class_id) else 0)
        teacher = auth(Role.CLASS_TEACHER, class_teacher(class_id), school=SCHOOL)
        given = await school.call(
            "POST",
            f"/sessions/{session_of_band(band)}/handovers",
            teacher,
            {"class_id": class_id, "count": staying},
            201,
        )
        counted = staying - 1 if class_id == DISCREPANCY_CLASS else staying
        service = auth(Role.SERVICE_TEACHER, teachers_of(band)[0], school=SCHOOL)
        acknowledged = await school.call(
            "POST", f"/handovers/{given['handover_id']}/acknowledge", service, {"count": counted}
        )
        if class_id == DISCREPANCY_CLASS:
            discrepancy = acknowledged["discrepancies"][0]["discrepancy_id"]
    assert discrepancy
    return discrepancy


async def dismiss_the_bands(school: Afternoon) -> None:
    """AT-4: grades 1–2 at 17:00, 3–4 at 17:20, 5–6 at 17:30; AT-5/BX-2 at the gate; AT-6 for the one left."""
    pupils = everyone()
    await school.at(17, 3)
    low = [c for g, _, c in pupils if g <= 2 and c not in (ON_LEAVE, NOT_COLLECTED)]
    assert (await school.check_out_at_gate(low))["created"] == len(low)

    await school.at(17, 16)  # 17:00 + 15 minutes: 小明 goes to the reception room, his mother is called
    await school.at(17, 22)
    mid = [c for g, _, c in pupils if g in (3, 4) and c != ABSENT]
    assert (await school.check_out_at_gate(mid))["created"] == len(mid)
    await school.at(17, 26)  # the next rung: guardian 2 (his mother again: he has one guardian)

    await school.at(17, 28)  # his grandmother arrives with the family's card: 13 minutes past the grace, 1 block
    grandmother = await school.check_out_at_gate([NOT_COLLECTED])
    assert grandmother["created"] == 1

    await school.at(17, 31)  # a stranger's card for 小红 is refused (BX-2); then the high band leaves
    refused = await school.check_out_at_gate([REFUSED], card="card-stranger")
    assert (refused["refused"], refused["results"][0]["reason"]) == (1, UNKNOWN)
    await school.at(17, 32)
    high = [c for g, _, c in pupils if g >= 5]
    assert (await school.check_out_at_gate(high))["created"] == len(high)
    await school.at(17, 50)  # every later timer finds nobody left


EXPECTED = Counter(
    {
        "attendance.leave_requested.v1": 1,
        "attendance.leave_approved.v1": 1,
        "attendance.handover_given.v1": 12,
        "attendance.handover_acknowledged.v1": 12,
        "attendance.handover_discrepancy_found.v1": 1,
        "attendance.handover_discrepancy_resolved.v1": 1,
        "attendance.teacher_signed_in.v1": 6,
        "attendance.student_checked_in.v1": 238,
        "attendance.unexcused_absence.v1": 1,
        "attendance.student_missing_from_session.v1": 1,
        "attendance.absence_resolved.v1": 1,
        "attendance.student_checked_out.v1": 238,
        "attendance.pickup_refused.v1": 1,
        "attendance.student_moved_to_reception.v1": 1,
        "attendance.student_not_collected.v1": 2,
        "attendance.late_pickup_charged.v1": 1,
        "attendance.day_cleared.v1": 1,
    }
)
EXPECTED_TOTAL = sum(EXPECTED.values())


def only(published: list[Envelope], kind: str) -> list[Envelope]:
    return [e for e in published if e.type == f"attendance.{kind}.v1"]


def check_published(published: list[Envelope]) -> None:
    assert Counter(e.type for e in published) == EXPECTED
    assert len({e.id for e in published}) == len(published)  # nothing published twice
    assert {e.schoolid for e in published} == {SCHOOL}
    pupils = {c for _, _, c in everyone()}
    assert {e.subject for e in only(published, "student_checked_in")} == pupils - {ON_LEAVE, ABSENT}
    assert {e.subject for e in only(published, "student_checked_out")} == pupils - {ON_LEAVE, ABSENT}
    assert [e.subject for e in only(published, "leave_approved")] == [ON_LEAVE]
    assert [e.subject for e in only(published, "unexcused_absence")] == [ABSENT]
    missing = only(published, "student_missing_from_session")
    assert [(e.subject, e.data["session_id"]) for e in missing] == [(ABSENT, session_of_band("mid"))]
    assert [e.subject for e in only(published, "absence_resolved")] == [ABSENT]
    refused = only(published, "pickup_refused")
    assert [(e.subject, e.data["reason"], e.data["restricted"]) for e in refused] == [(REFUSED, UNKNOWN, False)]
    reception = only(published, "student_moved_to_reception")
    assert [(e.subject, e.data["room_id"]) for e in reception] == [(NOT_COLLECTED, "s1-reception")]
    calls = sorted(
        (e.data["step"], e.data["escalation"], e.data["recipient_id"]) for e in only(published, "student_not_collected")
    )
    assert calls == [(1, "guardian_1", f"g-{NOT_COLLECTED}"), (2, "guardian_2", f"g-{NOT_COLLECTED}")]
    fee = only(published, "late_pickup_charged")
    assert [(e.subject, e.data["blocks"], e.data["fee_fen"]) for e in fee] == [(NOT_COLLECTED, 1, 500)]
    found = only(published, "handover_discrepancy_found")
    assert [(e.data["class_id"], e.data["expected"], e.data["counted"]) for e in found] == [(DISCREPANCY_CLASS, 20, 19)]
    given = {e.data["class_id"]: e.data["count"] for e in only(published, "handover_given")}
    assert given["s1-g2-c1"] == 19  # 小丽's class hands over one fewer: she is on leave
    signed = only(published, "teacher_signed_in")
    assert {(e.subject, e.data["status"]) for e in signed} == {(t, "on_time") for b in BANDS for t in teachers_of(b)}
    cleared = only(published, "day_cleared")
    assert [(e.data["checked_in"], e.data["checked_out"]) for e in cleared] == [(238, 238)]
