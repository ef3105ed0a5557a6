"""Roster rules (EN-8): who may be placed where."""

from __future__ import annotations

PRIMARY_GRADES = range(1, 7)
MIDDLE_GRADES = range(7, 10)


class RosterRuleBroken(ValueError):
    """A roster change that the school's structure does not allow."""


def check_grade(grade: int) -> int:
    """Grades 1–6 are primary school and 7–9 middle school; nothing else exists here."""
    if grade not in PRIMARY_GRADES and grade not in MIDDLE_GRADES:
        raise RosterRuleBroken(f"unknown grade {grade}: grades are 1 to 9")
    return grade


def check_same_school(student_school: str, class_school: str) -> None:
    """A student is placed only in a class of their own school."""
    if student_school != class_school:
        raise RosterRuleBroken("the class belongs to another school")
