"""The term's tables: survey answers, program scores (QA-2) and published settlements (ST-4)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.stipend.store import Base


class SurveyAnswer(Base):
    """A family's answer to the term survey about a program (QA-2): one per family, program and term (the family
    key: `domain.evaluation.family_of`). The child is kept only to allow one answer per family; reports show
    aggregates, never who answered."""

    __tablename__ = "survey_answers"
    __table_args__ = (UniqueConstraint("term_id", "program_id", "family_key", name="uq_survey_answer_per_family"),)

    term_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    program_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_key: Mapped[str] = mapped_column(String(64))
    school_id: Mapped[str] = mapped_column(String(64))
    score: Mapped[int] = mapped_column(Integer)
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ProgramScore(Base):
    """The school's plan-completion and effectiveness scores of a program for a term (QA-2)."""

    __tablename__ = "program_scores"

    term_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    program_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))
    plan_completion: Mapped[int] = mapped_column(Integer)
    effectiveness: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(500))
    scored_by: Mapped[str] = mapped_column(String(64))
    scored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SettlementRow(Base):
    """A teacher's published term settlement (ST-4), kept as published."""

    __tablename__ = "term_settlements"

    school_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    term_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    process_fen: Mapped[int] = mapped_column(Integer)
    weight: Mapped[int] = mapped_column(Integer)
    bonus_fen: Mapped[int] = mapped_column(Integer)
    forfeited: Mapped[bool] = mapped_column(Boolean)
    published_by: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
