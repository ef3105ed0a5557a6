"""Fault: PostgreSQL crashes mid-burst (every process SIGKILLed, as when its node dies: nothing flushed or
checkpointed) and restarts through crash recovery. Kiosks keep checking in: during the outage they may be told 503 and
retry with the same Idempotency-Key; every check-in answered 201 reaches its guardian exactly once, none twice."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from tests.conftest import ServiceClient, eventually
from tests.fault.platform import STUDENTS, StackLog, check_in, delivered_once, platform, post_rounds, stack

pytestmark = [pytest.mark.fault, pytest.mark.slow, pytest.mark.timeout(240)]


class Kiosk:
    """A kiosk that retries each check-in with its Idempotency-Key until it is answered 201, as the device does."""

    def __init__(self, client: ServiceClient) -> None:
        self.client = client
        self.answers: Counter[str] = Counter()
        self.ids: list[str] = []

    async def check_in_rounds(self, rounds: range) -> None:
        for number in rounds:
            for student in STUDENTS:
                await self._until_created(student, number)

    async def _until_created(self, student: str, number: int) -> None:
        async with asyncio.timeout(90):
            while True:
                try:
                    response = await check_in(self.client, student, number)
                except Exception as error:
                    self.answers[repr(error)[:120]] += 1
                else:
                    self.answers[str(response.status_code)] += 1
                    if response.status_code == 201:
                        self.ids.append(response.json()["check_in_id"])
                        return
                await asyncio.sleep(0.2)


async def test_check_ins_across_a_database_crash_are_each_delivered_once(topic_prefix: str) -> None:
    async with platform(topic_prefix, restore="pg-up") as p:
        before = await post_rounds(p.attendance, range(2))
        kiosk = Kiosk(p.attendance)
        # Long enough to be cut by the crash, and the crash comes once the burst is under way (a check-in is a single
        # statement now: ten rounds took under half a second, issue 13).
        burst = asyncio.create_task(kiosk.check_in_rounds(range(2, 42)))
        await eventually(lambda: len(kiosk.ids) >= 2 * len(STUDENTS))
        log = StackLog("pg/postgres.log")
        await asyncio.to_thread(stack, "pg-kill")
        assert not burst.done(), "killed mid-burst"
        # Honest readiness: without its database a pod cannot take requests.
        assert (await p.attendance.get("/readyz")).status_code == 503
        assert (await p.notify.get("/readyz")).status_code == 503
        await asyncio.sleep(2)
        await asyncio.to_thread(stack, "pg-up")
        assert "database system was interrupted" in log.since(), "it started through crash recovery"
        await eventually(lambda: _ready(p.attendance), timeout=30)
        await eventually(lambda: _ready(p.notify), timeout=30)
        async with asyncio.timeout(120):
            await burst
        assert set(kiosk.answers) <= {"201", "503"}, kiosk.answers
        assert kiosk.answers["503"] > 0  # the outage was felt
        assert len(kiosk.ids) == len(set(kiosk.ids)) == 40 * len(STUDENTS)  # a retried key never made a second one
        after = await post_rounds(p.attendance, range(42, 43))
        await delivered_once(p, before + kiosk.ids + after)


async def _ready(client: ServiceClient) -> bool:
    return (await client.get("/readyz")).status_code == 200
