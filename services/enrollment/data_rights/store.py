"""The queries a family's export reads."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.enrollment.store import Application, GuardianLink, Student


async def children_of(session: AsyncSession, *, guardian_id: str) -> list[tuple[GuardianLink, Student]]:
    """The guardian's links and children, by student id."""
    query = (
        select(GuardianLink, Student)
        .join(Student, Student.student_id == GuardianLink.student_id)
        .where(GuardianLink.guardian_id == guardian_id)
        .order_by(Student.student_id)
    )
    return [(link, student) for link, student in (await session.execute(query)).all()]


async def applications_of(session: AsyncSession, *, student_id: str) -> list[Application]:
    """Every application made for the child, oldest first."""
    query = select(Application).where(Application.student_id == student_id)
    return list((await session.scalars(query.order_by(Application.created_at, Application.application_id))).all())
