"""Attended class-hours per child, day and program line (EN-4..EN-6, ST-6), from when the child was there.

Rule SR-1 (rounding, docs/stipend.md): a program's session is cut into class-hour slots of the policy's length
(EN-5, 40 min by default) from its start; a slot counts when the child was present for **at least half of it**.
So a child who arrives 10 minutes late still has the first class-hour, one collected 25 minutes before the end
loses the last. Presence runs from the earliest check-in of the day to the latest check-out (none: to the end
of the day's programs); arriving before a program starts counts from its start.

Rule SR-2 (no schedule): a check-in on a day when none of the child's programs is known to run counts the EN-5
daily minimum on the base-service line, so a school that has not published its programs still gets a tally.

Everything is a function of the *set* of facts (min/max over check-ins and check-outs), never of their order or
of how often one was delivered (ST-7).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from chassis.clock import SCHOOL_TZ

BASE = "homework_supervision"
OPTIONAL_KINDS = frozenset({"early_arrival", "noon_care", "bus"})
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_MINUTE_US = 60_000_000


@dataclass(frozen=True)
class Program:
    """A program's schedule as enrollment published it (ProgramScheduled, ProgramCancelled)."""

    program_id: str
    kind: str
    weekdays: frozenset[int]
    starts_at: time
    class_hours: int
    min_grade: int = 1
    max_grade: int = 9
    specialty: bool = False
    cancelled_on: date | None = None

    def runs_on(self, day: date) -> bool:
        """Whether the program has a session on `day` (its weekday, and not cancelled by then)."""
        return day.weekday() in self.weekdays and (self.cancelled_on is None or day < self.cancelled_on)


@dataclass(frozen=True)
class Child:
    """What a child is entitled to: grade (None = unknown), club places, optional services asked for (EN-6)."""

    student_id: str
    grade: int | None = None
    clubs: frozenset[str] = frozenset()
    options: frozenset[str] = frozenset()

    def takes(self, program: Program) -> bool:
        """Whether the program is one of the child's lines (EN-4: base for all, clubs by place, EN-6 by choice)."""
        if self.grade is not None and not program.min_grade <= self.grade <= program.max_grade:
            return False
        if program.kind == BASE:
            return True
        if program.kind == "club":
            return program.program_id in self.clubs
        return program.kind in self.options


@dataclass(frozen=True)
class Mark:
    """A check-in or check-out: its moment and the event that reported it."""

    at: datetime
    event_id: str


@dataclass(frozen=True)
class DayPresence:
    """A child's check-ins, check-outs and approved leave on one day."""

    day: date
    check_ins: frozenset[Mark] = frozenset()
    check_outs: frozenset[Mark] = frozenset()
    leave_event_ids: frozenset[str] = frozenset()


class Line(NamedTuple):
    """Class-hours a child attended of one program on one day, and why. A named tuple, not a frozen dataclass: a
    school's month makes some 22,000 of them and a tuple is built in a third of the time (issue 9)."""

    day: date
    program_id: str | None
    kind: str
    class_hours: int
    reason: str
    event_ids: tuple[str, ...] = ()


def instant(at: datetime) -> int:
    """An aware moment as whole microseconds since the epoch: exact, and cheap to compare and subtract."""
    return (at - _EPOCH) // _MICROSECOND


def _counted(bounds: Sequence[int], slot_us: int, present_from: int, present_to: int) -> int:
    """SR-1 on instants: the slots between consecutive `bounds` with at least half of `slot_us` present."""
    counted = 0
    for n in range(len(bounds) - 1):
        overlap = min(bounds[n + 1], present_to) - max(bounds[n], present_from)
        if overlap * 2 >= slot_us:
            counted += 1
    return counted


def slots_attended(start: datetime, slots: int, minutes: int, present_from: datetime, present_to: datetime) -> int:
    """SR-1: the slots of `minutes` from `start` during which the child was present at least half the slot."""
    bounds = [instant(start + timedelta(minutes=minutes * n)) for n in range(slots + 1)]
    return _counted(bounds, minutes * _MINUTE_US, instant(present_from), instant(present_to))


@dataclass(frozen=True)
class Sitting:
    """A program's session on one day, cut into SR-1 slots: the slots' bounds as instants (`instant`)."""

    program: Program
    bounds: tuple[int, ...]

    @property
    def end(self) -> int:
        """When the session's last slot ends."""
        return self.bounds[-1]


class Timetable:
    """A school's programs, each day's sessions cut into slots once and shared by every child of the month (SR-1).

    The slots are cut with the zone's wall clock from the program's start (`datetime` arithmetic, once per program,
    day and class-hour length); a child's day is then integer arithmetic on instants.
    """

    def __init__(self, programs: Iterable[Program], *, tz: ZoneInfo = SCHOOL_TZ) -> None:
        self._programs = sorted(programs, key=lambda p: (p.starts_at, p.program_id))
        self._tz = tz
        self._days: dict[tuple[date, int], tuple[Sitting, ...]] = {}
        self._mine: dict[tuple[date, int, int | None, frozenset[str], frozenset[str]], tuple[Sitting, ...]] = {}

    def _running(self, day: date, minutes: int) -> tuple[Sitting, ...]:
        found = self._days.get((day, minutes))
        if found is None:
            found = tuple(
                Sitting(p, tuple(instant(start + timedelta(minutes=minutes * n)) for n in range(p.class_hours + 1)))
                for p in self._programs
                if p.runs_on(day)
                for start in (datetime.combine(day, p.starts_at, tzinfo=self._tz),)
            )
            self._days[day, minutes] = found
        return found

    def sittings(self, child: Child, day: date, minutes: int) -> tuple[Sitting, ...]:
        """The child's programs running on `day` (EN-4..EN-6), in order of start, each cut into its slots."""
        key = (day, minutes, child.grade, child.clubs, child.options)
        found = self._mine.get(key)
        if found is None:
            found = self._mine[key] = tuple(s for s in self._running(day, minutes) if child.takes(s.program))
        return found


class DayMarks:
    """A child's facts of one day as instants: check-ins and check-outs `(instant, event_id)`, leave event ids.
    Lists, possibly with repeats and in any order: only their min/max and sets are read (ST-7). A plain class with
    slots: a school's month makes one for each of some 22,000 child-days."""

    __slots__ = ("check_ins", "check_outs", "day", "leave_event_ids")

    def __init__(
        self,
        day: date,
        check_ins: list[tuple[int, str]] | None = None,
        check_outs: list[tuple[int, str]] | None = None,
        leave_event_ids: list[str] | None = None,
    ) -> None:
        self.day = day
        self.check_ins = [] if check_ins is None else check_ins
        self.check_outs = [] if check_outs is None else check_outs
        self.leave_event_ids = [] if leave_event_ids is None else leave_event_ids


def day_lines(
    child: Child, marks: DayMarks, timetable: Timetable, *, class_hour_minutes: int, min_class_hours: int
) -> list[Line]:
    """SR-1/SR-2: the child's lines for a day, one per program of theirs running that day (zero-hour lines kept,
    with the reason, so a statement shows why a day cost nothing)."""
    day = marks.day
    mine = timetable.sittings(child, day, class_hour_minutes)
    if not marks.check_ins:
        reason = "on approved leave (AT-3)" if marks.leave_event_ids else "not checked in"
        ids = tuple(sorted(set(marks.leave_event_ids)))
        return [Line(day, s.program.program_id, s.program.kind, 0, reason, ids) for s in mine]
    first_at, first_id = min(marks.check_ins)
    if not mine:
        return [Line(day, None, BASE, min_class_hours, "SR-2: no program schedule, EN-5 minimum", (first_id,))]
    outs = [m for m in marks.check_outs if m[0] > first_at]
    if outs:
        present_to, last_id = max(outs)
        ids = (first_id,) if last_id == first_id else tuple(sorted((first_id, last_id)))
    else:
        present_to, ids = max(s.end for s in mine), (first_id,)
    slot_us = class_hour_minutes * _MINUTE_US
    lines = []
    for s in mine:
        hours = _counted(s.bounds, slot_us, first_at, present_to)
        reason = f"SR-1: {hours} of {s.program.class_hours} class-hours attended"
        lines.append(Line(day, s.program.program_id, s.program.kind, hours, reason, ids))
    return lines


def attended_lines(
    child: Child,
    presence: DayPresence,
    programs: Sequence[Program],
    *,
    class_hour_minutes: int,
    min_class_hours: int,
    tz: ZoneInfo = SCHOOL_TZ,
) -> list[Line]:
    """SR-1/SR-2 for one day from `DayPresence` (`day_lines`, whose timetable a month shares, on datetimes)."""
    marks = DayMarks(
        presence.day,
        [(instant(m.at), m.event_id) for m in presence.check_ins],
        [(instant(m.at), m.event_id) for m in presence.check_outs],
        list(presence.leave_event_ids),
    )
    return day_lines(
        child,
        marks,
        Timetable(programs, tz=tz),
        class_hour_minutes=class_hour_minutes,
        min_class_hours=min_class_hours,
    )


def presence_by_day(
    check_ins: Iterable[tuple[date, Mark]], check_outs: Iterable[tuple[date, Mark]], leaves: Iterable[tuple[date, str]]
) -> dict[date, DayPresence]:
    """Group a child's facts by day (duplicates collapse: the facts are sets)."""
    ins: dict[date, set[Mark]] = {}
    outs: dict[date, set[Mark]] = {}
    off: dict[date, set[str]] = {}
    for day, mark in check_ins:
        ins.setdefault(day, set()).add(mark)
    for day, mark in check_outs:
        outs.setdefault(day, set()).add(mark)
    for day, event_id in leaves:
        off.setdefault(day, set()).add(event_id)
    return {
        day: DayPresence(day, frozenset(ins.get(day, ())), frozenset(outs.get(day, ())), frozenset(off.get(day, ())))
        for day in sorted(ins.keys() | off.keys())
    }
