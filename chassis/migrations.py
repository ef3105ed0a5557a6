"""Alembic support: the body of every service's `env.py`, the chassis tables' schema steps, and the few helpers a
service's migration is written with.

The outbox, inbox and idempotency tables are the same in every service, so their DDL lives here once and a
service's migration calls the step (`create_chassis_tables_v1()`); autogenerate leaves them out.

The helpers only shorten what every migration spelled out: `ids(...)` and `stamps(...)` are the two column shapes
most tables repeat, `create_table` names a table's indexes beside its columns, and `drop_tables` is a downgrade
(dropping a table drops its indexes, on PostgreSQL and SQLite alike). A migration written with them builds the same
schema as the one spelled out (docs/service-shape.md, "Migrations").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy import MetaData

CHASSIS_TABLES = frozenset({"outbox", "inbox", "idempotency_keys"})

ID = sa.String(length=64)
STAMP = sa.DateTime(timezone=True)


def ids(*names: str, nullable: bool = False) -> list[sa.Column[Any]]:
    """`String(64)` columns, the shape of every id, in the order named (NOT NULL unless `nullable`)."""
    return [sa.Column(name, ID, nullable=nullable) for name in names]


def stamps(*names: str, nullable: bool = False) -> list[sa.Column[Any]]:
    """Instant columns (`DateTime(timezone=True)`, stored UTC), in the order named (NOT NULL unless `nullable`)."""
    return [sa.Column(name, STAMP, nullable=nullable) for name in names]


def create_table(name: str, *items: Any, indexes: Sequence[str | tuple[str, ...]] = ()) -> None:
    """`op.create_table`, then its indexes in the order given: a column's name is the index `ix_<table>_<column>`
    (the name `index=True` gives), a tuple is an index's own name and then its columns."""
    op.create_table(name, *items)
    for index in indexes:
        index_name, *columns = (f"ix_{name}_{index}", index) if isinstance(index, str) else index
        op.create_index(index_name, name, columns)


def drop_tables(*names: str) -> None:
    """Drop the tables in the order named; their indexes go with them."""
    for name in names:
        op.drop_table(name)


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
    drop_tables("idempotency_keys", "inbox", "outbox")
