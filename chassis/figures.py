"""Per-school business figures for the dashboards (issue 14): states read from the service's own tables.

A counter counts what happened (check-ins, classes over a cap); a state that can also end (a child not collected
yet, a discrepancy not resolved) is read where it is kept, so a restart, a second replica or a missed event never
leaves a gauge wrong. Every replica reads the same rows, so dashboards take `max by (school)`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

from prometheus_client import Gauge
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from chassis.clock import school_today

if TYPE_CHECKING:
    from chassis.app import Runtime

log = logging.getLogger(__name__)


class Read(Protocol):
    """A slice's keyword-only query: (school id, value) for every school whose value on `day` is not zero."""

    def __call__(self, session: AsyncSession, *, day: date) -> Awaitable[Sequence[tuple[str, int]]]: ...


@dataclass(frozen=True)
class SchoolFigure:
    """One gauge labelled (service, school) and the query that fills it."""

    gauge: Gauge
    read: Read


async def count_by_school(
    session: AsyncSession, school: InstrumentedAttribute[str], *where: ColumnElement[bool]
) -> list[tuple[str, int]]:
    """The rows matching `where`, counted per school: the usual body of a `Read`."""
    query = select(school, func.count()).where(*where).group_by(school)
    return [(school_id, int(count)) for school_id, count in await session.execute(query)]


async def refresh(runtime: Runtime, figures: Sequence[SchoolFigure], seen: dict[Gauge, set[str]]) -> None:
    """Read every figure once; a school read before and absent now reads 0 rather than its last value."""
    today = school_today(runtime.clock)
    async with runtime.db.sessions() as session:
        for figure in figures:
            values = dict(await figure.read(session, day=today))
            earlier = seen.setdefault(figure.gauge, set())
            for school in earlier - values.keys():
                figure.gauge.labels(runtime.name, school).set(0)
            for school, value in values.items():
                figure.gauge.labels(runtime.name, school).set(value)
            earlier.update(values)


def sampling(figures: Sequence[SchoolFigure]) -> Callable[[Runtime], Coroutine[Any, Any, None]]:
    """A service worker refreshing `figures` every `figures_every_seconds`; a failed read is logged and retried."""

    async def sample(runtime: Runtime) -> None:
        seen: dict[Gauge, set[str]] = {}
        while True:
            try:
                await refresh(runtime, figures, seen)
            except Exception:  # a database outage must not end the loop; readiness already reports it
                log.warning("%s: reading the per-school figures failed; tried again later", runtime.name, exc_info=True)
            await asyncio.sleep(runtime.settings.figures_every_seconds)

    return sample
