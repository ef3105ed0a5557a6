"""Fault: a poison event (data that can never be handled) and events a bug makes fail, mid-burst. Each goes to
notify's dead-letter topic, the rest of its batch and partition carries on, and after the fix a replay of the dead
letters applies the failed ones exactly once (the poison is parked again, changing nothing)."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from typing import Any

import orjson
import pytest

from chassis.app import Runtime, ServiceDefinition
from chassis.bus.kafka import KafkaBus
from chassis.consumer import Subscription
from chassis.deadletters import replay_dead_letters
from chassis.uow import UnitOfWork
from contracts.attendance import StudentCheckedIn
from contracts.envelope import Envelope
from services.notify.app import DEFINITION as NOTIFY
from tests.conftest import KAFKA, eventually
from tests.fault.platform import STUDENTS, alerts, delivered_once, no_lag, platform, post_rounds
from tests.services.conftest import read_topic

pytestmark = [pytest.mark.fault, pytest.mark.slow, pytest.mark.timeout(180)]

UNLUCKY = STUDENTS[3]


@dataclasses.dataclass
class Bug:
    """A bug in notify's check-in alert that makes one child's check-ins fail until it is fixed."""

    fixed: bool = False

    def in_notify(self) -> ServiceDefinition:
        """notify, with this bug."""

        def subscription(runtime: Runtime) -> Subscription:
            assert NOTIFY.subscription is not None
            handlers = dict(NOTIFY.subscription(runtime).handlers)
            real = handlers[StudentCheckedIn]

            async def buggy(uow: UnitOfWork, event: StudentCheckedIn, envelope: Envelope) -> None:
                if event.student_id == UNLUCKY and not self.fixed:
                    raise RuntimeError("a bug in the check-in alert")
                await real(uow, event, envelope)

            handlers[StudentCheckedIn] = buggy  # the same place in the order: rosters still come first
            return Subscription(handlers)

        return dataclasses.replace(NOTIFY, subscription=subscription)


async def dead_letters(prefix: str, count: int, *, timeout: float = 30) -> list[dict[str, Any]]:
    """notify's dead letters, read from the start until there are `count` (then a moment more, for any extra)."""
    consumer = KafkaBus(KAFKA, prefix=prefix).consumer(f"reader-{uuid.uuid4().hex[:8]}", ["notify.deadletters"])
    await consumer.start()
    letters: list[dict[str, Any]] = []
    try:
        async with asyncio.timeout(timeout):
            while len(letters) < count:
                batch = await consumer.getmany(timeout=0.5, max_records=100)
                letters += [orjson.loads(r.value) for records in batch.values() for r in records]
        batch = await consumer.getmany(timeout=1.0, max_records=100)
        letters += [orjson.loads(r.value) for records in batch.values() for r in records]
    finally:
        await consumer.stop()
    return sorted(letters, key=lambda letter: letter["offset"])


async def test_a_poison_event_is_parked_the_rest_carries_on_and_a_replay_applies_the_fixed_ones(
    topic_prefix: str,
) -> None:
    bug = Bug()
    async with platform(topic_prefix, notify=bug.in_notify(), consumer_max_attempts=2) as p:
        first = await post_rounds(p.attendance, range(2))
        [template] = [
            e for e in await read_topic(p.prefix, "attendance.events", count=20) if e.data["check_in_id"] == first[3]
        ]
        poison = {**orjson.loads(template.to_bytes()), "id": str(uuid.uuid4())}  # a check-in of the unlucky child...
        poison["data"]["method"] = "telepathy"  # ...whose data no longer matches the event's schema
        await p.attendance.runtime.bus.publish("attendance.events", UNLUCKY, orjson.dumps(poison))
        then = await post_rounds(p.attendance, range(2, 4))

        letters = await dead_letters(p.prefix, 5)  # the poison, and the unlucky child's four check-ins
        assert len(letters) == 5
        [parked] = [letter for letter in letters if orjson.loads(letter["value"])["id"] == poison["id"]]
        assert "does not match" in parked["error"]
        assert parked["attempts"] == 1  # a poison is not retried
        bugged = [letter for letter in letters if letter is not parked]
        assert {orjson.loads(letter["value"])["data"]["student_id"] for letter in bugged} == {UNLUCKY}
        assert {(letter["error"], letter["attempts"]) for letter in bugged} == {
            ("RuntimeError('a bug in the check-in alert')", 2)
        }
        # The rest carried on: everyone else's alerts, and the partitions moved past the parked events.
        await eventually(lambda: _stored(p.notify, len(first + then) - 4), timeout=30)
        await eventually(lambda: no_lag(p.prefix, "notify"), timeout=30)
        assert (await p.notify.get("/readyz")).status_code == 200

        bug.fixed = True  # the fix is deployed
        assert await replay_dead_letters(p.notify.runtime.bus, "notify", idle_seconds=1.0) == 5
        # The fixed four applied once, in order; the poison parked again (a sixth letter); nothing else changed.
        await delivered_once(p, first + then, besides=[poison["id"]], parked=6)


async def _stored(notify: Any, count: int) -> bool:
    return len(await alerts(notify)) == count
