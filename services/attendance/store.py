"""Attendance's declarative base and the roster it keeps from enrollment; each slice keeps its own tables."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chassis.tables import ChassisTables


class Base(DeclarativeBase):
    """Attendance's own tables."""


TABLES = ChassisTables(Base.metadata)


class RosterStudent(Base):
    """A student as attendance knows them, from `enrollment.student_enrolled` (ids only, no personal data)."""

    __tablename__ = "roster_students"

    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64), index=True)
    class_id: Mapped[str] = mapped_column(String(64))
    grade: Mapped[int] = mapped_column(Integer)
