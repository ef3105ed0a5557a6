"""Family statements' table: corrections of issued months carried on later statements (ST-5/ST-6)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.stipend.store import Base


class FamilyAdjustment(Base):
    """A correction of an issued month carried on a later statement (never an edit of the issued one, ST-5/ST-6):
    what the facts now give for `for_month` less what was issued and adjusted for it before."""

    __tablename__ = "family_adjustments"

    school_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    statement_month: Mapped[str] = mapped_column(String(7), primary_key=True)
    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    for_month: Mapped[str] = mapped_column(String(7), primary_key=True)
    amount_fen: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
