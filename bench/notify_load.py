"""Notify under a whole school's emergency broadcast (issue 10), run by hand: `python -m bench.notify_load
--guardians 10000`.

On the real stack (the five services as processes, as `bench.checkin_load`), with `--guardians` children in one
school, each with their own guardian:
1. every guardian opens the live stream (`/notify/v1/notifications/stream`) on the one notify process;
2. one `attendance.emergency_broadcast.v1` for the whole school goes on the bus;
3. measured: notifications stored per second (the fan-out, from the broadcast's publication to the last row),
   how long until every open stream has its alert, and the notify process's resident memory idle, with every
   stream open, and at its peak during the fan-out.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import uvloop

from bench import UNLIMITED_WRITES
from chassis.auth import Role, mint_token
from contracts.attendance.emergency import EmergencyBroadcast, EmergencyReason
from contracts.enrollment import GuardianLinked, StudentEnrolled
from contracts.envelope import Envelope, Event
from tests.conftest import SECRET
from tests.e2e.processes import free_port, full_stack
from tests.services.conftest import producer, publish_as_producer

SCHOOL = "s1"
STREAM = "/notify/v1/notifications/stream"


def rss_mb(pid: int) -> float:
    """The process's resident set, in MB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def loadavg() -> str:
    """The machine's load, as `cat /proc/loadavg` shows it (the load generator shares its cores with notify)."""
    return Path("/proc/loadavg").read_text().strip()


def roster(guardians: int) -> list[Event]:
    """A child per guardian, all in one school (grade 1 to 6)."""
    events: list[Event] = []
    for n in range(guardians):
        student, guardian = f"s1-child-{n:05d}", f"s1-guardian-{n:05d}"
        events.append(
            StudentEnrolled(student_id=student, school_id=SCHOOL, class_id="s1-c", grade=1 + n % 6, name=f"学生{n}")
        )
        events.append(GuardianLinked(guardian_id=guardian, student_id=student, school_id=SCHOOL, relation="母亲"))
    return events


async def count(dsn: str, table: str) -> int:
    connection = await asyncpg.connect(dsn.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return int(await connection.fetchval(f"SELECT count(*) FROM {table}"))
    finally:
        await connection.close()


async def until(counted: Callable[[], Awaitable[int]], target: int, *, poll: float) -> float:
    """Poll a count until it reaches `target`; the monotonic time it did."""
    while await counted() < target:  # noqa: ASYNC110 - the count lives in another process's database
        await asyncio.sleep(poll)
    return time.monotonic()


async def snapshot(pid: int, path: str | None = None) -> None:
    """Have the notify process start tracing (`path` None) or write its tracemalloc snapshot to `path` (SIGUSR2, see
    `tracemalloc_site`)."""
    os.kill(pid, signal.SIGUSR2)
    if path is None:
        return
    while not os.path.exists(path):  # noqa: ASYNC110, ASYNC240 - another process writes it, a stat a poll
        await asyncio.sleep(0.2)
    await asyncio.sleep(2.0)  # written whole


async def start_profile(path: str, pid: int) -> asyncio.subprocess.Process:
    """py-spy sampling the notify process through the fan-out, as collapsed stacks (`--format raw`) at `path`."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")  # the venv's, off PATH
    process = await asyncio.create_subprocess_exec(
        py_spy, "record", "--pid", str(pid), "--rate", "200", "--format", "raw", "--output", path, "--nonblocking"
    )
    await asyncio.sleep(1.0)  # attached before the broadcast
    return process


async def stop_profile(process: asyncio.subprocess.Process) -> None:
    """Stop py-spy (SIGINT writes its file)."""
    process.send_signal(signal.SIGINT)
    await process.wait()


class Stream:
    """One guardian's open live stream over a raw socket (a client per connection would cost more than notify)."""

    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port, self.token = host, port, token
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.alerted_at: float | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        request = (
            f"GET {STREAM} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer {self.token}\r\n"
            "Accept: text/event-stream\r\n\r\n"
        )
        self.writer.write(request.encode())
        await self.writer.drain()
        while (line := await self.reader.readline()) and b": connected" not in line:
            if not line:
                raise RuntimeError("stream closed before it was connected")

    async def wait_for_alert(self) -> None:
        assert self.reader is not None
        while line := await self.reader.readline():
            if line.startswith(b"event: notification"):
                self.alerted_at = time.monotonic()
                return

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def main(args: argparse.Namespace) -> None:
    tmp = tempfile.mkdtemp(prefix="afterschool-notify-bench-")
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    load_before = loadavg()
    if args.tracemalloc or args.gc_log or args.gc_threshold:  # probes in the notify process (tracemalloc_site)
        site = Path(__file__).parent / "tracemalloc_site"
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
        os.environ["NOTIFY_TRACEMALLOC_OUT"] = args.tracemalloc or ""
        os.environ["NOTIFY_GC_LOG"] = "1" if args.gc_log else ""
        os.environ["NOTIFY_GC_THRESHOLD"] = str(args.gc_threshold or "")
    print(f"service logs in {tmp}; load before: {load_before}")
    settings = dict(UNLIMITED_WRITES)
    if args.port == "stream":  # the streams on notify's stream port (chassis/streams.py), as the gateway routes them
        stream_port = free_port()
        settings |= {"NOTIFY_STREAM_PORT": str(stream_port), "NOTIFY_STREAM_HOST": "127.0.0.1"}
    async with full_stack(prefix, Path(tmp), clock_start=None, settings=settings) as stack:
        pid, dsn = stack.pids["notify"], stack.databases["notify"]
        host, port = stack.bases["notify"].removeprefix("http://").split(":")
        if args.port == "stream":
            port = str(stream_port)
        idle = rss_mb(pid)
        await publish_as_producer(prefix, roster(args.guardians), school_id=SCHOOL)
        await until(lambda: count(dsn, "guardian_links"), args.guardians, poll=0.5)
        with_roster = rss_mb(pid)
        if args.tracemalloc:
            await snapshot(pid)

        streams = [
            Stream(
                host,
                int(port),
                mint_token(
                    secret=SECRET,
                    role=Role.GUARDIAN,
                    subject=f"s1-guardian-{n:05d}",
                    school_id=SCHOOL,
                    ttl=timedelta(hours=2),
                ),
            )
            for n in range(args.guardians)
        ]
        gate = asyncio.Semaphore(200)
        per_thousand: list[float] = []  # RSS each time another 1,000 streams are open: the cost of a stream

        async def open_one(stream: Stream) -> None:
            async with gate:
                await stream.open()
            opened[0] += 1
            if opened[0] % 1000 == 0:
                per_thousand.append(rss_mb(pid))

        opened = [0]
        started = time.monotonic()
        await asyncio.gather(*(open_one(s) for s in streams))
        opening = time.monotonic() - started
        open_rss = rss_mb(pid)
        if args.tracemalloc:
            await snapshot(pid, f"{args.tracemalloc}.1")
        profiler = await start_profile(args.profile, pid) if args.profile else None

        peak = open_rss
        sampling = True

        async def sample() -> None:
            nonlocal peak
            while sampling:
                peak = max(peak, rss_mb(pid))
                await asyncio.sleep(0.1)

        sampler = asyncio.create_task(sample())
        waiting = [asyncio.create_task(s.wait_for_alert()) for s in streams]
        broadcast = EmergencyBroadcast(
            broadcast_id=f"b-{uuid.uuid4().hex[:8]}",
            school_id=SCHOOL,
            drill=True,
            reason=EmergencyReason.WEATHER,
            dismiss_at=datetime.now(UTC) + timedelta(minutes=30),
            issued_by="duty_leader:bench",
            note="演练",
        )
        envelope = Envelope.wrap(broadcast, source="/bench", school_id=SCHOOL)
        # The producer is connected and the topic known before the clock starts: the relay that publishes a real
        # broadcast is long connected, and a client's start-up (~0.3 s here) is not the fan-out's.
        async with producer(prefix, [broadcast.topic]) as bus:
            t0 = time.monotonic()
            await bus.publish(broadcast.topic, broadcast.key(), envelope.to_bytes())
            async with asyncio.timeout(args.timeout):
                stored_at = await until(lambda: count(dsn, "notifications"), args.guardians, poll=0.05)
                await asyncio.gather(*waiting)
        sampling = False
        await sampler
        if profiler is not None:
            await stop_profile(profiler)
        for s in streams:
            s.close()
        arrivals = sorted((s.alerted_at or t0) - t0 for s in streams)

    stored_s = stored_at - t0
    cores = os.cpu_count()
    where = f"{args.guardians:,} guardians on its {args.port} port"
    print(f"\n| notify, {where}, one process ({cores} cores, all on this machine) | result |")
    print("|---|---|")
    print(f"| streams opened (200 at a time) | {len(streams):,} in {opening:.1f} s |")
    print(
        f"| RSS idle / with the roster / every stream open / peak in the fan-out | {idle:.0f} / {with_roster:.0f} / "
        f"{open_rss:.0f} / {peak:.0f} MB |"
    )
    rate = args.guardians / stored_s
    print(f"| broadcast → {args.guardians:,} notifications stored | {stored_s:.2f} s ({rate:,.0f}/s) |")
    print(
        f"| broadcast → alert on the stream: p50 / p99 / last | {arrivals[len(arrivals) // 2]:.2f} / "
        f"{arrivals[int(len(arrivals) * 0.99) - 1]:.2f} / {arrivals[-1]:.2f} s |"
    )
    steps = [b - a for a, b in itertools.pairwise([with_roster, *per_thousand])]
    print(f"| RSS added per 1,000 streams | {' / '.join(f'{d:.0f}' for d in steps)} MB |")
    print(f"| load average before / at the end | {load_before} / {loadavg()} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--guardians", type=int, default=10_000)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument(
        "--port", choices=("stream", "main"), default="stream", help="open the streams on notify's stream port or main"
    )
    parser.add_argument(
        "--tracemalloc", help="tracemalloc snapshot of notify at FILE.1: what opening the streams allocated"
    )
    parser.add_argument("--gc-log", action="store_true", help="notify logs each full pass of its cyclic collector")
    parser.add_argument("--gc-threshold", type=int, help="notify's young-generation threshold (default 700)")
    parser.add_argument("--profile", help="py-spy notify through the fan-out into this file (collapsed stacks)")
    with contextlib.suppress(KeyboardInterrupt):  # uvloop: the 10,000 client sockets share notify's two cores
        uvloop.run(main(parser.parse_args()))
