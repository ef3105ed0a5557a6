"""Keyset pagination for list endpoints: `?limit=&after=` in, `{"items": [...], "next": cursor}` out.

A cursor is the sort key of a page's last item, one or more parts (str, int, date, aware datetime), written by
`encode_cursor` and read back, typed, by `decode_cursor`. A cursor the codec did not write is a 422 problem.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Annotated, Any, Generic, TypeVar, overload

from fastapi import Query
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Select, and_, or_, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from chassis.problems import Unprocessable

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
A = TypeVar("A", str, int, date, datetime)
B = TypeVar("B", str, int, date, datetime)
C = TypeVar("C", str, int, date, datetime)

Part = str | int | date | datetime
Key = Part | tuple[Part, ...]
"""An item's sort key: one part, or a tuple of parts compared left to right."""

MAX_LIMIT = 500
SEPARATOR = "|"
_BIGINT = 2**63
_ESCAPED = re.compile("%(25|7C)")
MALFORMED = "malformed cursor: pass the `next` value of the previous page unchanged"


@functools.lru_cache(maxsize=1024)
def _encode_instant(moment: datetime) -> str:
    """Fixed width, in UTC, and a `Z`: no `+` for a hand-built query string to turn into a space. Remembered: a
    broadcast's 10,000 notifications share one instant, and this was a third of making each one's live event."""
    if moment.utcoffset() is None:
        raise ValueError("a cursor's instant must be timezone-aware")
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _encode_part(part: Part) -> str:
    if isinstance(part, bool):
        raise TypeError("a cursor part is a str, int, date or aware datetime, not a bool")
    if isinstance(part, datetime):
        return _encode_instant(part)
    if isinstance(part, date):
        return part.isoformat()
    if isinstance(part, int):
        return str(part)
    return part.replace("%", "%25").replace(SEPARATOR, "%7C")


def _decode_part(text: str, kind: type[Any]) -> Part:
    """One part of a cursor as `kind` (ValueError when it is not one)."""
    if kind is datetime:
        moment = datetime.fromisoformat(text)
        if moment.utcoffset() is None:
            raise ValueError("an instant without its zone")
        return moment
    if kind is date:
        return date.fromisoformat(text)
    if kind is int:
        value = int(text)
        if not -_BIGINT <= value < _BIGINT:
            raise ValueError("beyond a 64-bit integer")
        return value
    if kind is str:
        return _ESCAPED.sub(lambda found: "%" if found[1] == "25" else SEPARATOR, text)
    raise TypeError(f"a cursor part is a str, int, date or aware datetime, not {kind.__name__}")


def encode_cursor(*parts: Part) -> str:
    """The opaque cursor naming a sort key: its parts, escaped and joined (a single id stays as it is)."""
    if not parts:
        raise ValueError("a cursor names at least one part")
    return SEPARATOR.join(_encode_part(part) for part in parts)


@overload
def decode_cursor(cursor: str, first: type[A], /) -> tuple[A]: ...
@overload
def decode_cursor(cursor: str, first: type[A], second: type[B], /) -> tuple[A, B]: ...
@overload
def decode_cursor(cursor: str, first: type[A], second: type[B], third: type[C], /) -> tuple[A, B, C]: ...
def decode_cursor(cursor: str, *kinds: type[Any]) -> tuple[Any, ...]:
    """The typed sort key a cursor names; garbage, a wrong part count or a wrong type is a 422 problem."""
    texts = cursor.split(SEPARATOR)
    if len(texts) != len(kinds):
        raise Unprocessable(MALFORMED)
    try:
        parts = tuple(_decode_part(text, kind) for text, kind in zip(texts, kinds, strict=True))
    except ValueError as error:
        raise Unprocessable(MALFORMED) from error
    if encode_cursor(*parts) != cursor:  # only what the codec writes: `+1`, `007` or a stray `%` were not
        raise Unprocessable(MALFORMED)
    return parts


class PageParams(BaseModel):
    """The page a caller asks for: up to `limit` items whose sort key comes after `after`."""

    limit: int = 100
    after: str | None = None

    def after_value(self, kind: type[A]) -> A | None:
        """The one-part sort key `after` names (None on the first page)."""
        return None if self.after is None else decode_cursor(self.after, kind)[0]

    def after_pair(self, first: type[A], second: type[B]) -> tuple[A, B] | None:
        """The two-part sort key `after` names (None on the first page)."""
        return None if self.after is None else decode_cursor(self.after, first, second)


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="items per page")] = 100,
    after: Annotated[str | None, Query(max_length=200, description="the `next` cursor of the previous page")] = None,
) -> PageParams:
    """FastAPI dependency reading the page parameters (out-of-range values are a 422 problem)."""
    return PageParams(limit=limit, after=after)


class Page(BaseModel, Generic[T]):
    """One page of a list; `next` is the cursor of the following page, or null on the last one."""

    items: list[T] = Field(description="this page's items, in the list's order (at most `limit`)")
    next: str | None = Field(default=None, description="pass as `after` for the following page; null on the last")


def page_of(items: list[T], params: PageParams, key_of: Callable[[T], Key]) -> Page[T]:
    """Cut a list fetched with `limit + 1` rows into a page and the cursor of its last item's sort key."""
    more = len(items) > params.limit
    shown = items[: params.limit]
    if not (more and shown):
        return Page[T](items=shown)
    key = key_of(shown[-1])
    return Page[T](items=shown, next=encode_cursor(*key) if isinstance(key, tuple) else encode_cursor(key))


def page_of_rows(model: type[M], rows: Iterable[object], params: PageParams, key_of: Callable[[M], Key]) -> Page[M]:
    """`page_of` the rows (`limit + 1` of them) read as `model`'s answers, from their attributes."""
    return page_of([model.model_validate(row, from_attributes=True) for row in rows], params, key_of)


def keyset_after(
    columns: Sequence[ColumnElement[Any] | QueryableAttribute[Any]],
    key: Sequence[Any] | None,
    *,
    descending: bool = False,
) -> ColumnElement[bool]:
    """Rows whose sort key on `columns` comes after `key` in the list's order (every row on the first page)."""
    if key is None:
        return true()
    if len(columns) != len(key) or not columns:
        raise ValueError("a keyset compares as many columns as the key has parts")
    # Spelled out rather than as a row comparison, so each value binds with its own column's type.
    column, value = columns[0], key[0]
    beyond: ColumnElement[bool] = column < value if descending else column > value
    if len(columns) == 1:
        return beyond
    return or_(beyond, and_(column == value, keyset_after(columns[1:], key[1:], descending=descending)))


def where_given(query: Select[Any], *filters: tuple[QueryableAttribute[Any], object]) -> Select[Any]:
    """`query` narrowed to the rows whose column equals each filter's value, a filter whose value is None (the
    caller left it out) narrowing nothing: a list's optional `?term_id=`, `?status=`, … in one step."""
    for column, value in filters:
        if value is not None:
            query = query.where(column == value)
    return query


async def rows_after(
    session: AsyncSession,
    query: Select[Any],
    order: Sequence[QueryableAttribute[Any]],
    after: Part | tuple[Part, ...] | None,
    limit: int,
    *,
    descending: bool = False,
) -> list[Any]:
    """At most `limit` rows of `query` whose sort key on `order` comes after `after` (one part or a tuple; None:
    from the first), in the list's order: the store's half of a keyset page (callers ask `limit + 1` to see more)."""
    key = None if after is None else after if isinstance(after, tuple) else (after,)
    by = [column.desc() for column in order] if descending else list(order)
    rows = await session.scalars(
        query.where(keyset_after(order, key, descending=descending)).order_by(*by).limit(limit)
    )
    return list(rows.all())
