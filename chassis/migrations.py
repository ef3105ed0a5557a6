"""Alembic support: the body of every service's `env.py`, and the chassis tables' schema steps.

The outbox, inbox and idempotency tables are the same in every service, so their DDL lives here once and a
service's migration calls the step (`create_chassis_tables_v1()`); autogenerate leaves them out.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy import MetaData

CHASSIS_TABLES = frozenset({"outbox", "inbox", "idempotency_keys"})


def run(target_metadata: MetaData) -> None:
    """Run migrations on the connection in `config.attributes`, or offline to SQL for review."""
    connection = context.config.attributes.get("connection")
    options: dict[str, Any] = {"target_metadata": target_metadata, "include_object": _service_tables_only}
    if connection is None:
        context.configure(url=context.config.get_main_option("sqlalchemy.url"), literal_binds=True, **options)
    else:
        context.configure(connection=connection, render_as_batch=True, **options)
    with context.begin_transaction():
        context.run_migrations()


def _service_tables_only(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    table = obj if type_ == "table" else getattr(obj, "table", None)
    return getattr(table, "name", name) not in CHASSIS_TABLES


def create_chassis_tables_v1() -> None:
    """Outbox, inbox and idempotency keys, as `chassis.tables` defines them."""
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("topic", sa.String(length=128), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("type", sa.String(length=128), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    op.create_index("ix_outbox_unpublished", "outbox", ["id"], postgresql_where=sa.text("published_at IS NULL"))
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(length=128), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id"),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("scope", "key"),
    )


AGE_INDEXES = (
    ("ix_outbox_created_at", "outbox", "created_at"),
    ("ix_inbox_processed_at", "inbox", "processed_at"),
    ("ix_idempotency_keys_created_at", "idempotency_keys", "created_at"),
)


def create_chassis_age_indexes_v2() -> None:
    """The chassis tables' age indexes (BRIN on PostgreSQL), by which housekeeping purges old rows in batches."""
    for name, table, column in AGE_INDEXES:
        op.create_index(name, table, [column], postgresql_using="brin")


def drop_chassis_age_indexes_v2() -> None:
    """Undo `create_chassis_age_indexes_v2`."""
    for name, table, _column in AGE_INDEXES:
        op.drop_index(name, table_name=table)


def drop_chassis_tables_v1() -> None:
    """Undo `create_chassis_tables_v1`."""
    op.drop_table("idempotency_keys")
    op.drop_table("inbox")
    op.drop_index("ix_outbox_unpublished", table_name="outbox")
    op.drop_table("outbox")
