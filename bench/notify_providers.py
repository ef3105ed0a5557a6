"""A slow or failing SMS provider against the other channels (issue 10), run by hand:
`python -m bench.notify_providers --children 200`.

Notify on the real stack (PostgreSQL, Kafka, Redis, the SMTP server) with every provider simulated on loopback, as in
notify's channel tests. Each child has two guardians: one who takes attendance alerts by SMS, one by e-mail; both get
the in-app notification. The same `--children` check-ins go on the bus three times, each on a fresh database:
1. the SMS provider healthy;
2. the SMS provider answering every call after 2 s;
3. the SMS provider failing 30 % of calls with `isp.SYSTEM_ERROR` (retried by notify with its back-off).

Measured from the check-ins' publication: when every in-app notification is stored, when every e-mail has reached the
SMTP server, and when every SMS is accepted. The clock the services and simulators share moves with the wall clock
from a school afternoon, so back-offs and rate limits run as they would.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import time as wall
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, timedelta
from typing import Any

from sqlalchemy import func, select

from bench.scratch import scratch_database
from chassis.auth import Role
from chassis.clock import FakeClock
from contracts.attendance import CheckInMethod, StudentCheckedIn
from contracts.enrollment import GuardianLinked, StudentEnrolled
from services.notify import store
from tests.conftest import ServiceClient, auth, delete_topics
from tests.services.conftest import publish_as_producer
from tests.simulators.notify_stack import SCHOOL_AFTERNOON, Providers, notify_with, providers, set_preferences

SCHOOL = "s1"
CONDITIONS: dict[str, dict[str, float]] = {
    "SMS healthy": {},
    "SMS answers after 2 s": {"delay": 2.0},
    "SMS fails 30 % of calls": {"failing": 0.3},
}


def roster(children: int) -> list[Any]:
    """Each child enrolled with a mother (SMS) and a father (e-mail)."""
    events: list[Any] = []
    for n in range(children):
        child = f"child-{n}"
        events.append(
            StudentEnrolled(student_id=child, school_id=SCHOOL, class_id="s1-g3-c1", grade=3, name=f"孩子{n}")
        )
        events.append(GuardianLinked(guardian_id=f"mum-{n}", student_id=child, school_id=SCHOOL, relation="母亲"))
        events.append(GuardianLinked(guardian_id=f"dad-{n}", student_id=child, school_id=SCHOOL, relation="父亲"))
    return events


def check_ins(children: int) -> list[StudentCheckedIn]:
    """One check-in a child, during the afternoon the clock starts at."""
    at = SCHOOL_AFTERNOON.astimezone(UTC)
    return [
        StudentCheckedIn(
            check_in_id=f"bench-{n}",
            student_id=f"child-{n}",
            school_id=SCHOOL,
            device_id="s1-kiosk-gate",
            method=CheckInMethod.FACE,
            occurred_at=at + timedelta(milliseconds=n),
            session_date=at.date().isoformat(),
        )
        for n in range(children)
    ]


@contextlib.asynccontextmanager
async def ticking(clock: FakeClock) -> AsyncIterator[None]:
    """The shared fake clock moved with the wall clock while the block runs (back-offs then take real time)."""

    async def tick() -> None:
        last = wall.monotonic()
        while True:
            await asyncio.sleep(0.02)
            now = wall.monotonic()
            clock.advance(timedelta(seconds=now - last))
            last = now

    task = asyncio.create_task(tick())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def count(notify: ServiceClient, model: Any, **where: str) -> int:
    """Rows of a notify table (read from its database)."""
    async with notify.runtime.db.sessions() as session:
        query = select(func.count()).select_from(model).filter_by(**where)
        return int((await session.execute(query)).scalar_one())


async def until(check: Callable[[], Awaitable[bool] | bool], started: float, limit: float) -> float | None:
    """Seconds from `started` until `check()` holds (awaited if it is a coroutine), or None after `limit` seconds."""
    while not await _holds(check()):
        if wall.perf_counter() - started > limit:
            return None
        await asyncio.sleep(0.02)
    return wall.perf_counter() - started


async def _holds(outcome: Awaitable[bool] | bool) -> bool:
    return outcome if isinstance(outcome, bool) else await outcome


async def one_condition(children: int, name: str, fault: dict[str, float], limit: float) -> dict[str, Any]:
    """The check-ins through notify with the SMS provider in one condition."""
    run = uuid.uuid4().hex[:8]
    prefix = f"bench{run}."
    try:
        async with scratch_database(f"bench_notify_{run}") as url:
            await publish_as_producer(prefix, roster(children), school_id=SCHOOL)
            async with providers() as outside, notify_with(url, prefix, outside) as notify:
                await preferences(notify, outside, children)
                for key, value in fault.items():
                    setattr(outside.sms, key, value)
                async with ticking(outside.clock):
                    started = wall.perf_counter()
                    await publish_as_producer(prefix, check_ins(children), school_id=SCHOOL)
                    stored = await until(
                        lambda: at_least(count(notify, store.Notification), 2 * children), started, limit
                    )
                    mailed = await until(lambda: len(outside.mail.messages) >= children, started, limit)
                    texted = await until(lambda: len(outside.sms.sent) >= children, started, limit)
                    return {
                        "condition": name,
                        "in_app_s": stored,
                        "email_s": mailed,
                        "sms_s": texted,
                        "sms_calls": outside.sms.calls,
                        "load": os.getloadavg()[0],
                    }
    finally:
        await delete_topics(prefix)


async def preferences(notify: ServiceClient, outside: Providers, children: int) -> None:
    """Each guardian sets their own channel for attendance alerts through the API."""
    for n in range(children):
        mum = auth(Role.GUARDIAN, f"mum-{n}", school=SCHOOL)
        dad = auth(Role.GUARDIAN, f"dad-{n}", school=SCHOOL)
        await set_preferences(notify, {"channels": {"attendance": ["sms"]}, "phone": f"+86138{n:08d}"}, mum)
        await set_preferences(notify, {"channels": {"attendance": ["email"]}, "email": f"dad{n}@example.cn"}, dad)


async def at_least(value: Awaitable[int], wanted: int) -> bool:
    return await value >= wanted


def seconds(value: float | None) -> str:
    return "not within the limit" if value is None else f"{value:.2f} s"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=200)
    parser.add_argument("--limit", type=float, default=60.0, help="seconds to wait for each channel")
    args = parser.parse_args()
    rows = [await one_condition(args.children, name, fault, args.limit) for name, fault in CONDITIONS.items()]
    print(
        f"\n| {args.children} check-ins, each child's mother by SMS and father by e-mail, both in-app | "
        + " | ".join(str(r["condition"]) for r in rows)
        + " |"
    )
    print("|---|" + "---|" * len(rows))
    for label, key in (
        ("every in-app notification stored", "in_app_s"),
        ("every e-mail at the SMTP server", "email_s"),
        ("every SMS accepted", "sms_s"),
    ):
        print(f"| {label} | " + " | ".join(seconds(r[key]) for r in rows) + " |")
    print("| SMS calls made | " + " | ".join(str(r["sms_calls"]) for r in rows) + " |")
    print("| load (1 min) at the end | " + " | ".join(f"{r['load']:.2f}" for r in rows) + " |")


if __name__ == "__main__":
    asyncio.run(main())
