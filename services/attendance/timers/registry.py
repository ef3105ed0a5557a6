"""Who handles a timer kind, and who materialises a day's timers: slices register from their own `timers.py`.

@on_timer("not_collected")
async def not_collected(uow: UnitOfWork, timer: DueTimer) -> None: ...

@on_day_open
async def schedule_absence_checks(uow: UnitOfWork, school_id: str, day: date) -> None: ...
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

from chassis.uow import UnitOfWork
from services.attendance.timers.store import DueTimer

TimerHandler = Callable[[UnitOfWork, DueTimer], Awaitable[None]]
DayOpener = Callable[[UnitOfWork, str, date], Awaitable[None]]

HANDLERS: dict[str, TimerHandler] = {}
DAY_OPENERS: list[DayOpener] = []


def on_timer(kind: str) -> Callable[[TimerHandler], TimerHandler]:
    """Register the handler of a timer kind (one per kind); it must be idempotent (timers fire at least once)."""

    def register(handler: TimerHandler) -> TimerHandler:
        existing = HANDLERS.get(kind)
        if existing is not None and existing is not handler:
            raise ValueError(f"timer kind '{kind}' already has a handler")
        HANDLERS[kind] = handler
        return handler

    return register


def on_day_open(opener: DayOpener) -> DayOpener:
    """Register a function that schedules a school's timers of a day (idempotently: days may be opened again)."""
    if opener not in DAY_OPENERS:
        DAY_OPENERS.append(opener)
    return opener
