"""Persisted due timers (issue 4 "Time"): they survive a restart, fire once, and days open once on demand."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from chassis.app import Runtime
from chassis.clock import FakeClock
from chassis.uow import UnitOfWork
from services.attendance.store import reopen_days
from services.attendance.timers import store as timers
from services.attendance.timers.store import DueTimer
from services.attendance.timers.timers import fire_due, on_day_open, on_timer, open_today
from tests.services.test_attendance_reference import AT, DAY, school

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

FIRED: list[tuple[str, dict[str, object]]] = []
OPENED: list[tuple[str, date]] = []


@on_timer("test_ping")
async def ping(_uow: UnitOfWork, timer: DueTimer) -> None:
    """A test timer that records each firing."""
    FIRED.append((timer.key, dict(timer.payload)))


@on_timer("test_flaky")
async def flaky(_uow: UnitOfWork, timer: DueTimer) -> None:
    """A test timer whose handler always fails."""
    raise RuntimeError(f"cannot handle {timer.key}")


@on_day_open
async def count_openings(_uow: UnitOfWork, school_id: str, day: date) -> None:
    """A day opener that records each opening."""
    OPENED.append((school_id, day))


async def schedule(runtime: Runtime, kind: str, key: str, minutes: int) -> None:
    async with runtime.uow() as uow:
        due = runtime.clock.now() + timedelta(minutes=minutes)
        await timers.schedule(uow, kind=kind, key=key, due_at=due, school_id="s1", payload={"n": minutes})
        await uow.commit()


async def test_a_due_timer_fires_once_after_a_restart(pg_url: str, topic_prefix: str) -> None:
    clock = FakeClock(AT)
    key = f"restart-{topic_prefix}"
    # The worker ticks every 20 s of real time here, so only the explicit fire_due calls race it.
    async with school(pg_url, topic_prefix, clock, timer_tick_seconds=20.0) as client:
        runtime: Runtime = client.runtime
        await schedule(runtime, "test_ping", key, 10)
        await schedule(runtime, "test_ping", key, 10)  # scheduling again is idempotent
        clock.advance(timedelta(minutes=9))
        assert await fire_due(runtime) == 0
    clock.advance(timedelta(minutes=2))
    async with school(pg_url, topic_prefix, clock, timer_tick_seconds=0.05) as client:
        runtime = client.runtime
        fired = await fire_due(runtime)  # the restarted worker ticks alongside: together they fire it once
        assert fired <= 1
        async with runtime.db.sessions() as session:
            row = await timers.timer(session, kind="test_ping", key=key)
        assert row is not None
        assert row.fired_at is not None
        assert await fire_due(runtime) == 0
        await schedule(runtime, "test_ping", key, 1)  # a fired timer stays fired
        clock.advance(timedelta(minutes=5))
        assert await fire_due(runtime) == 0
    assert [f for f in FIRED if f[0] == key] == [(key, {"n": 10})]


async def test_a_cancelled_timer_never_fires_and_a_failing_one_is_given_up(pg_url: str, topic_prefix: str) -> None:
    clock = FakeClock(AT)
    async with school(pg_url, topic_prefix, clock, timer_tick_seconds=20.0) as client:
        runtime: Runtime = client.runtime
        cancelled, failing = f"cancel-{topic_prefix}", f"flaky-{topic_prefix}"
        await schedule(runtime, "test_ping", cancelled, 5)
        await schedule(runtime, "test_flaky", failing, 5)
        async with runtime.uow() as uow:
            assert await timers.cancel(uow, kind="test_ping", key=cancelled)
            assert not await timers.cancel(uow, kind="test_ping", key="never-scheduled")
            await uow.commit()
        clock.advance(timedelta(minutes=6))
        for _ in range(5):
            assert await fire_due(runtime) == 0
        async with runtime.db.sessions() as session:
            gave_up = await timers.timer(session, kind="test_flaky", key=failing)
        assert gave_up is not None
        assert gave_up.attempts == 5
        assert gave_up.cancelled_at is not None
        assert gave_up.last_error is not None
        assert "cannot handle" in gave_up.last_error
        assert not [f for f in FIRED if f[0] == cancelled]


async def test_a_schools_day_opens_once_and_again_after_its_schedule_changes(pg_url: str, topic_prefix: str) -> None:
    clock = FakeClock(AT)
    async with school(pg_url, topic_prefix, clock, timer_tick_seconds=20.0) as client:
        runtime: Runtime = client.runtime
        before = len(OPENED)
        await open_today(runtime)
        await open_today(runtime)
        opened = OPENED[before:]
        assert sorted(opened) == [("s1", DAY), ("s2", DAY)]
        async with runtime.uow() as uow:
            await reopen_days(uow, school_id="s1")
            await uow.commit()
        await fire_due(runtime)
        assert OPENED[before + 2 :] == [("s1", DAY)]
