"""The chassis' own tables, added to every service's metadata: outbox, inbox and idempotency keys."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
_BigId = BigInteger().with_variant(Integer(), "sqlite")


class ChassisTables:
    """Handles to the outbox, inbox and idempotency tables of one service's metadata."""

    def __init__(self, metadata: MetaData) -> None:
        self.outbox = Table(
            "outbox",
            metadata,
            # The id orders a key's events: writers of one key serialise on a lock before inserting.
            Column("id", _BigId, primary_key=True, autoincrement=True),
            Column("event_id", String(64), nullable=False, unique=True),
            Column("topic", String(128), nullable=False),
            Column("key", String(128), nullable=False),
            Column("type", String(128), nullable=False),
            Column("payload", LargeBinary, nullable=False),
            Column("created_at", DateTime(timezone=True), nullable=False),
            Column("published_at", DateTime(timezone=True), nullable=True),
        )
        Index("ix_outbox_unpublished", self.outbox.c.id, postgresql_where=self.outbox.c.published_at.is_(None))
        # Housekeeping finds old rows by age (chassis/retention.py). BRIN: a few pages for a whole insert-ordered
        # table, almost nothing added to an insert, where a B-tree would cost the hot path.
        Index("ix_outbox_created_at", self.outbox.c.created_at, postgresql_using="brin")
        self.inbox = Table(
            "inbox",
            metadata,
            Column("consumer", String(128), primary_key=True),
            Column("event_id", String(64), primary_key=True),
            Column("processed_at", DateTime(timezone=True), nullable=False),
        )
        Index("ix_inbox_processed_at", self.inbox.c.processed_at, postgresql_using="brin")
        self.idempotency = Table(
            "idempotency_keys",
            metadata,
            Column("scope", String(200), primary_key=True),
            Column("key", String(200), primary_key=True),
            Column("request_hash", String(64), nullable=False),
            Column("status_code", Integer, nullable=False),
            Column("body", JSON, nullable=False),
            Column("created_at", DateTime(timezone=True), nullable=False),
            Column("note", Text, nullable=True),
        )
        Index("ix_idempotency_keys_created_at", self.idempotency.c.created_at, postgresql_using="brin")
