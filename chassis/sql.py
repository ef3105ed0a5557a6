"""Portable upsert and insert-or-ignore for PostgreSQL and SQLite (both speak ON CONFLICT)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Date,
    DateTime,
    Enum,
    Integer,
    String,
    Table,
    TextClause,
    Time,
    any_,
    bindparam,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Insert

Target = Table | type[Any]
"""A Core table or an ORM-mapped class."""


def dialect_insert(session: AsyncSession, table: Target) -> Any:
    """The INSERT construct of the session's dialect (PostgreSQL or SQLite), which knows ON CONFLICT."""
    bind = session.get_bind()
    return (sqlite if bind.dialect.name == "sqlite" else postgresql).insert(table)


def among(session: AsyncSession, column: Any, values: Sequence[str]) -> ColumnElement[bool]:
    """`column IN values` for many text values: on PostgreSQL `= ANY(:array)`, one parameter however many, where an
    IN list renders and binds one parameter each (a school's 10,000 guardians: a statement of 10,000 placeholders,
    prepared again for each new count); on SQLite the IN list."""
    if session.get_bind().dialect.name == "sqlite":
        return cast(ColumnElement[bool], column.in_(values))
    return cast(ColumnElement[bool], column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(String))))


def copied(source: object, *names: str, **values: Any) -> dict[str, Any]:
    """A row's values: `source`'s attributes of these names (a copy keeps its producer's names), plus `values`."""
    return {name: getattr(source, name) for name in names} | values


def insert_ignoring_duplicates(session: AsyncSession, table: Target, values: Mapping[str, Any]) -> Insert:
    """INSERT … ON CONFLICT DO NOTHING (add `.returning(...)` to learn whether it inserted)."""
    statement: Insert = dialect_insert(session, table).values(**values).on_conflict_do_nothing()
    return statement


def upsert(session: AsyncSession, table: Target, values: Mapping[str, Any], keys: Sequence[str]) -> Insert:
    """INSERT … ON CONFLICT (keys) DO UPDATE the other columns."""
    statement = dialect_insert(session, table).values(**values)
    changes = {k: v for k, v in values.items() if k not in keys}
    result: Insert = statement.on_conflict_do_update(index_elements=list(keys), set_=changes)
    return result


def _plain(column: Column[Any]) -> bool:
    """Whether JSON text reaches this column as the same value asyncpg would bind: no enum or JSON, no naive instant
    that an offset in the text would be silently dropped from, no time of day (a naive column would drop an aware
    value's offset, and PostgreSQL's `timetz` is not worth the doubt), and a key that is the column's name."""
    kind = column.type
    if column.key != column.name or isinstance(kind, Enum | Time):
        return False
    if isinstance(kind, DateTime):
        return bool(kind.timezone)
    return isinstance(kind, String | Integer | Date | Boolean)


@cache
def insert_json_rows_ignoring_duplicates(table: Table, columns: tuple[str, ...]) -> TextClause | None:
    """PostgreSQL: INSERT … SELECT FROM json_populate_recordset(:rows) … ON CONFLICT DO NOTHING, bound with the
    rows as one JSON text; None when a column's value could not travel as JSON unchanged (see `_plain`).

    One statement runs the executor once for the whole set, where `executemany` runs it once a row: a stipend
    consumer's batch of facts took about a third less of the database's time this way (issue 9). One JSON text,
    which orjson writes in one call, costs the consumer about a third of the Python time of one array a column, which
    asyncpg encodes value by value (`bench.kept_rows`, 2,000 rows: 4.2–5.0 ms against 11.6–13.7 ms). The rows go
    in in the order given, so the first of two with one key wins, as one by one.
    """
    if not all(_plain(table.c[name]) for name in columns):
        return None
    quote = postgresql.dialect().identifier_preparer  # type: ignore[no-untyped-call]
    name = quote.format_table(table)
    listed = ", ".join(quote.quote(column) for column in columns)
    return text(
        f"INSERT INTO {name} ({listed}) SELECT {listed} FROM json_populate_recordset(NULL::{name}, :rows) "
        "ON CONFLICT DO NOTHING"
    )
