"""Attendance's copies of enrollment's facts (roster, classes, guardians, pickups, policy, calendar, programs).

Also the shared school of the attendance service tests: `world_events()` and the `school` fixture helpers.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from chassis.app import Runtime
from chassis.clock import SCHOOL_TZ, FakeClock
from contracts.enrollment import (
    AgreementSigned,
    ApplicationSubmitted,
    ClassCreated,
    ClassTeacherAssigned,
    ClubPlaceAllocated,
    ClubPlaceReleased,
    DayKind,
    GuardianLinked,
    GuardianUnlinked,
    PickupPersonAdded,
    PickupPersonRemoved,
    PickupPersonRestricted,
    PolicyProfileSet,
    ProgramKind,
    RoomDefined,
    StudentEnrolled,
    StudentErased,
    StudentLeft,
    StudentTransferred,
    TermCalendarSet,
    WalkHomePermissionSet,
)
from contracts.envelope import Event
from contracts.policy import PolicySettings
from services.attendance.app import DEFINITION
from services.attendance.domain.pickup import PersonStanding
from services.attendance.reference import store as ref
from services.attendance.store import RosterStudent
from tests.conftest import ServiceClient, eventually, running, stack_settings
from tests.events import program_scheduled
from tests.services.conftest import publish_as_producer

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

DAY = date(2026, 9, 16)  # a Wednesday of the autumn term
AT = datetime(2026, 9, 16, 14, 0, tzinfo=SCHOOL_TZ)
TERM = "s1-2026-autumn"
HOMEWORK = "s1-homework"
CHESS = "s1-chess"
CLASS_A, CLASS_B = "s1-g3-c1", "s1-g3-c2"
STUDENTS_A = ("ming", "hong", "gang")
STUDENTS_B = ("li", "fang")
OTHER_SCHOOL_STUDENT = "s2-wei"


def world_events() -> list[Event]:
    """A small school s1 (two grade-3 classes, a homework session at 16:00, a chess club) and one child of s2."""
    applied = datetime(2026, 9, 1, 9, 0, tzinfo=SCHOOL_TZ)
    events: list[Event] = [
        TermCalendarSet(
            term_id=TERM,
            school_id="s1",
            name="2026 autumn",
            starts_on=date(2026, 9, 1),
            ends_on=date(2027, 1, 20),
            holidays=[date(2026, 10, 1)],
        ),
        PolicyProfileSet(
            school_id="s1",
            effective_from=date(2026, 9, 1),
            version=1,
            settings=PolicySettings(absence_after_minutes=10, handover_unaccepted_minutes=5),
        ),
        RoomDefined(room_id="s1-r101", school_id="s1", name="101", capacity=40),
        RoomDefined(room_id="s1-reception", school_id="s1", name="接待室", capacity=10, is_reception=True),
    ]
    for class_id, teacher in ((CLASS_A, "t-class-a"), (CLASS_B, "t-class-b")):
        events += [
            ClassCreated(class_id=class_id, school_id="s1", grade=3, name=class_id),
            ClassTeacherAssigned(class_id=class_id, school_id="s1", staff_id=teacher),
        ]
    for class_id, students in ((CLASS_A, STUDENTS_A), (CLASS_B, STUDENTS_B)):
        for student in students:
            events += [
                StudentEnrolled(student_id=student, school_id="s1", class_id=class_id, grade=3, name=student),
                GuardianLinked(guardian_id=f"g-{student}", student_id=student, school_id="s1", relation="母亲"),
                ApplicationSubmitted(
                    application_id=f"app-{student}",
                    student_id=student,
                    school_id="s1",
                    term_id=TERM,
                    by="x",
                    at=applied,
                ),
                AgreementSigned(
                    application_id=f"app-{student}",
                    student_id=student,
                    school_id="s1",
                    term_id=TERM,
                    by=f"g-{student}",
                    at=applied,
                    active_from=date(2026, 9, 7),
                ),
            ]
    events += [
        program_scheduled(
            HOMEWORK,
            ProgramKind.HOMEWORK_SUPERVISION,
            name="作业辅导",
            room_id="s1-r101",
            teacher_ids=["t-service"],
            starts_at=time(16, 0),
            class_hours=2,
        ),
        program_scheduled(
            CHESS,
            ProgramKind.CLUB,
            name="围棋",
            capacity=2,
            teacher_ids=["t-chess"],
            weekdays=[2],
            starts_at=time(16, 0),
        ),
        ClubPlaceAllocated(program_id=CHESS, student_id="ming", school_id="s1"),
        StudentEnrolled(student_id=OTHER_SCHOOL_STUDENT, school_id="s2", class_id="s2-g3-c1", grade=3, name="wei"),
        GuardianLinked(guardian_id="g-wei", student_id=OTHER_SCHOOL_STUDENT, school_id="s2", relation="父亲"),
    ]
    return events


async def roster_size(runtime: Runtime) -> int:
    """How many children attendance's roster holds."""
    async with runtime.db.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(RosterStudent))).scalar_one())


async def programs_known(runtime: Runtime) -> int:
    """How many programs attendance knows."""
    async with runtime.db.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(ref.RefProgram))).scalar_one())


@contextlib.asynccontextmanager
async def school(
    pg_url: str, topic_prefix: str, clock: FakeClock, extra: list[Event] | None = None, **settings: object
) -> AsyncIterator[ServiceClient]:
    """Attendance on PostgreSQL and Kafka with the world above loaded (the timer worker ticks every 50 ms)."""
    events = world_events() + (extra or [])
    await publish_as_producer(topic_prefix, events, school_id="s1")
    config = stack_settings(DEFINITION, pg_url, topic_prefix, **({"timer_tick_seconds": 0.05} | settings))
    async with running(DEFINITION, config, clock=clock) as client:
        runtime: Runtime = client.runtime
        await eventually(lambda: _loaded(runtime, 6, 2))
        yield client


@contextlib.asynccontextmanager
async def school_at(
    pg_url: str, topic_prefix: str, moment: datetime = AT
) -> AsyncIterator[tuple[FakeClock, ServiceClient]]:
    """`school` on a fake clock set at `moment`, whose timers fire only when a test fires them (30 s worker tick)."""
    clock = FakeClock(moment)
    async with school(pg_url, topic_prefix, clock, timer_tick_seconds=30.0) as client:
        yield clock, client


async def _loaded(runtime: Runtime, students: int, programs: int) -> bool:
    return await roster_size(runtime) == students and await programs_known(runtime) == programs


async def test_the_reference_copies_answer_the_slices_queries(pg_url: str, topic_prefix: str) -> None:
    later = [
        PickupPersonAdded(
            person_id="p-aunt", student_id="ming", school_id="s1", relation="姨妈", credential_ref="card-aunt"
        ),
        PickupPersonAdded(
            person_id="p-dad", student_id="ming", school_id="s1", relation="父亲", credential_ref="card-dad"
        ),
        PickupPersonRemoved(person_id="p-aunt", student_id="ming", school_id="s1"),
        PickupPersonRestricted(person_id="p-x", student_id="ming", school_id="s1", credential_ref="card-x"),
        WalkHomePermissionSet(
            student_id="hong", school_id="s1", allowed=True, guardian_id="g-hong", effective_from=date(2026, 9, 10)
        ),
        WalkHomePermissionSet(
            student_id="hong", school_id="s1", allowed=False, guardian_id="g-hong", effective_from=date(2026, 9, 20)
        ),
        GuardianLinked(guardian_id="g-ming-2", student_id="ming", school_id="s1", relation="父亲"),
        GuardianUnlinked(guardian_id="g-ming-2", student_id="ming", school_id="s1"),
        StudentTransferred(
            student_id="fang",
            school_id="s1",
            from_class_id=CLASS_B,
            to_class_id=CLASS_A,
            grade=3,
            effective_on=date(2026, 9, 14),
        ),
        StudentLeft(student_id="li", school_id="s1", effective_on=date(2026, 9, 16)),
        PolicyProfileSet(
            school_id="s1",
            effective_from=date(2026, 9, 15),
            version=2,
            settings=PolicySettings(absence_after_minutes=20),
        ),
        PolicyProfileSet(  # an older version arriving late never wins
            school_id="s1",
            effective_from=date(2026, 9, 15),
            version=1,
            settings=PolicySettings(absence_after_minutes=30),
        ),
        ClubPlaceReleased(program_id=CHESS, student_id="ming", school_id="s1", effective_on=date(2026, 9, 17)),
    ]
    async with school(pg_url, topic_prefix, FakeClock(AT), later) as client:
        runtime: Runtime = client.runtime

        async def settled() -> bool:
            async with runtime.db.sessions() as session:
                return await ref.club_members(session, program_id=CHESS, on=date(2026, 9, 17)) == []

        await eventually(settled)
        async with runtime.db.sessions() as s:
            ming = await ref.student(s, school_id="s1", student_id="ming")
            assert ming is not None
            assert (ming.class_id, ming.grade) == (CLASS_A, 3)
            assert await ref.student(s, school_id="s2", student_id="ming") is None  # another school's child: none
            fang = await ref.student(s, school_id="s1", student_id="fang")
            assert fang is not None
            assert fang.class_id == CLASS_A
            li = await ref.student(s, school_id="s1", student_id="li")
            assert not ref.on_roster(li, DAY)
            assert ref.on_roster(li, DAY - timedelta(days=1))
            assert [r.student_id for r in await ref.students_of_class(s, class_id=CLASS_A, on=DAY)] == [
                "fang",
                "gang",
                "hong",
                "ming",
            ]
            assert await ref.guardian_ids_of(s, student_id="ming") == ["g-ming"]
            assert await ref.is_guardian_of(s, guardian_id="g-ming", student_id="ming")
            assert not await ref.is_guardian_of(s, guardian_id="g-hong", student_id="ming")
            assert await ref.children_of(s, guardian_id="g-hong") == ["hong"]
            dad = await ref.pickup_person_by_credential(s, student_id="ming", credential_ref="card-dad")
            assert (dad.status, dad.person_id) == (PersonStanding.AUTHORISED, "p-dad")
            aunt = await ref.pickup_person_by_credential(s, student_id="ming", credential_ref="card-aunt")
            assert aunt.status is PersonStanding.UNKNOWN  # removed
            barred = await ref.pickup_person_by_credential(s, student_id="ming", credential_ref="card-x")
            assert barred.status is PersonStanding.RESTRICTED  # BX-2
            dad_for_hong = await ref.pickup_person_by_credential(s, student_id="hong", credential_ref="card-dad")
            assert dad_for_hong.status is PersonStanding.UNKNOWN
            assert not await ref.walk_home_allowed(s, student_id="hong", on=date(2026, 9, 9))
            assert await ref.walk_home_allowed(s, student_id="hong", on=DAY)  # AT-5
            assert not await ref.walk_home_allowed(s, student_id="hong", on=date(2026, 9, 21))
            assert await ref.class_teacher_of(s, class_id=CLASS_A) == "t-class-a"
            assert await ref.classes_of_teacher(s, school_id="s1", staff_id="t-class-b") == [CLASS_B]
            assert (await ref.policy_on(s, school_id="s1", day=date(2026, 9, 14))).absence_after_minutes == 10
            assert (await ref.policy_on(s, school_id="s1", day=DAY)).absence_after_minutes == 20
            assert (await ref.policy_on(s, school_id="s1", day=date(2026, 8, 1))) == PolicySettings()
            assert (await ref.policy_on(s, school_id="s2", day=DAY)) == PolicySettings()
            assert await ref.day_kind(s, school_id="s1", day=DAY) is DayKind.SCHOOL_DAY
            assert await ref.day_kind(s, school_id="s1", day=date(2026, 10, 1)) is DayKind.HOLIDAY
            assert await ref.day_kind(s, school_id="s1", day=date(2026, 9, 19)) is DayKind.WEEKEND
            assert await ref.day_kind(s, school_id="s1", day=date(2026, 8, 10)) is DayKind.VACATION
            assert await ref.day_kind(s, school_id="s2", day=DAY) is DayKind.SCHOOL_DAY  # no calendar yet: Mon–Fri
            assert await ref.reception_room(s, school_id="s1") == "s1-reception"
            assert await ref.reception_room(s, school_id="s2") is None
            assert await ref.club_members(s, program_id=CHESS, on=DAY) == ["ming"]
            enrolled = await ref.enrollments_on(s, school_id="s1", term_id=TERM, on=DAY)
            assert sorted(e.student_id for e in enrolled) == sorted(STUDENTS_A + STUDENTS_B)
            assert await ref.enrollments_on(s, school_id="s1", term_id=TERM, on=date(2026, 9, 6)) == []
            assert await ref.school_ids(s) == ["s1", "s2"]


async def test_an_erased_leaver_leaves_no_credential_or_walk_home_statement(pg_url: str, topic_prefix: str) -> None:
    """PIPL (issue 11): `enrollment.student_erased.v1` drops who could collect the child and their walk-home word."""
    later: list[Event] = [
        PickupPersonAdded(
            person_id="p-dad", student_id="li", school_id="s1", relation="父亲", credential_ref="card-li"
        ),
        WalkHomePermissionSet(
            student_id="li", school_id="s1", allowed=True, guardian_id="g-li", effective_from=date(2026, 9, 1)
        ),
        PickupPersonAdded(
            person_id="p-mum", student_id="ming", school_id="s1", relation="母亲", credential_ref="card-m"
        ),
        StudentLeft(student_id="li", school_id="s1", effective_on=date(2025, 9, 1)),
        StudentErased(student_id="li", school_id="s1", left_on=date(2025, 9, 1), guardian_ids=["g-li"]),
    ]
    async with school(pg_url, topic_prefix, FakeClock(AT), later) as client:
        runtime: Runtime = client.runtime

        async def rows(table: type[ref.RefPickupPerson] | type[ref.RefWalkHome], student: str) -> int:
            async with runtime.db.sessions() as session:
                query = select(func.count()).select_from(table).where(table.student_id == student)
                return int((await session.execute(query)).scalar_one())

        async def erased() -> bool:
            return await rows(ref.RefPickupPerson, "ming") == 1 and await rows(ref.RefPickupPerson, "li") == 0

        await eventually(erased)
        assert await rows(ref.RefWalkHome, "li") == 0
        async with runtime.db.sessions() as s:
            found = await ref.pickup_person_by_credential(s, student_id="li", credential_ref="card-li")
            assert found.status is PersonStanding.UNKNOWN
