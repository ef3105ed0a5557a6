"""Who may read what (tenancy from the token; another school's data, or someone else's, is a 404)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from sqlalchemy.ext.asyncio import AsyncSession

from chassis.auth import Principal, Role
from chassis.problems import Forbidden, NotFound
from services.stipend.facts import store as facts

# The platform's own century: "0000-01" or "9999-12" are typing slips, and `date()` cannot even hold year 0.
MONTH_PATTERN = r"^20\d{2}-(0[1-9]|1[0-2])$"
MonthPath = Annotated[str, Path(pattern=MONTH_PATTERN, description="YYYY-MM")]
TEACHERS = frozenset({Role.SERVICE_TEACHER, Role.CLASS_TEACHER, Role.SUBJECT_TEACHER, Role.DUTY_LEADER})


def teacher_statement_reader(principal: Principal, staff_id: str) -> str:
    """A school admin reads any teacher of the school; a teacher only their own (someone else's is a 404)."""
    school = principal.school()
    if principal.role is Role.SCHOOL_ADMIN:
        return school
    if principal.role in TEACHERS:
        if principal.subject != staff_id:
            raise NotFound(f"no statement of teacher '{staff_id}'")
        return school
    raise Forbidden(f"role '{principal.role}' may not read teacher statements")


async def family_reader(session: AsyncSession, principal: Principal, student_id: str) -> str:
    """A school admin reads the school's children; a guardian only their own family's (else a 404)."""
    school = principal.school()
    if principal.role not in (Role.SCHOOL_ADMIN, Role.GUARDIAN):
        raise Forbidden(f"role '{principal.role}' may not read family statements")
    known_at = await facts.student_school(session, student_id=student_id)
    if known_at != school:
        raise NotFound(f"no student '{student_id}'")
    if principal.role is Role.GUARDIAN and not await facts.guardian_of(
        session, guardian_id=principal.subject, student_id=student_id
    ):
        raise NotFound(f"no student '{student_id}'")
    return school
