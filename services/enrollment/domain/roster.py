"""Roster rules (EN-8, EN-3, BX-2, AT-5): who may be placed where, and who may collect a child."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from contracts.enrollment import PriorityGroup

PRIMARY_GRADES = range(1, 7)
MIDDLE_GRADES = range(7, 10)

ACTIVE, LEFT = "active", "left"
AUTHORISED, RESTRICTED, REMOVED = "authorised", "restricted", "removed"


class RosterRuleBroken(ValueError):
    """A roster change that the school's structure does not allow."""


class PickupRuleBroken(ValueError):
    """BX-2: a pickup change that would let a restricted person collect the child."""


def masked_id_number(id_number: str | None) -> str | None:
    """PIPL: what anyone but the school admin sees of an ID number, its last four digits."""
    return f"****{id_number[-4:]}" if id_number else None


def check_grade(grade: int) -> int:
    """Grades 1–6 are primary school and 7–9 middle school; nothing else exists here."""
    if grade not in PRIMARY_GRADES and grade not in MIDDLE_GRADES:
        raise RosterRuleBroken(f"unknown grade {grade}: grades are 1 to 9")
    return grade


def check_same_school(student_school: str, class_school: str) -> None:
    """A student is placed only in a class of their own school."""
    if student_school != class_school:
        raise RosterRuleBroken("the class belongs to another school")


def priority_groups(values: Iterable[str]) -> list[str]:
    """EN-3: the distinct priority groups, in the order the contract lists them (so equal sets compare equal)."""
    wanted = set(values)
    unknown = wanted - {g.value for g in PriorityGroup}
    if unknown:
        raise RosterRuleBroken(f"unknown priority group(s): {', '.join(sorted(unknown))}")
    return [g.value for g in PriorityGroup if g.value in wanted]


def check_transfer(*, status: str, from_class: str, to_class: str) -> None:
    """EN-8: a transfer moves a child still on the roster to another class (of the same school, checked by lookup)."""
    if status != ACTIVE:
        raise RosterRuleBroken("the student has left the school")
    if from_class == to_class:
        raise RosterRuleBroken("the student is already in this class")


@dataclass(frozen=True)
class PickupEntry:
    """What the rules need to know of a child's pickup person."""

    person_id: str
    status: str
    credential_ref: str | None
    id_number: str | None


def _same_person(a: PickupEntry, credential_ref: str | None, id_number: str | None) -> bool:
    return bool((credential_ref and a.credential_ref == credential_ref) or (id_number and a.id_number == id_number))


def check_may_authorise(entries: Iterable[PickupEntry], *, credential_ref: str, id_number: str | None) -> None:
    """BX-2: a restricted person (same credential or id number) can never be an authorised pickup of the child."""
    for entry in entries:
        if entry.status == RESTRICTED and _same_person(entry, credential_ref, id_number):
            raise PickupRuleBroken("this person is restricted from collecting the child (custody order)")


def authorisations_lifted_by_restriction(
    entries: Iterable[PickupEntry], *, credential_ref: str | None, id_number: str | None
) -> list[str]:
    """BX-2: restricting a person ends their authorisations for the child; the ids of those to remove."""
    return [e.person_id for e in entries if e.status == AUTHORISED and _same_person(e, credential_ref, id_number)]


def check_walk_home_guardian(*, guardian_id: str, guardians_of_child: Iterable[str]) -> None:
    """AT-5: only one of the child's own guardians gives (or withdraws) the permission to leave alone."""
    if guardian_id not in set(guardians_of_child):
        raise RosterRuleBroken(f"'{guardian_id}' is not a guardian of this child")
