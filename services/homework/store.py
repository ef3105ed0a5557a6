"""Homework tables: so far only the chassis' outbox, inbox and idempotency keys (the domain is its own issue)."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from chassis.tables import ChassisTables


class Base(DeclarativeBase):
    """Homework's own tables."""


TABLES = ChassisTables(Base.metadata)
