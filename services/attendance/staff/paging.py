"""Two-part keyset cursors (`<session_id>|<id>`) for the lists ordered by session, then teacher or child."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, true, tuple_

from chassis.problems import Unprocessable


def parse_pair(after: str | None) -> tuple[str, str] | None:
    """The (session, id) a `next` cursor names; a malformed cursor is a 422 problem."""
    if after is None:
        return None
    first, separator, second = after.rpartition("|")
    if not separator or not first or not second:
        raise Unprocessable("malformed cursor: pass the `next` value of the previous page")
    return first, second


def pair_cursor(first: str, second: str) -> str:
    """The cursor of an item ordered by (first, second)."""
    return f"{first}|{second}"


def after_pair(first: Any, second: Any, after: tuple[str, str] | None) -> ColumnElement[bool]:
    """Rows whose (first, second) sort after the cursor (all rows without one)."""
    if after is None:
        return true()
    return tuple_(first, second) > tuple_(*after)
