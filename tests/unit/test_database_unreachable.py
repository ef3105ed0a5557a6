"""Issue 14: a database that is down or restarting is told apart from one that refused a value, so a request gets
503 (retry) and a consumer waits instead of parking the event (tests/fault/test_database_restart.py on the stack)."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError

from chassis.db import is_database_unreachable


class DriverError(Exception):
    """A driver error carrying a SQLSTATE, as asyncpg's do."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def wrapped(sqlstate: str) -> DBAPIError:
    return DBAPIError("SELECT 1", {}, DriverError(sqlstate))


@pytest.mark.parametrize("sqlstate", ["57P01", "57P03", "08006", "08003"])
def test_a_shut_down_starting_or_cut_database_is_unreachable(sqlstate: str) -> None:
    assert is_database_unreachable(wrapped(sqlstate))


def test_a_refused_connection_is_unreachable() -> None:
    assert is_database_unreachable(ConnectionRefusedError(111, "Connect call failed"))


@pytest.mark.parametrize("sqlstate", ["22021", "23505", "40001", "42P01"])
def test_a_refused_value_a_conflict_or_a_missing_table_is_not(sqlstate: str) -> None:
    assert not is_database_unreachable(wrapped(sqlstate))
    assert not is_database_unreachable(RuntimeError("a bug"))
