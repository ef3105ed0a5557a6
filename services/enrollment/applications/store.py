"""Tables and queries of applications: their steps, the open one of a child, the pages of a school (EN-1, EN-2).

The `Application` row itself is in the service's root store: places and allocation read its stage too."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from chassis.pagination import rows_after, where_given
from services.enrollment.domain.workflow import HOLDS_PLACES, Stage
from services.enrollment.setup.store import ClassTeacher
from services.enrollment.store import Application, Base, GuardianLink, Student


class ApplicationEntry(Base):
    """EN-1: one recorded step of an application: what was done, by whom, when, why."""

    __tablename__ = "application_history"

    entry_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.application_id"), index=True)
    action: Mapped[str] = mapped_column(String(24))
    stage: Mapped[str] = mapped_column(String(24))
    by: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    effective_on: Mapped[date | None] = mapped_column(Date, nullable=True)


async def open_application(session: AsyncSession, *, student_id: str, term_id: str) -> Application | None:
    """The child's application for the term that is not yet final, if any."""
    query = select(Application).where(Application.open_key == f"{student_id}:{term_id}")
    return (await session.execute(query)).scalar_one_or_none()


async def history_of(session: AsyncSession, *, application_id: str) -> list[ApplicationEntry]:
    """Every recorded step of an application, oldest first."""
    query = select(ApplicationEntry).where(ApplicationEntry.application_id == application_id)
    return list((await session.execute(query.order_by(ApplicationEntry.entry_id))).scalars())


def holds_places(stage: str) -> bool:
    """Whether an application at `stage` keeps its club places."""
    return Stage(stage) in HOLDS_PLACES


async def applications_page(
    session: AsyncSession,
    *,
    school_id: str,
    term_id: str | None,
    stage: str | None,
    guardian_id: str | None,
    class_teacher_id: str | None,
    after: str | None,
    limit: int,
) -> list[Application]:
    """Up to `limit` of a school's applications after the cursor, by id; only a guardian's children or a class
    teacher's classes when those are given."""
    query = select(Application).where(Application.school_id == school_id)
    if guardian_id is not None:
        children = select(GuardianLink.student_id).where(GuardianLink.guardian_id == guardian_id)
        query = query.where(Application.student_id.in_(children))
    if class_teacher_id is not None:
        classes = select(ClassTeacher.class_id).where(ClassTeacher.staff_id == class_teacher_id)
        pupils = select(Student.student_id).where(Student.class_id.in_(classes))
        query = query.where(Application.student_id.in_(pupils))
    query = where_given(query, (Application.term_id, term_id), (Application.stage, stage))
    return await rows_after(session, query, [Application.application_id], after, limit)
