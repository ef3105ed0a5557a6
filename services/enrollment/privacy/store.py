"""The sensitive-read log: one row each time someone is shown a child's unmasked ID numbers or custody notes."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from chassis.pagination import rows_after, where_given
from services.enrollment.store import Base


class SensitiveRead(Base):
    """Who was shown which child's sensitive fields, when, and through which route (PIPL; append-only: on
    PostgreSQL a trigger refuses UPDATE and DELETE)."""

    __tablename__ = "sensitive_reads"
    __table_args__ = (Index("ix_sensitive_reads_school_at", "school_id", "read_at", "read_id"),)

    read_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.school_id"))
    student_id: Mapped[str] = mapped_column(String(64), index=True)
    reader_id: Mapped[str] = mapped_column(String(64))
    reader_role: Mapped[str] = mapped_column(String(32))
    fields: Mapped[str] = mapped_column(String(200))  # comma-separated: what was shown unmasked
    route: Mapped[str] = mapped_column(String(200))
    read_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def record_read(
    session: AsyncSession,
    *,
    school_id: str,
    student_id: str,
    reader_id: str,
    reader_role: str,
    fields: list[str],
    route: str,
    at: datetime,
) -> None:
    """Add one entry; the caller commits it with (or before) the answer that shows the fields."""
    session.add(
        SensitiveRead(
            read_id=str(uuid.uuid4()),
            school_id=school_id,
            student_id=student_id,
            reader_id=reader_id,
            reader_role=reader_role,
            fields=",".join(sorted(fields)),
            route=route,
            read_at=at,
        )
    )


async def reads_of(
    session: AsyncSession,
    *,
    school_id: str,
    student_id: str | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[SensitiveRead]:
    """The school's entries, newest first, optionally for one child; `limit + 1` rows for the page cut."""
    r = SensitiveRead
    query = where_given(select(r).where(r.school_id == school_id), (r.student_id, student_id))
    return await rows_after(session, query, [r.read_at, r.read_id], after, limit + 1, descending=True)
