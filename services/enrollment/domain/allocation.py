"""Fair allocation of club places (EN-3, EN-4, BX-1): priority groups first, then a seeded, recorded lottery.

How applicants are ordered (EN-3 names the groups but does not rank them against each other):
1. by *tier*: the number of priority groups a child belongs to, most first. A child who is left behind *and*
   disabled has more need than a child in one group, and any child in a group comes before a child in none;
2. within a tier, lower grades first (EN-3 lists lower grades among those served first);
3. then by the lottery: the student ids, sorted, are shuffled by `random.Random(seed)`, so the same applicants
   and seed always give the same order whatever order they were passed in.

How places are given (BX-1, Gibbon's ranked choices): tier by tier, round by round. In round *r* every applicant
of the tier, in order, asks for their *r*-th choice; a whole tier is served before the next tier starts, so a
priority child is never left waiting for a club that a child of a lower tier gets in this run. A choice is
skipped when the club is unknown, outside the child's grade range (EN-4), already held, or would take the child
over the policy's club sessions per week (EN-4); when the club is full the child joins its waitlist, in order.
Places held before the run are kept (nobody loses a place to a run) and count against capacity and the weekly
maximum.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from contracts.enrollment import PriorityGroup


@dataclass(frozen=True)
class Club:
    """A club as the run sees it: places, places already held, sessions a week, grade range."""

    program_id: str
    capacity: int
    sessions_per_week: int
    min_grade: int
    max_grade: int
    taken: int = 0

    def admits(self, grade: int) -> bool:
        """EN-4: only children within the club's grade range (a course layered by grade band)."""
        return self.min_grade <= grade <= self.max_grade


@dataclass(frozen=True)
class Applicant:
    """A child with an approved or active application: grade, priority groups, ranked choices, places held."""

    student_id: str
    grade: int
    priority_groups: frozenset[PriorityGroup] = frozenset()
    choices: tuple[str, ...] = ()
    held: frozenset[str] = frozenset()
    held_sessions: int = 0

    @property
    def tier(self) -> int:
        """EN-3: the number of priority groups the child belongs to (0 = none)."""
        return len(self.priority_groups)


@dataclass(frozen=True)
class Allocation:
    """The result of a run: the order applicants were served in, new places and waitlists per club (in order)."""

    seed: int
    order: tuple[str, ...]
    places: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    waitlists: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def allocated(self) -> int:
        """How many new places the run gave."""
        return sum(len(students) for students in self.places.values())

    @property
    def waitlisted(self) -> int:
        """How many waitlist entries the run made."""
        return sum(len(students) for students in self.waitlists.values())


def service_order(applicants: Iterable[Applicant], seed: int) -> list[Applicant]:
    """EN-3: priority tier (most groups first), then lower grade, then the seeded lottery."""
    by_id = sorted(applicants, key=lambda a: a.student_id)
    draw = list(by_id)
    random.Random(seed).shuffle(draw)
    ticket = {a.student_id: n for n, a in enumerate(draw)}
    return sorted(by_id, key=lambda a: (-a.tier, a.grade, ticket[a.student_id]))


class _Run:
    """The state of one run: places taken, each child's sessions and clubs, the new places and waitlists."""

    def __init__(self, clubs: Iterable[Club], order: list[Applicant], max_sessions_per_week: int) -> None:
        self.clubs = {c.program_id: c for c in clubs}
        self.max_sessions = max_sessions_per_week
        self.taken = {p: c.taken for p, c in self.clubs.items()}
        self.sessions = {a.student_id: a.held_sessions for a in order}
        self.holds = {a.student_id: set(a.held) for a in order}
        self.places: dict[str, list[str]] = {p: [] for p in self.clubs}
        self.waitlists: dict[str, list[str]] = {p: [] for p in self.clubs}

    def offer(self, applicant: Applicant, program_id: str) -> None:
        """The child asks for one club: a place if one is free, the waitlist if full, nothing if not allowed."""
        club, student = self.clubs.get(program_id), applicant.student_id
        if club is None or not club.admits(applicant.grade) or program_id in self.holds[student]:
            return
        if student in self.waitlists[program_id]:
            return
        if self.sessions[student] + club.sessions_per_week > self.max_sessions:
            return  # EN-4: over the weekly maximum, so neither a place nor a waitlist entry
        if self.taken[program_id] < club.capacity:
            self.taken[program_id] += 1
            self.sessions[student] += club.sessions_per_week
            self.holds[student].add(program_id)
            self.places[program_id].append(student)
        else:
            self.waitlists[program_id].append(student)


def allocate(
    clubs: Iterable[Club], applicants: Iterable[Applicant], *, max_sessions_per_week: int, seed: int
) -> Allocation:
    """EN-3/EN-4/BX-1: give free places tier by tier, round by round over ranked choices; full clubs waitlist."""
    order = service_order(applicants, seed)
    run = _Run(clubs, order, max_sessions_per_week)
    for tier in sorted({a.tier for a in order}, reverse=True):
        members = [a for a in order if a.tier == tier]
        for round_ in range(max(len(a.choices) for a in members)):
            for applicant in members:
                if round_ < len(applicant.choices):
                    run.offer(applicant, applicant.choices[round_])
    return Allocation(
        seed=seed,
        order=tuple(a.student_id for a in order),
        places={p: tuple(s) for p, s in sorted(run.places.items()) if s},
        waitlists={p: tuple(s) for p, s in sorted(run.waitlists.items()) if s},
    )
