"""What every homework route shares: ids and bodies as requests carry them, who may call (by role), the
`day|id` page cursor, and the command answered at most once per `Idempotency-Key`.

Who may see which class or child is `store.class_for` / `store.student_for`, beside the copies they read.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from chassis.auth import Principal, Role, require
from chassis.problems import Unprocessable

ClassTeacherOrAdmin = Annotated[Principal, require(Role.CLASS_TEACHER, Role.SCHOOL_ADMIN)]
TeacherOrAdmin = Annotated[
    Principal, require(Role.CLASS_TEACHER, Role.SUBJECT_TEACHER, Role.SERVICE_TEACHER, Role.SCHOOL_ADMIN)
]
TeacherAdminOrGuardian = Annotated[
    Principal,
    require(Role.CLASS_TEACHER, Role.SUBJECT_TEACHER, Role.SERVICE_TEACHER, Role.SCHOOL_ADMIN, Role.GUARDIAN),
]
TEACHERS = frozenset({Role.CLASS_TEACHER, Role.SUBJECT_TEACHER, Role.SERVICE_TEACHER})


def day_cursor(after: str | None) -> tuple[date, str] | None:
    """A `day|id` page cursor, parsed (422 when malformed)."""
    if after is None:
        return None
    day, _, item_id = after.partition("|")
    try:
        return date.fromisoformat(day), item_id
    except ValueError as error:
        raise Unprocessable("a malformed page cursor") from error
