"""Every target of issue 13 in one run on the full stack (five processes, Kafka, PostgreSQL, Redis), run by
`bench/run`; the last line printed is `BENCH {...}` (`bench/figures.py`).

In order, all against the same stack and next to the same echo yardstick:
1. the bare FastAPI echo app's POST req/s (`checkin_load.echo_yardstick`, the services' server settings);
2. single check-in POST req/s from one school's kiosk (`checkins.lua`), and the same load spread over
   `--schools` one-child schools, each from its own kiosk (`checkins.lua` with CALLERS): `schools_1000_ratio`;
3. batch check-in POST, 100 events a request (`batches.lua`): events/s;
4. single check-out POST req/s (`batches.lua`, SIZE=0);
5. check-in → guardian alert stored, p50/p99 at each steady `--rates` (`checkin_load.steady`/`latencies`);
6. the dismissal burst: `--burst` check-outs of a second school as batches of 100, sent as fast as the service
   takes them: seconds from the first request until notify has handled every `StudentCheckedOut`;
7. catch-up: notify and stipend stopped (SIGSTOP), `--backlog` check-ins put on the topic, both resumed: each
   one's events/s from its first handled event of the backlog to its last;
8. every service's resident memory, sampled every second through the run: idle (after seeding) and the peak.
`--profile DIR` records py-spy (collapsed stacks) of attendance through the single check-in, batch and check-out
phases, and of notify through the dismissal burst.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import orjson

from afterschool.district import Api, District, build_district, seed
from bench import UNLIMITED_WRITES, rawhttp
from bench.checkin_load import echo_yardstick, latencies, percentile, steady, wrk
from bench.checkout_load import seed_pickups
from bench.figures import bench_line
from bench.notify_load import loadavg, rss_mb, start_profile, stop_profile
from chassis.auth import Role
from chassis.bus.kafka import KafkaBus
from contracts.attendance.checkins import CheckInMethod, StudentCheckedIn
from contracts.envelope import Envelope
from tests.conftest import KAFKA, SECRET
from tests.e2e.processes import RunningStack, full_stack

CHECKED_IN, CHECKED_OUT = "attendance.student_checked_in.v1", "attendance.student_checked_out.v1"
MAX_AGE_DAYS = 62  # the widest AT-8 window: check-outs are one per child and day, so the burst walks back days
BATCH = 100


class Memory:
    """Each service's resident set, sampled every second while the run lasts."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids, self.peak = pids, dict.fromkeys(pids, 0.0)
        self.idle: dict[str, float] = {}

    def sample(self) -> dict[str, float]:
        """The resident sets now, and the peaks updated."""
        now = {name: rss_mb(pid) for name, pid in self.pids.items()}
        self.peak = {name: max(self.peak[name], now[name]) for name in now}
        return now

    @contextlib.asynccontextmanager
    async def sampling(self) -> AsyncIterator[None]:
        """Sample in the background."""

        async def loop() -> None:
            while True:
                with contextlib.suppress(OSError, RuntimeError):
                    self.sample()
                await asyncio.sleep(1.0)

        task = asyncio.create_task(loop())
        try:
            yield
        finally:
            task.cancel()


def one_child_schools(count: int, first: int) -> District:
    """`count` schools of one child each, numbered from `s<first>`."""
    built = build_district(schools=first + count - 1, grades=1, classes_per_grade=1, per_class=1)
    return District(built.district_id, built.schools[first - 1 :])


async def check_ins_stored(stack: RunningStack) -> int:
    """Check-ins attendance has stored so far (each one is a `StudentCheckedIn` notify will handle)."""
    connection = await asyncpg.connect(stack.databases["attendance"].replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return int(await connection.fetchval("SELECT count(*) FROM check_ins"))
    finally:
        await connection.close()


@contextlib.asynccontextmanager
async def profiled(directory: str | None, name: str, pid: int) -> AsyncIterator[None]:
    """py-spy on `pid` into `directory/name.txt` while the block runs (nothing without a directory)."""
    if directory is None:
        yield
        return
    await asyncio.to_thread(Path(directory).mkdir, parents=True, exist_ok=True)  # py-spy does not make it
    process = await start_profile(str(Path(directory) / f"{name}.txt"), pid)
    try:
        yield
    finally:
        await stop_profile(process)


def check_outs(students: list[str], *, days_back: range, device: str, yesterday: datetime) -> list[dict[str, Any]]:
    """One check-out per child per day, oldest day first, each collected by the card `card-<student id>`."""
    return [
        {
            "student_id": student,
            "occurred_at": (yesterday - timedelta(days=back)).isoformat().replace("+00:00", "Z"),
            "credential_ref": f"card-{student}",
        }
        for back in reversed(days_back)
        for student in students
    ]


async def burst(api: Api, base: str, school: str, students: list[str], total: int) -> dict[str, float]:
    """Send `total` check-outs as batches as fast as attendance takes them; seconds until notify handled all."""
    device = f"{school}-kiosk-burst"
    token = api.token(Role.KIOSK, device, school=school)
    yesterday = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=1)
    days = -(-total // len(students))
    events = check_outs(students, days_back=range(1, days + 1), device=device, yesterday=yesterday)[:total]
    host, port = base.removeprefix("http://").split(":")
    bodies = [
        rawhttp.post(
            host,
            int(port),
            "/attendance/v1/check-outs/batch",
            orjson.dumps({"device_id": device, "events": events[start : start + BATCH]}),
            {"Authorization": f"Bearer {token}", "Idempotency-Key": f"burst-{start}"},
        )
        for start in range(0, len(events), BATCH)
    ]
    before = await api.consumed("notify", CHECKED_OUT)
    started = time.perf_counter()
    tally = await rawhttp.paced(host, int(port), bodies.__getitem__, rate=1e6, total=len(bodies), connections=8)
    sent = time.perf_counter() - started
    await api.wait_consumed("notify", CHECKED_OUT, int(before) + len(events), timeout=900)
    return {
        "events": len(events),
        "sent_s": sent,
        "drain_s": time.perf_counter() - started,
        "statuses": float(tally.statuses.get(200, 0)),
    }


def backlog_events(students: list[tuple[str, str]], total: int) -> list[Envelope]:
    """`total` check-ins of these (school, student) pairs, a millisecond apart, yesterday."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1, hours=6)
    envelopes = []
    for n in range(total):
        school, student = students[n % len(students)]
        at = start + timedelta(milliseconds=n)
        event = StudentCheckedIn(
            check_in_id=f"backlog-{n}",
            student_id=student,
            school_id=school,
            device_id=f"{school}-kiosk-backlog",
            method=CheckInMethod.CARD,
            occurred_at=at,
            session_date=(at + timedelta(hours=8)).date().isoformat(),
        )
        envelopes.append(Envelope.wrap(event, source="/bench", school_id=school, time=at))
    return envelopes


async def catch_up(api: Api, stack: RunningStack, prefix: str, envelopes: list[Envelope]) -> dict[str, float]:
    """Notify and stipend paused while the backlog goes on the topic; each one's events/s once resumed."""
    paused = [stack.pids["notify"], stack.pids["stipend"]]
    before = {s: await api.consumed(s, CHECKED_IN) for s in ("notify", "stipend")}
    for pid in paused:
        os.kill(pid, signal.SIGSTOP)
    try:
        bus = KafkaBus(KAFKA, prefix=prefix)
        await bus.start()
        try:
            for start in range(0, len(envelopes), 2000):
                chunk = envelopes[start : start + 2000]
                topic = StudentCheckedIn.topic
                await asyncio.gather(*(bus.publish(topic, e.data["student_id"], e.to_bytes()) for e in chunk))
        finally:
            await bus.stop()
    finally:
        for pid in paused:
            os.kill(pid, signal.SIGCONT)

    async def drain(service: str) -> float:
        target, first_at, first = before[service] + len(envelopes), None, 0.0
        deadline = time.perf_counter() + 900
        while True:
            seen, now = await api.consumed(service, CHECKED_IN), time.perf_counter()
            if first_at is None and seen > before[service]:
                first_at, first = now, seen
            if seen >= target or now > deadline:
                break
            await asyncio.sleep(0.1)
        if first_at is None or now <= first_at:
            return float("nan")
        return (seen - first) / (now - first_at)

    notify, stipend = await asyncio.gather(drain("notify"), drain("stipend"))
    return {"notify": notify, "stipend": stipend}


async def main(args: argparse.Namespace) -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: `apt-get install -y wrk` (bench/run does it)")
    tmp = tempfile.mkdtemp(prefix="afterschool-bench-")  # kept: the services' logs, for a run that went wrong
    print(f"service logs in {tmp}; load {loadavg()}", flush=True)
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    settings = {**UNLIMITED_WRITES, "ATTENDANCE_MAX_DEVICE_EVENT_AGE_DAYS": str(MAX_AGE_DAYS)}
    lines: list[str] = []

    def report(line: str) -> None:
        lines.append(f"{line} (load {loadavg()})")
        print(lines[-1], flush=True)

    async with full_stack(prefix, Path(tmp), clock_start=None, settings=settings) as stack:
        memory = Memory(stack.pids)
        api = Api(stack.bases, secret=SECRET, concurrency=16)  # 64 timed out seeding on a loaded box
        district = build_district(schools=2)
        spread = one_child_schools(args.schools, first=3)
        district, spread = await seed(api, district), await seed(api, spread)  # stored ids (issue 11)
        everyone = district.students() + spread.students()
        await seed_pickups(api, [(s.school_id, s.student_id) for s in district.students()])
        await api.wait_consumed("attendance", "enrollment.student_enrolled.v1", len(everyone), timeout=600)
        await api.wait_consumed("attendance", "enrollment.pickup_person_added.v1", len(district.students()))
        await api.wait_consumed(
            "notify", "enrollment.guardian_linked.v1", sum(len(s.guardian_ids) for s in everyone), timeout=600
        )
        await asyncio.sleep(2)
        memory.idle = memory.sample()
        report(f"idle RSS MB {', '.join(f'{k} {v:.0f}' for k, v in memory.idle.items())}")

        async with memory.sampling():
            s1 = [s.student_id for s in district.schools[0].students]
            attendance = f"{stack.bases['attendance']}/attendance/v1"
            now = datetime.now(UTC)
            yesterday = now.replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=1)
            common = {
                "STUDENTS": ",".join(s1),
                "BASE_EPOCH": str(int((now - timedelta(days=1)).timestamp())),
                "BASE_DAY_EPOCH": str(int(yesterday.timestamp())),
            }

            def kiosk(name: str, **extra: str) -> dict[str, str]:
                return {**common, "DEVICE": name, "TOKEN": api.token(Role.KIOSK, name, school="s1"), **extra}

            async def measure(name: str, path: str, script: str, env: dict[str, str]) -> dict[str, float]:
                url = f"{attendance}/{path}"
                # in a thread, so the memory sampler keeps running while wrk does
                result = await asyncio.to_thread(
                    wrk, url, script, seconds=args.seconds, connections=args.connections, env=env
                )
                report(
                    f"{name}: {result['rps']:.0f} req/s, p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
                    f"non-2xx {result['non_2xx']:.0f}"
                )
                return result

            echo = await asyncio.to_thread(echo_yardstick, args.seconds, args.connections)
            report(f"echo POST: {echo['rps']:.0f} req/s, p50 {echo['p50_ms']:.1f} ms, p99 {echo['p99_ms']:.1f} ms")
            async with profiled(args.profile, "checkin", stack.pids["attendance"]):
                gate = kiosk("s1-kiosk-gate")
                checkin = await measure("check-in POST, one school", "check-ins", "checkins.lua", gate)
            await asyncio.sleep(args.pause)
            callers = Path(tmp) / "callers.txt"
            callers.write_text(
                "".join(
                    f"{s.student_id} {s.school_id}-kiosk-gate "
                    f"{api.token(Role.KIOSK, f'{s.school_id}-kiosk-gate', school=s.school_id)}\n"
                    for s in spread.students()
                )
            )
            spread_env = {"CALLERS": str(callers), "BASE_EPOCH": common["BASE_EPOCH"]}
            spreaded = await measure(f"check-in POST, {args.schools} schools", "check-ins", "checkins.lua", spread_env)
            await asyncio.sleep(args.pause)
            async with profiled(args.profile, "batch", stack.pids["attendance"]):
                batch = await measure(
                    f"batch check-in POST ({BATCH} events)",
                    "check-ins/batch",
                    "batches.lua",
                    kiosk("s1-kiosk-batch", KIND="check-ins", SIZE=str(BATCH)),
                )
            await asyncio.sleep(args.pause)
            async with profiled(args.profile, "checkout", stack.pids["attendance"]):
                checkout = await measure(
                    "check-out POST", "check-outs", "batches.lua", kiosk("s1-kiosk-out", KIND="check-outs", SIZE="0")
                )
            await asyncio.sleep(args.pause)

            p99_at: dict[int, float] = {}
            for rate in args.rates:
                device = f"s1-kiosk-steady-{rate}"
                # the earlier phases' check-ins first, so each rate starts on a drained pipeline
                await api.wait_consumed("notify", CHECKED_IN, await check_ins_stored(stack), timeout=900)
                token = api.token(Role.KIOSK, device, school="s1")
                base = stack.bases["attendance"]
                tally = await steady(base, token, device, s1, rate=rate, seconds=args.steady_seconds)
                await api.wait_consumed("notify", CHECKED_IN, await check_ins_stored(stack), timeout=900)
                lat = await latencies(stack, device) or [float("nan")]
                p99_at[rate] = percentile(lat, 99) * 1000
                report(
                    f"check-in → alert at {rate}/s (achieved {tally.sent / tally.elapsed:.0f}/s, statuses "
                    f"{tally.statuses}, {len(lat)} alerts): p50 {percentile(lat, 50) * 1000:.0f} ms, "
                    f"p99 {p99_at[rate]:.0f} ms, max {max(lat) * 1000:.0f} ms"
                )
                await asyncio.sleep(args.pause)

            s2 = [s.student_id for s in district.schools[1].students]
            async with profiled(args.profile, "notify-burst", stack.pids["notify"]):
                dismissal = await burst(api, stack.bases["attendance"], "s2", s2, args.burst)
            report(
                f"dismissal burst: {dismissal['events']:.0f} check-outs sent in {dismissal['sent_s']:.1f} s "
                f"({dismissal['statuses']:.0f} batches answered 200), every alert handled after "
                f"{dismissal['drain_s']:.1f} s"
            )
            await asyncio.sleep(args.pause)

            pairs = [(s.school_id, s.student_id) for s in district.schools[0].students]
            rates = await catch_up(api, stack, prefix, backlog_events(pairs, args.backlog))
            report(
                f"catch-up of {args.backlog} check-ins: notify {rates['notify']:.0f} events/s, "
                f"stipend {rates['stipend']:.0f} events/s"
            )
        await api.aclose()

    report(f"peak RSS MB {', '.join(f'{k} {v:.0f}' for k, v in memory.peak.items())}")
    print("\n## summary\n" + "\n".join(lines))
    print(
        bench_line(
            {
                "bare_rps": echo["rps"],
                "checkin_rps": checkin["rps"],
                "checkin_ratio": checkin["rps"] / echo["rps"],
                "checkout_ratio": checkout["rps"] / echo["rps"],
                "batch_events_per_s": batch["rps"] * BATCH,
                "alert_p99_ms_at_400": p99_at.get(400),
                "burst_drain_s": dismissal["drain_s"],
                "catchup_notify_eps": rates["notify"],
                "catchup_stipend_eps": rates["stipend"],
                "schools_1000_ratio": spreaded["rps"] / checkin["rps"],
                "max_rss_mb": max(memory.peak.values()),
            }
        )
    )


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The run's knobs; `--quick` shortens every phase so one run fits in a few minutes on a shared box."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short phases: about five minutes in all")
    parser.add_argument("--seconds", type=int, help="wrk duration per throughput measure (15; quick 8)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--schools", type=int, help="one-child schools the spread load goes to (1000; quick 200)")
    parser.add_argument("--rates", type=int, nargs="+", help="steady check-ins/s (100 200 400 600; quick 400)")
    parser.add_argument("--steady-seconds", type=int, help="seconds per steady rate (20; quick 8)")
    parser.add_argument("--burst", type=int, help="check-outs in the dismissal burst (20000; quick 5000)")
    parser.add_argument("--backlog", type=int, help="events of the catch-up backlog (100000; quick 20000)")
    parser.add_argument("--pause", type=float, help="seconds between phases (5; quick 2)")
    parser.add_argument("--profile", help="py-spy attendance (check-in, batch, check-out) and notify (burst)")
    args = parser.parse_args(argv)
    defaults: dict[str, Any] = (
        {"seconds": 8, "schools": 200, "rates": [400], "steady_seconds": 8}
        | {"burst": 5000, "backlog": 10_000, "pause": 2.0}
        if args.quick
        else {
            "seconds": 15,
            "schools": 1000,
            "rates": [100, 200, 400, 600],
            "steady_seconds": 20,
            "burst": 20_000,
            "backlog": 100_000,
            "pause": 5.0,
        }
    )
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args


if __name__ == "__main__":
    asyncio.run(main(arguments()))
