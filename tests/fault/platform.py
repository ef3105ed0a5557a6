"""The fault tests' platform: attendance takes kiosk check-ins and notify tells each child's guardian, both in-process
on the real stack; the stack commands that break it; and the checks every fault case ends with (nothing lost,
nothing doubled, each student's order kept, no lag left)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import func, select

from chassis.app import ServiceDefinition
from chassis.auth import Role
from chassis.clock import SteadyClock
from chassis.db import Database
from chassis.settings import ServiceSettings
from contracts.attendance import StudentCheckedIn
from contracts.enrollment import GuardianLinked, StudentEnrolled
from contracts.envelope import Envelope
from services.attendance import store
from services.attendance.app import DEFINITION as ATTENDANCE
from services.notify.app import DEFINITION as NOTIFY
from services.notify.store import Notification
from tests.conftest import (
    KAFKA,
    PG_URL,
    REDIS_URL,
    SCHOOL_AFTERNOON,
    ServiceClient,
    _drop,
    _plain_dsn,
    auth,
    eventually,
    pinned_clock,
    running,
    stack_settings,
)
from tests.services.conftest import publish_as_producer, read_topic

STACK = Path(__file__).resolve().parents[2] / "deploy" / "local" / "stack"
KIOSK = auth(Role.KIOSK, "s1-kiosk-gate", school="s1")
STUDENTS = [f"s1-g4-c1-{n:02d}" for n in range(1, 11)]
START = SCHOOL_AFTERNOON.astimezone(UTC) - timedelta(hours=1)  # an hour before the pinned clock
ROSTER = [
    event
    for student in STUDENTS
    for event in (
        StudentEnrolled(student_id=student, school_id="s1", class_id="s1-g4-c1", grade=4, name=student),
        GuardianLinked(guardian_id=f"mum-{student}", student_id=student, school_id="s1", relation="母亲"),
    )
]
SOURCE_TOPICS = ("enrollment.events", "attendance.events")
"""What notify reads in these tests: its lag is measured on them."""


def stack(command: str) -> None:
    """Run a `deploy/local/stack` command (e.g. `pg-stop`), bounded; only on the stack these tests use."""
    described = subprocess.run([str(STACK), "env"], capture_output=True, text=True, timeout=30).stdout
    # The stack's state dir comes from AFTERSCHOOL_STACK_STATE, the tests' addresses from AFTERSCHOOL_TEST_*: when the
    # two disagree, a stop would break someone else's stack and prove nothing about ours.
    for address in (PG_URL, KAFKA, REDIS_URL):
        assert address in described, f"the stack at {STACK} is not the one the tests use ({address}):\n{described}"
    done = subprocess.run([str(STACK), command], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, f"stack {command}: {done.stdout}{done.stderr}"


class StackLog:
    """A log file of the stack's state dir, read from where it ended when this was made."""

    def __init__(self, relative: str) -> None:
        state = os.environ.get("AFTERSCHOOL_STACK_STATE") or str(STACK.parent / ".state")
        self.path = Path(state) / relative
        self.start = self.path.stat().st_size

    def since(self) -> str:
        """What was written to it since."""
        with self.path.open("rb") as log:
            log.seek(self.start)
            return log.read().decode(errors="replace")


@contextlib.asynccontextmanager
async def database() -> AsyncIterator[str]:
    """A new, empty database that outlives a PostgreSQL restart: no connection is held between its creation and its
    drop (unlike `tests.conftest.fresh_database`, whose held connection a restart would cut)."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(_plain_dsn("postgres"))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield f"{PG_URL}/{name}"
    finally:
        admin = await asyncpg.connect(_plain_dsn("postgres"))
        try:
            await _drop(admin, name)
        finally:
            await admin.close()


@dataclass
class Platform:
    """Attendance and notify on one topic prefix, each on its own database; notify can be stopped and started."""

    prefix: str
    attendance: ServiceClient
    notify_settings: ServiceSettings
    notify_definition: ServiceDefinition = NOTIFY
    clock: SteadyClock = field(default_factory=pinned_clock)
    """Every notify process's clock: one time line across restarts and replicas, as the wall clock would be."""
    _notify: ServiceClient | None = None
    _running: contextlib.AsyncExitStack | None = None

    @property
    def notify(self) -> ServiceClient:
        """The running notify process."""
        assert self._notify is not None, "notify is stopped"
        return self._notify

    async def start_notify(self) -> ServiceClient:
        """Start notify (again): it joins its consumer group and resumes from the committed offsets."""
        assert self._running is None, "notify is already running"
        self._running = contextlib.AsyncExitStack()
        self._notify = await self._running.enter_async_context(
            running(self.notify_definition, self.notify_settings, clock=self.clock)
        )
        return self._notify

    async def stop_notify(self) -> None:
        """Stop notify the way a pod stops: its consumer leaves the group."""
        if self._running is not None:
            running_, self._running, self._notify = self._running, None, None
            await running_.aclose()

    @contextlib.asynccontextmanager
    async def notify_replica(self) -> AsyncIterator[ServiceClient]:
        """Another notify process: the same database, the same consumer group."""
        async with running(self.notify_definition, self.notify_settings, clock=self.clock) as replica:
            yield replica


@contextlib.asynccontextmanager
async def platform(
    prefix: str,
    *,
    restore: str | None = None,
    notify: ServiceDefinition = NOTIFY,
    notify_in_process: bool = True,
    **notify_extra: Any,
) -> AsyncIterator[Platform]:
    """Attendance and notify (or a variant of it), rostered; whatever the test broke, `restore` (a stack command)
    mends afterwards. Without `notify_in_process` the test runs notify itself, on `notify_settings`."""
    try:
        async with database() as attendance_db, database() as notify_db:
            await publish_as_producer(prefix, ROSTER, school_id="s1")
            attendance_settings = stack_settings(ATTENDANCE, attendance_db, prefix, send_timeout_seconds=2.0)
            async with running(ATTENDANCE, attendance_settings) as attendance:
                await eventually(lambda: rostered(attendance), timeout=60)
                p = Platform(prefix, attendance, stack_settings(NOTIFY, notify_db, prefix, **notify_extra), notify)
                if notify_in_process:
                    await p.start_notify()
                try:
                    yield p
                finally:
                    await p.stop_notify()
    finally:
        if restore is not None:  # whatever happened, leave the stack running for the next test
            await asyncio.to_thread(stack, restore)


async def rostered(client: ServiceClient) -> bool:
    """Whether attendance knows every student of the class."""
    async with client.runtime.db.sessions() as session:
        count = (await session.execute(select(func.count()).select_from(store.RosterStudent))).scalar_one()
    return bool(count == len(STUDENTS))


async def check_in(client: ServiceClient, student: str, round_number: int) -> httpx.Response:
    """One kiosk check-in; the same student and round always carry the same Idempotency-Key (a retry)."""
    occurred_at = START + timedelta(minutes=round_number, seconds=STUDENTS.index(student))
    body = {
        "student_id": student,
        "occurred_at": occurred_at.isoformat(),
        "device_id": "s1-kiosk-gate",
        "method": "card",
    }
    headers = {**KIOSK, "Idempotency-Key": f"{student}-{round_number}"}
    return await client.post("/attendance/v1/check-ins", json=body, headers=headers)


async def post_round(client: ServiceClient, round_number: int) -> list[str]:
    """Every student checks in once; their check-in ids."""
    ids = []
    for student in STUDENTS:
        response = await check_in(client, student, round_number)
        assert response.status_code == 201, response.text
        ids.append(response.json()["check_in_id"])
    return ids


async def post_rounds(client: ServiceClient, rounds: range, *, pause: float = 0.0) -> list[str]:
    """Several rounds, `pause` seconds apart (a burst spread over a fault)."""
    ids: list[str] = []
    for number in rounds:
        ids += await post_round(client, number)
        await asyncio.sleep(pause)
    return ids


async def delivered_once(
    platform: Platform,
    check_in_ids: Sequence[str],
    *,
    timeout: float = 60,
    besides: Sequence[str] = (),
    parked: int = 0,
    stored_in: Database | None = None,
) -> None:
    """What every fault case ends with: each check-in published, stored as exactly one alert to its guardian, in
    each student's order, notify's group has read everything, and `parked` events went to its dead letters (none
    unless the test put a poison there: a redelivery that failed would hide there). `besides`: ids of other events
    on the topic. `stored_in`: notify's database, when notify is not running in-process."""
    notify = stored_in or platform.notify
    count = len(check_in_ids) + len(besides)
    published = await read_topic(platform.prefix, "attendance.events", count=count, timeout=timeout)
    by_id: dict[str, Envelope] = {}
    for envelope in published:
        if envelope.id not in besides:
            by_id.setdefault(envelope.id, envelope)  # a re-sent event keeps its id
    assert sorted(e.data["check_in_id"] for e in by_id.values()) == sorted(check_in_ids)  # none lost, none twice

    async def all_stored() -> bool:
        return len(await alerts(notify)) >= len(by_id)

    try:
        await eventually(all_stored, timeout=timeout)
    except AssertionError:
        # Say what was missing, so a failure seen once (stop 33's CI run) can be told apart next time: alerts never
        # made, or made late, and whether notify's group had read its topics.
        made = {alert.event_id for alert in await alerts(notify)}
        missing = sorted(e.data["check_in_id"] for e in by_id.values() if e.id not in made)
        claimed = await inbox_rows(notify) if isinstance(notify, ServiceClient) else "not counted"
        raise AssertionError(
            f"{len(missing)} of {len(by_id)} alerts not stored within {timeout} s; notify's inbox rows: {claimed}; "
            f"notify's lag on its topics: {await lag(platform.prefix, 'notify')}; first missing: {missing[:5]}"
        ) from None
    await asyncio.sleep(1.0)  # a late duplicate would land now
    stored = await alerts(notify)
    assert sorted(a.event_id for a in stored) == sorted(by_id)  # NT-3: one alert per event and guardian
    for alert in stored:
        assert alert.guardian_id == f"mum-{by_id[alert.event_id].data['student_id']}"
    for student in STUDENTS:  # a later check-in of a child never reached notify before an earlier one
        mine = sorted(
            (a for a in stored if a.student_id == student), key=lambda a: by_id[a.event_id].data["occurred_at"]
        )
        assert [a.created_at for a in mine] == sorted(a.created_at for a in mine)
    await eventually(lambda: no_lag(platform.prefix, "notify"), timeout=timeout)
    assert await dead_letter_count(platform.prefix) == parked


async def dead_letter_count(prefix: str) -> int:
    """How many events notify has ever parked in its dead letters."""
    return sum((await end_offsets(prefix, ["notify.deadletters"])).values())


@dataclass(frozen=True, order=True)
class Alert:
    """A stored check-in alert."""

    event_id: str
    guardian_id: str
    student_id: str
    created_at: datetime


async def alerts(notify: ServiceClient | Database) -> list[Alert]:
    """Every check-in alert notify (a running app, or its database) has stored."""
    query = select(Notification.event_id, Notification.guardian_id, Notification.student_id, Notification.created_at)
    db = notify if isinstance(notify, Database) else notify.runtime.db
    async with db.sessions() as session:
        rows = await session.execute(query.where(Notification.event_type == StudentCheckedIn.type))
    return [Alert(*row) for row in rows]


async def inbox_rows(notify: ServiceClient) -> int:
    """How many events notify has claimed."""
    async with notify.runtime.db.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(notify.runtime.tables.inbox))).scalar_one())


@contextlib.asynccontextmanager
async def kafka_admin() -> AsyncIterator[AIOKafkaAdminClient]:
    """An admin client of the stack's broker."""
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA)
    await admin.start()
    try:
        yield admin
    finally:
        await admin.close()


async def end_offsets(prefix: str, topics: Sequence[str] = SOURCE_TOPICS) -> dict[TopicPartition, int]:
    """The end of every partition of `topics` (notify's source topics by default)."""
    async with kafka_admin() as admin:
        described = await admin.describe_topics([prefix + topic for topic in topics])
    partitions = [TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]]
    assert len(partitions) >= len(topics), f"no topics {prefix}{topics}"
    consumer = AIOKafkaConsumer(bootstrap_servers=KAFKA)
    await consumer.start()
    try:
        return dict(await consumer.end_offsets(partitions))
    finally:
        await consumer.stop()


async def lag(prefix: str, group: str) -> int:
    """Records on notify's source topics that `group` has not committed, as the broker sees it (not as the
    consumer reports it, which a dead consumer never does)."""
    ends = await end_offsets(prefix)
    async with kafka_admin() as admin:
        committed = await admin.list_consumer_group_offsets(prefix + group)
    return sum(end - (committed[tp].offset if tp in committed else 0) for tp, end in ends.items())


async def no_lag(prefix: str, group: str) -> bool:
    """Whether `group` has committed everything on notify's source topics."""
    return await lag(prefix, group) == 0


async def rewind(prefix: str, group: str) -> None:
    """Reset `group` to the earliest offset of notify's source topics, as an operator would with
    `kafka-consumer-groups.sh --reset-offsets --to-earliest` (every member of the group stopped)."""
    partitions = list(await end_offsets(prefix))
    member = AIOKafkaConsumer(bootstrap_servers=KAFKA, group_id=prefix + group, enable_auto_commit=False)
    await member.start()
    try:
        member.assign(partitions)
        starts = await member.beginning_offsets(partitions)
        await member.commit(dict(starts.items()))
    finally:
        await member.stop()


def metric(text: str, line_start: str) -> float:
    """The value of the first metrics line starting with `line_start`."""
    for line in text.splitlines():
        if line.startswith(line_start):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no metric {line_start}")
