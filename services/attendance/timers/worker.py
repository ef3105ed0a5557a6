"""The timer runner: open today's school days, then fire every due timer, each in its own unit of work.

At-least-once with exactly-once effects: a timer is locked, handled and marked fired in one transaction, so two
replicas (or a test's `fire_due` beside the worker) never fire it twice; the second waits for the first's commit.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date

from chassis.app import Runtime
from chassis.clock import SCHOOL_TZ
from chassis.uow import UnitOfWork
from services.attendance.reference import store as ref
from services.attendance.settings import AttendanceSettings
from services.attendance.timers import store
from services.attendance.timers.registry import DAY_OPENERS, HANDLERS

log = logging.getLogger(__name__)

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
