"""The burden caps (HW-1..HW-4, HW-6): may this homework be added to a class's day?

Decision on practical homework (reading, sport, labour, inquiry): HW-1 and HW-2 are about *written* homework,
so practical homework is allowed in grades 1–2 and does not count toward the written-minute cap; HW-3 is about
*all* homework, so practical homework counts as a subject of the day and toward the 2-hour total on weekends,
holidays and vacations. Tiered homework counts its heaviest tier (HW-5): no child may get more than the cap.
Holidays and vacations use the weekend subject limit (they are not school days).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from contracts.enrollment import DayKind
from contracts.homework import HomeworkKind
from contracts.policy import PolicySettings


@dataclass(frozen=True)
class Load:
    """One assignment as the caps see it: its subject, kind and counted (heaviest-tier) minutes."""

    subject: str
    kind: HomeworkKind
    minutes: int

    @property
    def written(self) -> bool:
        """HW-5: written homework (the rest is practical)."""
        return self.kind is HomeworkKind.WRITTEN


@dataclass(frozen=True)
class ClassDay:
    """A class on a day: its grade, the kind of day, and the policy profile in force that day."""

    grade: int
    kind: DayKind
    policy: PolicySettings

    @property
    def school_day(self) -> bool:
        """Only school days have the tighter subject limit (HW-3)."""
        return self.kind is DayKind.SCHOOL_DAY


@dataclass(frozen=True)
class Refusal:
    """Why homework may not be set: the rule, the cap, and what the day already holds."""

    rule: str
    reason: str
    cap: int
    assigned_minutes: int
    minutes_by_subject: dict[str, int]


@dataclass(frozen=True)
class Room:
    """HW-4: what is left of each cap for a class's day (None = that cap does not apply that day)."""

    written_cap: int
    written_left: int
    subjects_cap: int
    subjects_left: int
    total_cap: int | None
    total_left: int | None


@dataclass(frozen=True)
class Forbidden:
    """HW-6: what the request says about who does, grades or receives the homework, and how."""

    for_parents: bool = False
    graded_by_parents: bool = False
    via_phone: bool = False
    punitive: bool = False


def daily_cap_minutes(grade: int, policy: PolicySettings) -> int:
    """HW-1/HW-2: the written minutes a class of `grade` may get in a day (0 in grades 1–2)."""
    return policy.written_cap(grade)


def max_subjects(day: ClassDay) -> int:
    """HW-3: how many subjects may set homework on this day (2 on school days, 3 otherwise, by default)."""
    return day.policy.max_subjects_school_day if day.school_day else day.policy.max_subjects_weekend


def total_cap(day: ClassDay) -> int | None:
    """HW-3: the cap on all homework minutes of a weekend, holiday or vacation day (none on school days)."""
    return None if day.school_day else day.policy.max_minutes_weekend_holiday


def minutes_by_subject(loads: Iterable[Load], *, written_only: bool = False) -> dict[str, int]:
    """Minutes per subject, in first-seen order."""
    found: dict[str, int] = {}
    for load in loads:
        if load.written or not written_only:
            found[load.subject] = found.get(load.subject, 0) + load.minutes
    return found


def refuse_forbidden(request: Forbidden) -> Refusal | None:
    """HW-6: homework for parents, graded by parents, set or done through phones, or punitive, is refused."""
    reasons = {
        "for_parents": "homework may not be set for parents (不得给家长布置作业)",
        "graded_by_parents": "homework may not be graded by parents (不得要求家长批改)",
        "via_phone": "homework may not be set or done through phones or chat groups (不得用手机布置作业)",
        "punitive": "repetitive or punitive homework is not allowed",
    }
    for flag, reason in reasons.items():
        if getattr(request, flag):
            return Refusal("HW-6", reason, 0, 0, {})
    return None


def check(day: ClassDay, existing: Sequence[Load], proposal: Load) -> Refusal | None:
    """HW-1..HW-4: None if `proposal` may join the day's `existing` homework, else the first cap it breaks."""
    if proposal.written and day.grade <= 2:
        return Refusal("HW-1", f"grade {day.grade} gets no written homework to take home", 0, 0, {})
    if proposal.written:
        written = minutes_by_subject(existing, written_only=True)
        cap, used = daily_cap_minutes(day.grade, day.policy), sum(written.values())
        if used + proposal.minutes > cap:
            reason = f"written homework of grade {day.grade} is capped at {cap} min a day; {used} min already set"
            return Refusal("HW-2", reason, cap, used, written)
    every = minutes_by_subject(existing)
    used = sum(every.values())
    subjects_cap = max_subjects(day)
    if proposal.subject not in every and len(every) + 1 > subjects_cap:
        reason = f"at most {subjects_cap} subjects may set homework on a {day.kind.value.replace('_', ' ')}"
        return Refusal("HW-3", reason, subjects_cap, used, every)
    limit = total_cap(day)
    if limit is not None and used + proposal.minutes > limit:
        reason = f"homework on a {day.kind.value} is capped at {limit} min in total; {used} min already set"
        return Refusal("HW-3", reason, limit, used, every)
    return None


def room(day: ClassDay, existing: Sequence[Load]) -> Room:
    """HW-4: the room left under each cap (the class teacher's view)."""
    written_cap = daily_cap_minutes(day.grade, day.policy)
    written_used = sum(minutes_by_subject(existing, written_only=True).values())
    every = minutes_by_subject(existing)
    subjects_cap, limit = max_subjects(day), total_cap(day)
    return Room(
        written_cap=written_cap,
        written_left=max(0, written_cap - written_used),
        subjects_cap=subjects_cap,
        subjects_left=max(0, subjects_cap - len(every)),
        total_cap=limit,
        total_left=None if limit is None else max(0, limit - sum(every.values())),
    )
