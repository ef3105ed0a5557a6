"""A guardian's own preferences (NT-2), and how the alerts and the deliveries read them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time

from sqlalchemy import JSON, DateTime, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from chassis.sql import among
from chassis.uow import UnitOfWork
from services.notify.domain.channels import Category, Channel
from services.notify.domain.messages import Language
from services.notify.domain.quiet_hours import QuietHours
from services.notify.domain.routing import Addresses, Preferences
from services.notify.store import Base


class GuardianPreference(Base):
    """A guardian's own channel order per category, language, addresses and quiet hours (NT-2)."""

    __tablename__ = "guardian_preferences"

    guardian_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(2))
    channels: Mapped[dict[str, list[str]]] = mapped_column(JSON)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    wechat_openid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    quiet_start: Mapped[str | None] = mapped_column(String(5), nullable=True)
    quiet_end: Mapped[str | None] = mapped_column(String(5), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


async def preferences_of(session: AsyncSession, guardian_ids: Iterable[str]) -> dict[str, GuardianPreference]:
    """The stored preferences of these guardians (those who set any)."""
    ids = sorted(set(guardian_ids))
    if not ids:
        return {}
    rows = await session.execute(select(GuardianPreference).where(among(session, GuardianPreference.guardian_id, ids)))
    return {row.guardian_id: row for row in rows.scalars()}


PREFERENCES = "guardian-preferences"
"""What `preferences_in` remembers in a unit of work; a handler that deletes preferences forgets it."""


async def preferences_in(uow: UnitOfWork, guardian_ids: Iterable[str]) -> dict[str, GuardianPreference]:
    """`preferences_of`, read once a transaction for the guardians not asked before (a consumer's prefetch asks for a
    whole batch's)."""
    answers = await uow.read_many(PREFERENCES, guardian_ids, lambda ids: preferences_of(uow.session, ids))
    return {guardian: chosen for guardian, chosen in answers.items() if chosen is not None}


def language_of(preference: GuardianPreference | None, linked: str) -> Language:
    """The guardian's own choice wins over the language the school recorded at enrolment (NT-2)."""
    chosen = preference.language if preference is not None else linked
    return "en" if chosen == "en" else "zh"


def as_preferences(row: GuardianPreference) -> Preferences:
    """The stored row as the pure routing rules read it."""
    quiet = None
    if row.quiet_start and row.quiet_end:
        quiet = QuietHours(time.fromisoformat(row.quiet_start), time.fromisoformat(row.quiet_end))
    channels = {Category(k): [Channel(c) for c in v] for k, v in row.channels.items()}
    addresses = Addresses(email=row.email, phone=row.phone, wechat_openid=row.wechat_openid)
    return Preferences(channels=channels, addresses=addresses, quiet=quiet)
