"""The last time each distinct emergency message went to a school, so a repeat within the window is merged."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.notify.store import Base


class RecentBroadcast(Base):
    """The last time each distinct emergency message was sent to a school, to merge repeats."""

    __tablename__ = "recent_broadcasts"

    school_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    broadcast_id: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    merged: Mapped[int] = mapped_column(Integer, default=0)
