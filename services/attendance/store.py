"""Attendance's declarative base and the roster it keeps from enrollment; each slice keeps its own tables."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chassis.tables import ChassisTables


class Base(DeclarativeBase):
    """Attendance's own tables."""


TABLES = ChassisTables(Base.metadata)


class RosterStudent(Base):
    """A student as attendance knows them, from enrollment's roster events (ids only, no personal data)."""

    __tablename__ = "roster_students"

    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64), index=True)
    class_id: Mapped[str] = mapped_column(String(64), index=True)
    grade: Mapped[int] = mapped_column(Integer)
    left_on: Mapped[date | None] = mapped_column(Date, nullable=True, default=None)
