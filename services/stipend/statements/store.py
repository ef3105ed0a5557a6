"""Teacher statements' tables: the month's run and the append-only ledger of published lines (ST-5)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.stipend.store import Base


class StatementRun(Base):
    """A school's month of teacher statements: draft → approved → published (ST-5)."""

    __tablename__ = "statement_runs"

    school_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    fingerprint: Mapped[str] = mapped_column(String(64))
    approved_by: Mapped[str] = mapped_column(String(64))
    approved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class LedgerEntry(Base):
    """One published ledger line (append-only: rows are inserted at publication and never updated, ST-5)."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        Index("ix_ledger_statement", "school_id", "statement_month", "staff_id"),
        Index("ix_ledger_session_month", "school_id", "session_month"),
    )

    entry_id: Mapped[str] = mapped_column(String(96), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))
    statement_month: Mapped[str] = mapped_column(String(7))
    staff_id: Mapped[str] = mapped_column(String(64))
    session_id: Mapped[str] = mapped_column(String(128))
    session_date: Mapped[date] = mapped_column(Date)
    session_month: Mapped[str] = mapped_column(String(7))
    line: Mapped[str] = mapped_column(String(16))
    units: Mapped[int] = mapped_column(Integer)
    fen: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(300))
    event_ids: Mapped[list[str]] = mapped_column(JSON)
    reverses: Mapped[list[str]] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
