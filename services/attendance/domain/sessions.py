"""Which sessions a school holds on a day and who is expected in them (pure; the slice feeds it facts).

A session is one program on one day: `session_id = "<program_id>:<YYYY-MM-DD>"`, derived on demand so a
restart mid-day changes nothing and no nightly batch can be missed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

HOMEWORK_SUPERVISION = "homework_supervision"
CLUB = "club"


@dataclass(frozen=True)
class ProgramFacts:
    """What a session needs to know of its program."""

    program_id: str
    school_id: str
    term_id: str
    kind: str
    room_id: str | None
    teacher_ids: tuple[str, ...]
    weekdays: tuple[int, ...]
    starts_at: time
    class_hours: int
    min_grade: int
    max_grade: int
    cancelled_on: date | None


@dataclass(frozen=True)
class SessionView:
    """One session of one day: when (UTC), where, who teaches and who is expected."""

    session_id: str
    school_id: str
    program_id: str
    day: date
    kind: str
    starts_at: datetime
    ends_at: datetime
    teacher_ids: tuple[str, ...]
    room_id: str | None
    expected_student_ids: tuple[str, ...]


def session_id_of(program_id: str, day: date) -> str:
    """The deterministic id of a program's session on a day."""
    return f"{program_id}:{day.isoformat()}"


def parse_session_id(session_id: str) -> tuple[str, date] | None:
    """(program_id, day) of a session id, or None when it is not one."""
    program_id, _, day = session_id.rpartition(":")
    try:
        return (program_id, date.fromisoformat(day)) if program_id else None
    except ValueError:
        return None


def runs_on(program: ProgramFacts, day: date, *, school_day: bool) -> bool:
    """EN-4/EN-5: a program runs on its weekdays, on school days only, and not once cancelled."""
    if program.cancelled_on is not None and day >= program.cancelled_on:
        return False
    return school_day and day.weekday() in program.weekdays


def session_times(
    program: ProgramFacts, day: date, *, class_hour_minutes: int, latest_end: time, tz: ZoneInfo
) -> tuple[datetime, datetime]:
    """Start and end in UTC: `class_hours` of the school's length (EN-5), never ending after `latest_end`."""
    start = datetime.combine(day, program.starts_at, tzinfo=tz)
    end = min(
        start + timedelta(minutes=class_hour_minutes * program.class_hours), datetime.combine(day, latest_end, tz)
    )
    return start.astimezone(ZoneInfo("UTC")), max(start, end).astimezone(ZoneInfo("UTC"))


def expected_by_grade(program: ProgramFacts, grades: Iterable[tuple[str, int]]) -> tuple[str, ...]:
    """Of (student, grade) pairs, those within the program's grades, sorted."""
    return tuple(sorted(s for s, grade in grades if program.min_grade <= grade <= program.max_grade))


def session_view(
    program: ProgramFacts, day: date, *, starts_at: datetime, ends_at: datetime, expected: Iterable[str]
) -> SessionView:
    """Assemble the view of a program's session on a day."""
    return SessionView(
        session_id=session_id_of(program.program_id, day),
        school_id=program.school_id,
        program_id=program.program_id,
        day=day,
        kind=program.kind,
        starts_at=starts_at,
        ends_at=ends_at,
        teacher_ids=program.teacher_ids,
        room_id=program.room_id,
        expected_student_ids=tuple(sorted(set(expected))),
    )
