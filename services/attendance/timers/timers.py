"""Timer kinds and their firing: the registry slices fill from their own `timers.py`, and the runner.

Slices register the handler of a kind, and the function that schedules a school's timers of a day:

@on_timer("not_collected")
async def not_collected(uow: UnitOfWork, timer: DueTimer) -> None: ...

@on_day_open
async def schedule_absence_checks(uow: UnitOfWork, school_id: str, day: date) -> None: ...

The runner opens today's school days, then fires every due timer, each in its own unit of work. At-least-once
with exactly-once effects: a timer is locked, handled and marked fired in one transaction, so two replicas (or a
test's `fire_due` beside the worker) never fire it twice; the second waits for the first's commit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import date

from chassis.app import Runtime
from chassis.clock import SCHOOL_TZ
from chassis.uow import UnitOfWork
from services.attendance.reference import store as ref
from services.attendance.settings import AttendanceSettings
from services.attendance.timers import store
from services.attendance.timers.store import DueTimer

log = logging.getLogger(__name__)

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


MAX_ATTEMPTS = 5
BATCH = 200


async def ensure_day_open(uow: UnitOfWork, *, school_id: str, day: date) -> None:
    """Materialise the school's timers of `day` in this unit of work, the first time anything touches the day."""
    if await store.claim_day(uow, school_id=school_id, day=day):
        for opener in DAY_OPENERS:
            await opener(uow, school_id, day)


async def open_today(runtime: Runtime) -> int:
    """Open today (school time) for every known school not opened yet; the number opened."""
    today = runtime.clock.now().astimezone(SCHOOL_TZ).date()
    async with runtime.db.sessions() as session:
        schools = await store.unopened_schools(session, school_ids=await ref.school_ids(session), day=today)
    for school_id in schools:
        async with runtime.uow() as uow:
            await ensure_day_open(uow, school_id=school_id, day=today)
            await uow.commit()
    return len(schools)


async def fire_due(runtime: Runtime) -> int:
    """Open today's days, then fire every timer due by `runtime.clock.now()`; the number fired (tests call this)."""
    await open_today(runtime)
    fired = 0
    while True:
        now = runtime.clock.now()
        async with runtime.db.sessions() as session:
            keys = await store.due_keys(session, now=now, limit=BATCH)
        fired_now = 0
        for kind, key in keys:
            fired_now += await _fire_one(runtime, kind, key)
        fired += fired_now
        if len(keys) < BATCH or fired_now == 0:
            return fired


async def _fire_one(runtime: Runtime, kind: str, key: str) -> int:
    try:
        async with runtime.uow() as uow:
            timer = await store.lock_pending(uow, kind=kind, key=key, now=runtime.clock.now())
            if timer is None:
                return 0
            handler = HANDLERS.get(kind)
            if handler is None:
                raise LookupError(f"no handler for timer kind '{kind}'")
            await handler(uow, timer)
            timer.fired_at = runtime.clock.now()
            await uow.commit()
            return 1
    except Exception as error:
        log.exception("timer failed", extra={"kind": kind, "key": key})
        await _record_failure(runtime, kind, key, error)
        return 0


async def _record_failure(runtime: Runtime, kind: str, key: str, error: Exception) -> None:
    """Count the attempt; after MAX_ATTEMPTS the timer is given up (cancelled, with its last error kept)."""
    async with runtime.uow() as uow:
        timer = await store.lock_pending(uow, kind=kind, key=key, now=runtime.clock.now())
        if timer is None:
            return
        timer.attempts += 1
        timer.last_error = repr(error)[:500]
        if timer.attempts >= MAX_ATTEMPTS:
            timer.cancelled_at = runtime.clock.now()
        await uow.commit()


async def run_timers(runtime: Runtime) -> None:
    """The worker: tick every `timer_tick_seconds` until cancelled."""
    interval = runtime.settings_as(AttendanceSettings).timer_tick_seconds
    while True:
        try:
            await fire_due(runtime)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("timer tick failed; trying again at the next tick")
        await asyncio.sleep(interval)
