"""What every homework route shares: ids and bodies as requests carry them, who may call (by role), and the
command answered at most once per `Idempotency-Key`.

Who may see which class or child is `store.class_for` / `store.student_for`, beside the copies they read.
"""

from __future__ import annotations

from typing import Annotated

from chassis.auth import Principal, Role, require

ClassTeacherOrAdmin = Annotated[Principal, require(Role.CLASS_TEACHER, Role.SCHOOL_ADMIN)]
TeacherOrAdmin = Annotated[
    Principal, require(Role.CLASS_TEACHER, Role.SUBJECT_TEACHER, Role.SERVICE_TEACHER, Role.SCHOOL_ADMIN)
]
TeacherAdminOrGuardian = Annotated[
    Principal,
    require(Role.CLASS_TEACHER, Role.SUBJECT_TEACHER, Role.SERVICE_TEACHER, Role.SCHOOL_ADMIN, Role.GUARDIAN),
]
TEACHERS = frozenset({Role.CLASS_TEACHER, Role.SUBJECT_TEACHER, Role.SERVICE_TEACHER})
