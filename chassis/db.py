"""Async SQLAlchemy 2 engine and sessions for one service's own database (PostgreSQL or SQLite)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import event, text
from sqlalchemy import types as sqltypes
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker, create_async_engine


class UtcSQLiteDateTime(sqlite.DATETIME):
    """SQLite keeps no UTC offset: every instant is stored as UTC and a `timezone=True` column reads back aware, so
    the embedded mode compares and answers timestamps exactly as PostgreSQL does (issue 11)."""

    cache_ok = True

    def bind_processor(self, dialect: Any) -> Callable[[Any], Any]:
        """Aware datetimes become UTC before SQLite's string format drops the offset."""
        parent = super().bind_processor(dialect)

        def process(value: Any) -> Any:
            if isinstance(value, datetime) and value.tzinfo is not None:
                value = value.astimezone(UTC).replace(tzinfo=None)
            return parent(value) if parent else value

        return process

    def result_processor(self, dialect: Any, coltype: Any) -> Callable[[Any], Any]:
        """Values of `timezone=True` columns come back as UTC-aware datetimes."""
        parent = super().result_processor(dialect, coltype)
        aware = self.timezone

        def process(value: Any) -> Any:
            value = parent(value) if parent else value
            if aware and isinstance(value, datetime) and value.tzinfo is None:
                return value.replace(tzinfo=UTC)
            return value

        return process


log = logging.getLogger(__name__)
_ROLE = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_MIGRATION_LOCK_ID = 0x5C0_0001  # one service's replicas migrate one at a time (advisory lock)


class Database:
    """One service's engine and session factory; built in the lifespan, never at import."""

    def __init__(self, url: str, *, pool_size: int = 10, max_overflow: int = 10) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            _ensure_sqlite_folder(url)
            # One connection: all writers of this file are in this process, so queueing them on the pool
            # is both simpler and faster than SQLite's busy-wait locking.
            self.engine: AsyncEngine = create_async_engine(
                url, pool_size=1, max_overflow=0, pool_timeout=60, connect_args={"timeout": 60}, hide_parameters=True
            )
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            dialect = self.engine.dialect
            dialect.colspecs = {**dialect.colspecs, sqltypes.DateTime: UtcSQLiteDateTime}
        else:
            # No pre-ping: it costs a round trip per checkout on the hot path; dead connections are recycled
            # and a failed request is retried by the client with its Idempotency-Key.
            # hide_parameters: an error's message and log line never carry the values (a guardian's phone number).
            self.engine = create_async_engine(
                url, pool_size=pool_size, max_overflow=max_overflow, pool_recycle=1800, hide_parameters=True
            )
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @contextlib.asynccontextmanager
    async def autocommit(self) -> AsyncIterator[AsyncConnection]:
        """A pooled connection whose every statement commits on its own: no BEGIN, no COMMIT, one round trip each.

        For a single statement that needs no transaction around it (issue 13: each round trip waits a turn of a busy
        event loop). Through SQLAlchemy rather than the driver alone, so a connection lost mid-statement is
        invalidated, errors are SQLAlchemy's (a 503, not a 500), and statements are traced like every other."""
        async with self.engine.connect() as connection:
            yield await connection.execution_options(isolation_level="AUTOCOMMIT")

    async def ping(self) -> None:
        """Raise if the database does not answer."""
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def migrate(self, migrations: Path) -> None:
        """Bring the schema to the newest Alembic revision of `migrations`."""
        async with self.engine.begin() as conn:
            if not self.is_sqlite:
                await conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
            await conn.run_sync(_upgrade, migrations)

    async def grant_data_rights(self, role: str) -> None:
        """PostgreSQL: let `role` read and write every table and sequence of the schema, and nothing more (no DDL)."""
        if self.is_sqlite or not _ROLE.fullmatch(role):
            raise ValueError(f"grants need PostgreSQL and a plain role name, not {role!r}")
        async with self.engine.begin() as conn:
            for grant in (
                f'GRANT USAGE ON SCHEMA public TO "{role}"',
                f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"',
                f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"',
            ):
                await conn.execute(text(grant))

    async def revisions(self, migrations: Path) -> tuple[str | None, str]:
        """The schema's Alembic revision (None when never migrated) and the newest one in `migrations`."""
        async with self.engine.connect() as conn:
            current, head, _known = await conn.run_sync(_schema_state, migrations)
        return current, head

    async def require_head(self, migrations: Path) -> None:
        """Raise `SchemaBehind` unless the schema is at this release's newest revision, or at one this release does
        not know: a later release's, whose migrations stay backward compatible for one release (deploy/RUNBOOK.md),
        so a rollback, or an old pod started during a rollout, runs on it."""
        async with self.engine.connect() as conn:
            current, head, known = await conn.run_sync(_schema_state, migrations)
        if current == head:
            return
        if current is not None and not known:
            log.warning("the schema is at revision %s, newer than this release's %s: running on it", current, head)
            return
        raise SchemaBehind(f"the schema is at revision {current}, this release needs {head}: run the migration first")

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


class SchemaBehind(RuntimeError):
    """The database's schema is not the one this release's code expects."""


def _config(connection: Connection, migrations: Path) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection, migrations: Path) -> None:
    command.upgrade(_config(connection, migrations), "head")


def _schema_state(connection: Connection, migrations: Path) -> tuple[str | None, str, bool]:
    """The schema's revision (None when never migrated), this release's head, and whether this release knows the
    schema's revision (one read of the migration scripts)."""
    scripts = ScriptDirectory.from_config(_config(connection, migrations))
    head = scripts.get_current_head()
    assert head is not None, f"{migrations} holds no revision"
    current = MigrationContext.configure(connection).get_current_revision()
    try:
        known = current is None or scripts.get_revision(current) is not None
    except CommandError:
        known = False
    return current, head, known


def _ensure_sqlite_folder(url: str) -> None:
    path = url.split(":///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


async def wait_for(database: Database, *, attempts: int = 30, delay: float = 1.0) -> None:
    """Wait until the database answers (a pod may start before PostgreSQL)."""
    for attempt in range(attempts):
        try:
            await database.ping()
            return
        except Exception:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(delay)


# SQLSTATE classes of a database that cannot be reached rather than one that refused: 08 connection exception, 57P
# operator intervention (shut down, starting up).
_UNREACHABLE_SQLSTATES = ("08", "57P")


def is_database_unreachable(error: BaseException) -> bool:
    """Whether the database was down, restarting or cut the connection (issue 14: the client should retry)."""
    if isinstance(error, ConnectionError):  # asyncpg's connect raises the socket's own error (refused, reset)
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    cause = error.orig.__cause__ if error.orig is not None else None
    sqlstate = getattr(error.orig, "sqlstate", None) or getattr(cause, "sqlstate", None)
    return isinstance(sqlstate, str) and sqlstate.startswith(_UNREACHABLE_SQLSTATES)
