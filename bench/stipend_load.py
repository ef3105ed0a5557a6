"""Benchmarks of the stipend's money side on the shared PostgreSQL and Kafka (issue 9), a script, never a test.

1. Ingest: attendance's check-ins and check-outs, already on the topic, consumed by the stipend (the chassis
   consumer: inbox claim and fact insert in one transaction per partition batch); events/s from the first fact
   stored to the last, for the same number of events spread over 1, 10, 100 schools.
2. Closing a month: for each school, the admin approves and publishes the teachers' statements and issues the
   families' (22 school days, 40 teachers and 1,000 children a school); the facts are bulk-loaded first (not
   timed). Seconds for 1, 10 and 100 schools, closed by one service process or shared among `--replicas` of them
   (as the deployment runs one uvicorn worker per pod and scales out).

Each run works in its own database (`bench_stipend_<run>`), dropped afterwards, and its own topic prefix.
Run: `eval "$(deploy/local/stack env)"; .venv/bin/python -m bench.stipend_load ingest --schools 1 10 100`
     `.venv/bin/python -m bench.stipend_load close --schools 1 10 100 --replicas 2`
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import multiprocessing
import time as wall
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import asyncpg
import httpx
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import insert

from bench.scratch import load, scratch_database
from chassis.auth import Role
from chassis.bus.kafka import KafkaBus
from chassis.clock import SCHOOL_TZ, FakeClock
from contracts.attendance.checkins import CheckInMethod, StudentCheckedIn
from contracts.attendance.dismissal import HandledBy, Release, StudentCheckedOut
from contracts.enrollment import TermCalendarSet
from contracts.envelope import Envelope
from contracts.policy import PolicySettings
from services.stipend import store
from services.stipend.app import DEFINITION
from tests.conftest import KAFKA, auth, delete_topics, running, stack_settings

SEPTEMBER = [d for d in (date(2026, 9, 1) + timedelta(days=n) for n in range(30)) if d.weekday() < 5]  # 22 days
CLOSED = datetime(2026, 10, 1, 9, 0, tzinfo=SCHOOL_TZ)
TEACHERS, CHILDREN, GRADES = 40, 1000, 6


# --- 1. ingest ---------------------------------------------------------------------------------------------------


def attendance_events(schools: int, total: int) -> Iterator[Envelope]:
    """`total` events, half check-ins and half check-outs, over the schools' children and September's days."""
    per_school = max(1, total // 2 // schools)
    for s in range(schools):
        school = f"s{s}"
        for n in range(per_school):
            student, day = f"{school}-c{n % CHILDREN}", SEPTEMBER[(n // CHILDREN) % len(SEPTEMBER)]
            arrived = datetime.combine(day, time(15, 30), SCHOOL_TZ)
            yield Envelope.wrap(
                StudentCheckedIn(
                    check_in_id=f"{school}-in-{n}", student_id=student, school_id=school, device_id="gate",
                    method=CheckInMethod.CARD, occurred_at=arrived, session_date=day.isoformat(),
                ),
                source="/bench", school_id=school, time=arrived,
            )  # fmt: skip
            yield Envelope.wrap(
                StudentCheckedOut(
                    check_out_id=f"{school}-out-{n}", student_id=student, school_id=school, day=day,
                    occurred_at=arrived + timedelta(hours=2), release=Release.PICKUP_PERSON,
                    handled_by=HandledBy.GUARDIAN,
                ),
                source="/bench", school_id=school, time=arrived,
            )  # fmt: skip


async def publish(prefix: str, envelopes: list[Envelope]) -> None:
    bus = KafkaBus(KAFKA, prefix=prefix)
    await bus.start()
    try:
        await bus.ensure_topics({"attendance.events": 6})
        for start in range(0, len(envelopes), 2000):
            chunk = envelopes[start : start + 2000]
            await asyncio.gather(*(bus.publish("attendance.events", e.data["student_id"], e.to_bytes()) for e in chunk))
    finally:
        await bus.stop()


async def facts_stored(connection: asyncpg.Connection) -> int:
    return int(await connection.fetchval("SELECT (SELECT count(*) FROM check_ins) + (SELECT count(*) FROM check_outs)"))


async def events_committed(admin: AIOKafkaAdminClient, group: str) -> int:
    """The offsets the stipend's group has committed, summed: the events it has stored (it commits an offset only
    after the batch's transaction). Watched instead of counting rows, which scans both tables every poll: at
    200,000 rows that was ~11 ms of PostgreSQL's CPU every 50 ms, taken from the run it measures."""
    offsets = await admin.list_consumer_group_offsets(group)
    return sum(meta.offset for meta in offsets.values() if meta.offset > 0)


def consuming_replica(url: str, prefix: str, first: Any, done: Any, results: Any) -> None:
    """One stipend replica (its own process, as a pod runs one) consuming with the others in the group; its CPU
    from the first fact stored to the last."""

    async def serve() -> None:
        async with running(DEFINITION, stack_settings(DEFINITION, url, prefix), clock=FakeClock(CLOSED)):
            await asyncio.to_thread(first.wait)
            cpu = wall.process_time()
            await asyncio.to_thread(done.wait)
            results.put(wall.process_time() - cpu)

    asyncio.run(serve())


async def ingest(schools: int, total: int, replicas: int = 1) -> dict[str, Any]:
    """Events/s the stipend's `replicas` processes (one consumer group) drain from a topic already holding `total`
    attendance events, counted from the first fact stored to the last."""
    run = uuid.uuid4().hex[:8]
    prefix = f"bench{run}."
    envelopes = list(attendance_events(schools, total))
    await publish(prefix, envelopes)
    spawn = multiprocessing.get_context("spawn")
    try:
        async with scratch_database(f"bench_stipend_{run}") as url:
            # The schema first, by an app on another prefix (its consumer has nothing to read), so the replicas
            # do not race to migrate.
            async with running(
                DEFINITION, stack_settings(DEFINITION, url, f"{prefix}schema."), clock=FakeClock(CLOSED)
            ):
                pass
            first, done, results = spawn.Event(), spawn.Event(), spawn.Queue()
            workers = [spawn.Process(target=consuming_replica, args=(url, prefix, first, done, results))
                       for _ in range(replicas)]  # fmt: skip
            for worker in workers:
                worker.start()
            admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA, client_id="bench-ingest")
            await admin.start()
            try:
                first_at, stored_first = None, 0
                while True:
                    stored, now = await events_committed(admin, f"{prefix}stipend"), wall.perf_counter()
                    if first_at is None and stored:
                        first_at, stored_first = now, stored
                        first.set()
                    if stored >= len(envelopes):
                        break
                    await asyncio.sleep(0.02)
            finally:
                done.set()
                await admin.close()
            counter = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
            try:
                facts = await facts_stored(counter)
            finally:
                await counter.close()
            assert facts == len(envelopes), f"{facts} facts stored of {len(envelopes)} events"
            assert first_at is not None
            seconds = now - first_at
            cpu = sum([await asyncio.to_thread(results.get, True, 600) for _ in workers])
            for worker in workers:
                worker.join()
                assert worker.exitcode == 0, f"a replica failed ({worker.exitcode})"
    finally:
        await delete_topics(prefix)
    counted = len(envelopes) - stored_first
    return {
        "schools": schools,
        "replicas": replicas,
        "events": len(envelopes),
        "seconds": round(seconds, 2),
        "events_per_s": round(counted / seconds) if seconds else None,
        # the replicas' own CPU an event, summed (PostgreSQL's and Kafka's are not in it): less load-bound
        "cpu_us_per_event": round(cpu * 1e6 / counted) if counted else None,
        "machine": load(),
    }


# --- 2. closing a month ------------------------------------------------------------------------------------------


def reference_rows(schools: int) -> dict[Any, list[dict[str, Any]]]:
    """Policy, term, six base programs (one per grade) with a per-class-hour plan, and the children, per school."""
    policy = PolicySettings(stipend_fen_per_class_hour=5000).model_dump(mode="json")
    rows: dict[Any, list[dict[str, Any]]] = {t: [] for t in (store.RefPolicy, store.RefTerm, store.RefProgram,
                                                             store.RefFeePlan, store.RefStudent)}  # fmt: skip
    for s in range(schools):
        school, term = f"s{s}", f"s{s}-2026-autumn"
        rows[store.RefPolicy].append(
            {"school_id": school, "effective_from": date(2026, 9, 1), "version": 1, "settings": policy}
        )
        calendar = TermCalendarSet(
            term_id=term, school_id=school, name="2026 秋", starts_on=date(2026, 9, 1), ends_on=date(2027, 1, 20)
        )
        rows[store.RefTerm].append({"term_id": term, "school_id": school, "calendar": calendar.model_dump(mode="json")})
        for grade in range(1, GRADES + 1):
            program = f"{school}-base-g{grade}"
            rows[store.RefProgram].append(
                {"program_id": program, "school_id": school, "term_id": term, "kind": "homework_supervision",
                 "weekdays": [0, 1, 2, 3, 4], "starts_at": time(15, 30), "class_hours": 2, "min_grade": grade,
                 "max_grade": grade, "specialty": False, "cancelled_on": None}
            )  # fmt: skip
            rows[store.RefFeePlan].append(
                {"fee_plan_id": f"fp-{program}", "program_id": program, "school_id": school, "kind": "per_class_hour",
                 "fen_per_class_hour": 230, "max_per_day": 2, "fen_per_month": 0, "effective_from": date(2026, 9, 1)}
            )  # fmt: skip
        rows[store.RefStudent] += [
            {"student_id": f"{school}-c{n}", "school_id": school, "grade": n % GRADES + 1} for n in range(CHILDREN)
        ]
    return rows


def fact_records(s: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """A school's check-ins and check-outs of every child on every day (a few away), each teacher's record a day."""
    ins, outs, staff = [], [], []
    ids = (f"{s:08x}{k:024x}" for k in itertools.count())  # an event id each, as long as a uuid's hex, made cheaply
    for school in (f"s{s}",):
        for day in SEPTEMBER:
            month, start = day.isoformat()[:7], datetime.combine(day, time(15, 30), SCHOOL_TZ)
            for n in range(CHILDREN):
                if (n + day.day) % 17 == 0:
                    continue  # away that day
                student = f"{school}-c{n}"
                ins.append((f"{student}-in-{day}", student, school, day, month, start, next(ids)))
                outs.append((f"{student}-out-{day}", student, school, day, month, start + timedelta(minutes=70),
                             next(ids)))  # fmt: skip
            for t in range(TEACHERS):
                program = f"{school}-base-g{t % GRADES + 1}"
                session = f"{program}:{day}"
                detail = json.dumps({"revision": 1, "complete": t % 5 != 0})
                staff.append((f"record:{school}-t{t}-{day}:1", "record", f"{school}-t{t}", school, session, day, month,
                              "homework_supervision", program, False, next(ids), detail))  # fmt: skip
    return ins, outs, staff


async def bulk_load(url: str, client: httpx.AsyncClient, schools: int) -> None:
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    async with runtime.db.sessions() as session:
        for table, rows in reference_rows(schools).items():
            await session.execute(insert(table), rows)
        await session.commit()
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        for s in range(schools):  # a school at a time: 100 schools' facts at once would be gigabytes
            ins, outs, staff = fact_records(s)
            columns = ["student_id", "school_id", "day", "month", "occurred_at", "event_id"]
            await connection.copy_records_to_table("check_ins", records=ins, columns=["check_in_id", *columns])
            await connection.copy_records_to_table("check_outs", records=outs, columns=["check_out_id", *columns])
            await connection.copy_records_to_table(
                "staff_facts",
                records=staff,
                columns=["fact_id", "kind", "staff_id", "school_id", "session_id", "session_date", "month",
                         "session_kind", "program_id", "half_session", "event_id", "detail"],
            )  # fmt: skip
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def close_schools(client: httpx.AsyncClient, schools: list[int]) -> None:
    """For each school: the admin approves and publishes the teachers' statements and issues the families'."""
    for s in schools:
        admin = auth(Role.SCHOOL_ADMIN, "admin", school=f"s{s}")
        for step in ("teacher-statements/2026-09/approve", "teacher-statements/2026-09/publish",
                     "family-statements/2026-09/issue"):  # fmt: skip
            answer = await client.post(f"/stipend/v1/{step}", headers=admin, timeout=600)
            assert answer.status_code == 200, answer.text


def replica(url: str, prefix: str, schools: list[int], start: Any, results: Any) -> None:
    """One stipend replica (its own process and app, as a pod runs one) closing its share of the schools."""

    async def serve() -> None:
        async with running(DEFINITION, stack_settings(DEFINITION, url, prefix), clock=FakeClock(CLOSED)) as client:
            await asyncio.to_thread(start.wait)  # every replica up before the clock starts
            cpu = wall.process_time()
            await close_schools(client, schools)
            results.put(wall.process_time() - cpu)

    asyncio.run(serve())


async def close(schools: int, replicas: int = 1) -> dict[str, Any]:
    """Seconds to approve, publish and issue September for every school (the facts bulk-loaded first), the schools
    shared round-robin among `replicas` service processes on the one database (each school's steps hold its lock)."""
    run = uuid.uuid4().hex[:8]
    prefix = f"bench{run}."
    spawn = multiprocessing.get_context("spawn")
    try:
        async with scratch_database(f"bench_stipend_{run}") as url:
            settings = stack_settings(DEFINITION, url, prefix)
            async with running(DEFINITION, settings, clock=FakeClock(CLOSED)) as client:
                loading = wall.perf_counter()
                await bulk_load(url, client, schools)
                loaded = wall.perf_counter() - loading
            start, results = spawn.Barrier(replicas + 1), spawn.Queue()
            workers = [
                spawn.Process(target=replica, args=(url, prefix, list(range(k, schools, replicas)), start, results))
                for k in range(replicas)
            ]
            for worker in workers:
                worker.start()
            await asyncio.to_thread(start.wait)
            started = wall.perf_counter()
            cpu = sum([await asyncio.to_thread(results.get, True, 3600) for _ in workers])
            seconds = wall.perf_counter() - started
            for worker in workers:
                worker.join()
                assert worker.exitcode == 0, f"a replica failed ({worker.exitcode})"
    finally:
        await delete_topics(prefix)
    return {
        "schools": schools,
        "replicas": replicas,
        "teachers": schools * TEACHERS,
        "children": schools * CHILDREN,
        "load_seconds": round(loaded, 1),
        "close_seconds": round(seconds, 2),
        # the service processes' own CPU, summed (PostgreSQL's is not in it): less load-bound than the seconds
        "close_cpu_seconds": round(cpu, 2),
        "machine": load(),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("ingest", "close"))
    parser.add_argument("--schools", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--events", type=int, default=40_000, help="ingest: events per run")
    parser.add_argument("--replicas", type=int, default=1, help="stipend processes sharing the work")
    args = parser.parse_args()
    for schools in args.schools:
        work = ingest(schools, args.events, args.replicas) if args.what == "ingest" else close(schools, args.replicas)
        result = await work
        print(json.dumps({"at": datetime.now(UTC).isoformat(timespec="seconds"), args.what: result}), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
