"""Keyset pagination for list endpoints: `?limit=&after=` in, `{"items": [...], "next": cursor}` out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

T = TypeVar("T")

MAX_LIMIT = 500


class PageParams(BaseModel):
    """The page a caller asks for: up to `limit` items whose sort key comes after `after`."""

    limit: int = 100
    after: str | None = None


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="items per page")] = 100,
    after: Annotated[str | None, Query(max_length=200, description="the `next` cursor of the previous page")] = None,
) -> PageParams:
    """FastAPI dependency reading the page parameters (out-of-range values are a 422 problem)."""
    return PageParams(limit=limit, after=after)


class Page(BaseModel, Generic[T]):
    """One page of a list; `next` is the cursor of the following page, or null on the last one."""

    items: list[T]
    next: str | None = None


def page_of(items: list[T], params: PageParams, cursor_of: Callable[[T], str]) -> Page[T]:
    """Cut a list fetched with `limit + 1` rows into a page and its next cursor."""
    more = len(items) > params.limit
    shown = items[: params.limit]
    return Page[T](items=shown, next=cursor_of(shown[-1]) if more and shown else None)
