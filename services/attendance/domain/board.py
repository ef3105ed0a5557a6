"""The live board (BX-6): each expected child's state in a session, counted per session and per school."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    """Where an expected child stands in a session right now."""

    PRESENT = "present"
    ON_LEAVE = "on_leave"
    AWAITING = "awaiting"
    MISSING = "missing"
    COLLECTED = "collected"


SCHOOL_PRECEDENCE = (Status.COLLECTED, Status.PRESENT, Status.MISSING, Status.AWAITING, Status.ON_LEAVE)
"""A child expected in several sessions counts once for the school, in the first of these states any of their
sessions gives them: gone home, here, missed somewhere, still awaited, and on leave only if on leave from all."""


@dataclass(frozen=True)
class SessionFacts:
    """What is known of one session now: its roster, who checked in for it, who went home today, who has leave
    from it, its teachers on duty, and whether a child not arrived by now is missing."""

    expected: frozenset[str]
    checked_in: frozenset[str]
    checked_out: frozenset[str]
    on_leave: frozenset[str]
    teachers: int
    missing_due: bool
    """True once `absence_after_minutes` have passed since the start: a child not arrived by then is missing."""


@dataclass(frozen=True)
class Counts:
    """BX-6: the board's numbers for a session or a school."""

    expected: int
    present: int
    on_leave: int
    awaiting: int
    missing: int
    collected: int
    teachers: int
    over_ratio: bool


def statuses(facts: SessionFacts) -> dict[str, Status]:
    """BX-6: each expected child in exactly one state; a child on leave who turns up anyway is present."""
    found = {}
    for child in facts.expected:
        if child in facts.checked_out:
            found[child] = Status.COLLECTED
        elif child in facts.checked_in:
            found[child] = Status.PRESENT
        elif child in facts.on_leave:
            found[child] = Status.ON_LEAVE
        else:
            found[child] = Status.MISSING if facts.missing_due else Status.AWAITING
    return found


def _counts(states: Mapping[str, Status], *, teachers: int, over_ratio: bool) -> Counts:
    tally = Counter(states.values())
    return Counts(
        expected=len(states),
        present=tally[Status.PRESENT],
        on_leave=tally[Status.ON_LEAVE],
        awaiting=tally[Status.AWAITING],
        missing=tally[Status.MISSING],
        collected=tally[Status.COLLECTED],
        teachers=teachers,
        over_ratio=over_ratio,
    )


def session_counts(facts: SessionFacts, *, students_per_teacher: int) -> Counts:
    """BX-6: a session's counts; over the ratio when its present children exceed `students_per_teacher` per
    teacher on duty (present children with no teacher at all are always over)."""
    states = statuses(facts)
    present = sum(state is Status.PRESENT for state in states.values())
    return _counts(states, teachers=facts.teachers, over_ratio=present > facts.teachers * students_per_teacher)


def school_counts(sessions: Sequence[SessionFacts], *, teachers: int, students_per_teacher: int) -> Counts:
    """BX-6: a school's counts over distinct children (see SCHOOL_PRECEDENCE) and distinct teachers on duty;
    over the ratio if any of its sessions is."""
    rank = {state: number for number, state in enumerate(SCHOOL_PRECEDENCE)}
    merged: dict[str, Status] = {}
    for facts in sessions:
        for child, state in statuses(facts).items():
            if child not in merged or rank[state] < rank[merged[child]]:
                merged[child] = state
    over = any(session_counts(s, students_per_teacher=students_per_teacher).over_ratio for s in sessions)
    return _counts(merged, teachers=teachers, over_ratio=over)


def students_per_teacher(counts: Counts) -> float | None:
    """Present children per teacher on duty, to one decimal (None when no teacher is on duty)."""
    return round(counts.present / counts.teachers, 1) if counts.teachers else None
