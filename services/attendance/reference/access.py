"""Who may follow up a child's case: the class's teacher, the session's teachers, the duty leader, the school admin."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.ext.asyncio import AsyncSession

from chassis.auth import Principal, Role
from services.attendance.reference import store as ref

SCHOOL_WIDE = (Role.SCHOOL_ADMIN, Role.DUTY_LEADER)


async def may_follow_up(
    session: AsyncSession, principal: Principal, *, class_id: str, teacher_ids: Collection[str]
) -> bool:
    """Whether the caller (already of the case's school) may resolve a case of this class and session."""
    if principal.role in SCHOOL_WIDE:
        return True
    if principal.role is Role.CLASS_TEACHER:
        return await ref.class_teacher_of(session, class_id=class_id) == principal.subject
    if principal.role is Role.SERVICE_TEACHER:
        return principal.subject in teacher_ids
    return False
