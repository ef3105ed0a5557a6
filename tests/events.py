"""Events that many tests publish, built in one place so each test names only what it is about."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time

from chassis.clock import SCHOOL_TZ
from contracts.attendance import CheckInMethod, StudentCheckedIn
from contracts.enrollment import ProgramKind, ProgramScheduled


def check_in(
    check_in_id: str,
    student_id: str,
    occurred_at: datetime,
    *,
    device_id: str = "s1-kiosk-gate",
    method: CheckInMethod = CheckInMethod.FACE,
) -> StudentCheckedIn:
    """AT-2: a child of school s1 checked in at `occurred_at`, for the session of that school-local day."""
    return StudentCheckedIn(
        check_in_id=check_in_id,
        student_id=student_id,
        school_id="s1",
        device_id=device_id,
        method=method,
        occurred_at=occurred_at,
        session_date=occurred_at.astimezone(SCHOOL_TZ).date().isoformat(),
    )


def program_scheduled(
    program_id: str,
    kind: ProgramKind,
    *,
    starts_at: time,
    class_hours: int = 1,
    name: str | None = None,
    capacity: int = 60,
    teacher_ids: Sequence[str] = (),
    weekdays: Sequence[int] = (0, 1, 2, 3, 4),
    room_id: str | None = None,
    specialty: bool = False,
) -> ProgramScheduled:
    """A program of school s1's autumn term for grades 1–6 (named by its id unless told), Monday–Friday unless told."""
    return ProgramScheduled(
        program_id=program_id,
        school_id="s1",
        term_id="s1-2026-autumn",
        kind=kind,
        name=name or program_id,
        capacity=capacity,
        room_id=room_id,
        teacher_ids=list(teacher_ids),
        weekdays=list(weekdays),
        starts_at=starts_at,
        class_hours=class_hours,
        min_grade=1,
        max_grade=6,
        specialty=specialty,
    )
