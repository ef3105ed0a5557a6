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
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from chassis.clock import SCHOOL_TZ

BASE = "homework_supervision"
OPTIONAL_KINDS = frozenset({"early_arrival", "noon_care", "bus"})


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


@dataclass(frozen=True)
class Line:
    """Class-hours a child attended of one program on one day, and why."""

    day: date
    program_id: str | None
    kind: str
    class_hours: int
    reason: str
    event_ids: tuple[str, ...] = field(default=())


def slots_attended(start: datetime, slots: int, minutes: int, present_from: datetime, present_to: datetime) -> int:
    """SR-1: the slots of `minutes` from `start` during which the child was present at least half the slot."""
    counted = 0
    for n in range(slots):
        slot_start = start + timedelta(minutes=minutes * n)
        slot_end = slot_start + timedelta(minutes=minutes)
        overlap = min(slot_end, present_to) - max(slot_start, present_from)
        if overlap * 2 >= timedelta(minutes=minutes):
            counted += 1
    return counted


def _window(program: Program, day: date, minutes: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, program.starts_at, tzinfo=tz)
    return start, start + timedelta(minutes=minutes * program.class_hours)


def attended_lines(
    child: Child,
    presence: DayPresence,
    programs: Sequence[Program],
    *,
    class_hour_minutes: int,
    min_class_hours: int,
    tz: ZoneInfo = SCHOOL_TZ,
) -> list[Line]:
    """SR-1/SR-2: the child's lines for a day, one per program of theirs running that day (zero-hour lines kept,
    with the reason, so a statement shows why a day cost nothing)."""
    day = presence.day
    mine = sorted((p for p in programs if p.runs_on(day) and child.takes(p)), key=lambda p: (p.starts_at, p.program_id))
    if not presence.check_ins:
        reason = "on approved leave (AT-3)" if presence.leave_event_ids else "not checked in"
        ids = tuple(sorted(presence.leave_event_ids))
        return [Line(day, p.program_id, p.kind, 0, reason, ids) for p in mine]
    first_in = min(presence.check_ins, key=lambda m: (m.at, m.event_id))
    if not mine:
        return [Line(day, None, BASE, min_class_hours, "SR-2: no program schedule, EN-5 minimum", (first_in.event_id,))]
    windows = [_window(p, day, class_hour_minutes, tz) for p in mine]
    outs = [m for m in presence.check_outs if m.at > first_in.at]
    last_out = max(outs, key=lambda m: (m.at, m.event_id)) if outs else None
    present_to = last_out.at if last_out else max(end for _, end in windows)
    ids = tuple(sorted({first_in.event_id} | ({last_out.event_id} if last_out else set())))
    lines = []
    for program, (start, _end) in zip(mine, windows, strict=True):
        hours = slots_attended(start, program.class_hours, class_hour_minutes, first_in.at, present_to)
        reason = f"SR-1: {hours} of {program.class_hours} class-hours attended"
        lines.append(Line(day, program.program_id, program.kind, hours, reason, ids))
    return lines


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
