"""The live board (BX-6): a session's counts from who is expected, checked in, collected and on leave."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class SessionFacts:
    """What is known of one session now: its roster, arrivals, departures, leave and teachers on duty."""

    expected: frozenset[str]
    checked_in: frozenset[str]
    checked_out: frozenset[str]
    on_leave: frozenset[str]
    teachers: int
    missing_due: bool
    """True once `absence_after_minutes` have passed since the start: a child not arrived by then is missing."""


@dataclass(frozen=True)
class Counts:
    """BX-6: the board's numbers for a session (or summed for a school or district)."""

    expected: int
    present: int
    on_leave: int
    awaiting: int
    missing: int
    collected: int
    teachers: int
    over_ratio: bool


def session_counts(facts: SessionFacts, *, students_per_teacher: int) -> Counts:
    """BX-6: every expected child is in exactly one of present, on leave, awaiting (not yet due), missing, or
    collected; a child on leave who turns up anyway counts as present. The session is over the ratio when its
    present children exceed `students_per_teacher` per teacher on duty (any child with no teacher is over)."""
    expected = facts.expected
    collected = expected & facts.checked_out
    present = (expected & facts.checked_in) - collected
    on_leave = (expected & facts.on_leave) - present - collected
    not_arrived = expected - present - collected - on_leave
    return Counts(
        expected=len(expected),
        present=len(present),
        on_leave=len(on_leave),
        awaiting=0 if facts.missing_due else len(not_arrived),
        missing=len(not_arrived) if facts.missing_due else 0,
        collected=len(collected),
        teachers=facts.teachers,
        over_ratio=len(present) > facts.teachers * students_per_teacher,
    )


def students_per_teacher(counts: Counts) -> float | None:
    """Present children per teacher on duty, to one decimal (None when no teacher is on duty)."""
    return round(counts.present / counts.teachers, 1) if counts.teachers else None


def total(counts: Iterable[Counts]) -> Counts:
    """A school's (or district's) counts: the sum of its sessions'; over the ratio if any session is."""
    items = list(counts)
    return Counts(
        expected=sum(c.expected for c in items),
        present=sum(c.present for c in items),
        on_leave=sum(c.on_leave for c in items),
        awaiting=sum(c.awaiting for c in items),
        missing=sum(c.missing for c in items),
        collected=sum(c.collected for c in items),
        teachers=sum(c.teachers for c in items),
        over_ratio=any(c.over_ratio for c in items),
    )
