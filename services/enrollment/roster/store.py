"""Queries of the roster slice: the pages of classes, students and a guardian's children, and their links."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chassis.pagination import rows_after, where_given
from services.enrollment.store import GuardianLink, SchoolClass, Student


async def classes_page(session: AsyncSession, *, school_id: str, after: str | None, limit: int) -> list[SchoolClass]:
    """Up to `limit` of a school's classes after the cursor, by id."""
    query = select(SchoolClass).where(SchoolClass.school_id == school_id)
    return await rows_after(session, query, [SchoolClass.class_id], after, limit)


async def students_page(
    session: AsyncSession, *, school_id: str, class_id: str | None, status: str | None, after: str | None, limit: int
) -> list[Student]:
    """Up to `limit` of a school's students after the cursor, by id."""
    query = where_given(
        select(Student).where(Student.school_id == school_id), (Student.class_id, class_id), (Student.status, status)
    )
    return await rows_after(session, query, [Student.student_id], after, limit)


async def children_page(
    session: AsyncSession, *, school_id: str, guardian_id: str, after: str | None, limit: int
) -> list[Student]:
    """Up to `limit` of a guardian's children after the cursor, by id."""
    query = (
        select(Student)
        .join(GuardianLink, GuardianLink.student_id == Student.student_id)
        .where(GuardianLink.guardian_id == guardian_id, Student.school_id == school_id)
    )
    return await rows_after(session, query, [Student.student_id], after, limit)


async def links_of_guardian(session: AsyncSession, *, guardian_id: str) -> list[GuardianLink]:
    """The guardian's links to children."""
    rows = await session.execute(
        select(GuardianLink).where(GuardianLink.guardian_id == guardian_id).order_by(GuardianLink.student_id)
    )
    return list(rows.scalars())
