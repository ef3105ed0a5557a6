"""Enrollment's events → the stipend's own copies (policy, calendars, programs, roster, fees), idempotent upserts.

The stipend never asks enrollment: like attendance, it keeps what it needs from the events (PL-1, EN-4..EN-7).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.orm import QueryableAttribute

from chassis.consumer import Handler
from chassis.records import row_values
from chassis.sql import copied, upsert
from chassis.uow import UnitOfWork
from contracts.enrollment import (
    ApplicationSubmitted,
    ClubPlaceAllocated,
    ClubPlacePromoted,
    ClubPlaceReleased,
    FeePlanSet,
    FeeWaiverGranted,
    FeeWaiverRevoked,
    GuardianLinked,
    GuardianUnlinked,
    PolicyProfileSet,
    ProgramCancelled,
    ProgramScheduled,
    SchoolRegistered,
    StudentEnrolled,
    StudentTransferred,
    TermCalendarSet,
)
from contracts.envelope import Envelope, Event
from services.stipend import store


async def _upsert(uow: UnitOfWork, table: Any, values: Mapping[str, Any], keys: list[str]) -> None:
    await uow.session.execute(upsert(uow.session, table, values, keys))


async def _mark(uow: UnitOfWork, key: QueryableAttribute[str], value: str, **values: Any) -> None:
    """Set `values` on the kept row whose `key` is `value` (nothing when none is kept)."""
    await uow.session.execute(update(key.class_).where(key == value).values(**values))


async def school_registered(uow: UnitOfWork, event: SchoolRegistered, _envelope: Envelope) -> None:
    """A school and its district (the district operator's roll-ups)."""
    values = {"school_id": event.school_id, "district_id": event.district_id, "name": event.name[:200]}
    await _upsert(uow, store.RefSchool, values, ["school_id"])


async def policy_profile_set(uow: UnitOfWork, event: PolicyProfileSet, _envelope: Envelope) -> None:
    """PL-1: every (school, effective_from) is kept; a lower version never overwrites a higher one."""
    existing = await uow.session.get(store.RefPolicy, (event.school_id, event.effective_from))
    if existing is not None and existing.version > event.version:
        return
    values = row_values(store.RefPolicy, event, settings=event.settings.model_dump(mode="json"))
    await _upsert(uow, store.RefPolicy, values, ["school_id", "effective_from"])


async def term_calendar_set(uow: UnitOfWork, event: TermCalendarSet, _envelope: Envelope) -> None:
    """EN-5: the term's calendar (service days of monthly fees, ST-6)."""
    values = {"term_id": event.term_id, "school_id": event.school_id, "calendar": event.model_dump(mode="json")}
    await _upsert(uow, store.RefTerm, values, ["term_id"])


async def program_scheduled(uow: UnitOfWork, event: ProgramScheduled, _envelope: Envelope) -> None:
    """EN-4/EN-6: a program's schedule and class-hours (the latest replaces the earlier)."""
    values = row_values(
        store.RefProgram, event, kind=event.kind.value, weekdays=sorted(event.weekdays), cancelled_on=None
    )
    await _upsert(uow, store.RefProgram, values, ["program_id"])


async def program_cancelled(uow: UnitOfWork, event: ProgramCancelled, _envelope: Envelope) -> None:
    """The program has no sessions from `effective_on`."""
    await _mark(uow, store.RefProgram.program_id, event.program_id, cancelled_on=event.effective_on)


async def student_enrolled(uow: UnitOfWork, event: StudentEnrolled, _envelope: Envelope) -> None:
    """The child and their grade (which programs' grade ranges they fall in)."""
    values = {"student_id": event.student_id, "school_id": event.school_id, "grade": event.grade}
    await _upsert(uow, store.RefStudent, values, ["student_id"])


async def student_transferred(uow: UnitOfWork, event: StudentTransferred, _envelope: Envelope) -> None:
    """EN-8: the child's grade after a transfer."""
    values = {"student_id": event.student_id, "school_id": event.school_id, "grade": event.grade}
    await _upsert(uow, store.RefStudent, values, ["student_id"])


async def guardian_linked(uow: UnitOfWork, event: GuardianLinked, _envelope: Envelope) -> None:
    """A guardian who may read the child's fee statements."""
    values = {"student_id": event.student_id, "guardian_id": event.guardian_id, "school_id": event.school_id}
    await _upsert(uow, store.RefGuardian, values, ["student_id", "guardian_id"])


async def guardian_unlinked(uow: UnitOfWork, event: GuardianUnlinked, _envelope: Envelope) -> None:
    """No longer a guardian of the child."""
    await uow.session.execute(
        delete(store.RefGuardian).where(
            store.RefGuardian.student_id == event.student_id, store.RefGuardian.guardian_id == event.guardian_id
        )
    )


async def club_place_held(uow: UnitOfWork, event: ClubPlaceAllocated | ClubPlacePromoted, _envelope: Envelope) -> None:
    """EN-4: the club is one of the child's program lines."""
    values = {"program_id": event.program_id, "student_id": event.student_id, "released_on": None}
    await _upsert(uow, store.RefClubPlace, values, ["program_id", "student_id"])


async def club_place_released(uow: UnitOfWork, event: ClubPlaceReleased, _envelope: Envelope) -> None:
    """The child gives up the club from `effective_on`."""
    values = {"program_id": event.program_id, "student_id": event.student_id, "released_on": event.effective_on}
    await _upsert(uow, store.RefClubPlace, values, ["program_id", "student_id"])


async def application_submitted(uow: UnitOfWork, event: ApplicationSubmitted, _envelope: Envelope) -> None:
    """EN-6: the optional services the family asked for are program lines of the child."""
    values = row_values(store.RefOptions, event, options=[option.value for option in event.options])
    await _upsert(uow, store.RefOptions, values, ["application_id"])


async def fee_plan_set(uow: UnitOfWork, event: FeePlanSet, _envelope: Envelope) -> None:
    """EN-7: a program's fee plan from a date."""
    values = row_values(
        store.RefFeePlan, event, kind=event.kind.value, max_per_day=event.max_charged_class_hours_per_day
    )
    await _upsert(uow, store.RefFeePlan, values, ["fee_plan_id"])


async def fee_waiver_granted(uow: UnitOfWork, event: FeeWaiverGranted, _envelope: Envelope) -> None:
    """EN-7: a waiver for the child (a student's events arrive in order, so a revocation comes after)."""
    values = copied(
        event, "waiver_id", "student_id", "school_id", "program_id", "percent_payable", "valid_from", "valid_to"
    )
    await _upsert(uow, store.RefWaiver, values, ["waiver_id"])


async def fee_waiver_revoked(uow: UnitOfWork, event: FeeWaiverRevoked, _envelope: Envelope) -> None:
    """EN-7: the waiver ends the day before `effective_on`."""
    await _mark(uow, store.RefWaiver.waiver_id, event.waiver_id, revoked_on=event.effective_on)


HANDLERS: dict[type[Event], Handler] = {
    # Set-up first: a batch is applied topic by topic in this order, so facts find their policy and programs.
    SchoolRegistered: school_registered,
    PolicyProfileSet: policy_profile_set,
    TermCalendarSet: term_calendar_set,
    ProgramScheduled: program_scheduled,
    ProgramCancelled: program_cancelled,
    StudentEnrolled: student_enrolled,
    StudentTransferred: student_transferred,
    GuardianLinked: guardian_linked,
    GuardianUnlinked: guardian_unlinked,
    ClubPlaceAllocated: club_place_held,
    ClubPlacePromoted: club_place_held,
    ClubPlaceReleased: club_place_released,
    ApplicationSubmitted: application_submitted,
    FeePlanSet: fee_plan_set,
    FeeWaiverGranted: fee_waiver_granted,
    FeeWaiverRevoked: fee_waiver_revoked,
}
"""Every enrollment event the stipend keeps a copy of, and its handler."""
