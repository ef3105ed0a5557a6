"""Load benchmark of the heart of the product, on the full stack (five processes, Kafka, PostgreSQL, Redis).

Measures, in one run:
1. the yardstick: a bare FastAPI echo app's POST throughput (uvicorn, one process, as the services run);
2. single check-in POST throughput of the attendance service (wrk, distinct device events, Idempotency-Key);
3. check-in → guardian notification latency p50/p99 at a steady 200 check-ins/s (paced client), taken from
   the stored timestamps: notification committed in notify minus check-in received by attendance.

Run: `bench/run` (installs wrk from Debian if missing, brings the local stack up).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import orjson

from afterschool.district import Api, build_district, seed
from bench import UNLIMITED_WRITES, rawhttp
from chassis.auth import Role
from tests.conftest import SECRET
from tests.e2e.processes import RunningStack, free_port, full_stack

HERE = Path(__file__).parent


def wrk(
    url: str, script: str, *, seconds: int, connections: int, env: dict[str, str] | None = None
) -> dict[str, float]:
    """Run wrk and return requests/s, latency p50/p99 (ms) and non-2xx count."""
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(HERE / script), url],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **(env or {})},
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50, p99 = (_ms(re.search(rf"\s{p}%\s+([\d.]+\w+)", out).group(1)) for p in ("50", "99"))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50_ms": p50, "p99_ms": p99, "non_2xx": float(errors.group(1)) if errors else 0.0}


def _ms(value: str) -> float:
    number, unit = float(re.match(r"[\d.]+", value).group(0)), re.sub(r"[\d.]+", "", value)  # type: ignore[union-attr]
    return number * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def echo_yardstick(seconds: int, connections: int) -> dict[str, float]:
    """The bare FastAPI echo app under the same server settings as a service."""
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.echo_app:app",
            "--port",
            str(port),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
    )
    try:
        for _ in range(100):
            try:
                httpx.post(f"http://127.0.0.1:{port}/echo", json={})
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        return wrk(f"http://127.0.0.1:{port}/echo", "echo.lua", seconds=seconds, connections=connections)
    finally:
        server.terminate()
        server.wait()


async def steady(base: str, token: str, kiosk: str, students: list[str], *, rate: int, seconds: int) -> rawhttp.Tally:
    """POST check-ins from one kiosk at a steady rate with the raw client."""
    host, port = base.removeprefix("http://").split(":")
    start = datetime.now(UTC) - timedelta(minutes=1)

    def request(n: int) -> bytes:
        body = {
            "student_id": students[n % len(students)],
            "device_id": kiosk,
            "method": "qr",
            "occurred_at": (start + timedelta(milliseconds=n)).isoformat(),
        }
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"{kiosk}-{n}"}
        return rawhttp.post(host, int(port), "/attendance/v1/check-ins", orjson.dumps(body), headers)

    return await rawhttp.paced(host, int(port), request, rate=rate, total=rate * seconds)


async def latencies(stack: RunningStack, kiosk: str) -> list[float]:
    """Seconds from attendance receiving each steady-phase check-in to notify committing its first alert."""

    def dsn(service: str) -> str:
        return stack.databases[service].replace("postgresql+asyncpg://", "postgresql://")

    attendance, notify = await asyncpg.connect(dsn("attendance")), await asyncpg.connect(dsn("notify"))
    try:
        recorded = {
            r["check_in_id"]: r["recorded_at"]
            for r in await attendance.fetch(
                "SELECT check_in_id, recorded_at FROM check_ins WHERE device_id = $1", kiosk
            )
        }
        received = {}
        for row in await attendance.fetch("SELECT event_id, payload FROM outbox"):
            data = orjson.loads(row["payload"])["data"]
            if data.get("check_in_id") in recorded:  # the outbox holds check-outs too
                received[row["event_id"]] = data["check_in_id"]
        first_alert = {
            r["event_id"]: r["created_at"]
            for r in await notify.fetch(
                "SELECT event_id, min(created_at) AS created_at FROM notifications GROUP BY event_id"
            )
        }
    finally:
        await attendance.close()
        await notify.close()
    return [(first_alert[e] - recorded[c]).total_seconds() for e, c in received.items() if e in first_alert]


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100)."""
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


async def main(args: argparse.Namespace) -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: `apt-get install -y wrk` (bench/run does it)")
    tmp = tempfile.mkdtemp(prefix="afterschool-bench-")  # kept: the services' logs, for a run that went wrong
    print(f"service logs in {tmp}")
    async with full_stack(
        f"bench{uuid.uuid4().hex[:6]}.", Path(tmp), clock_start=None, settings=UNLIMITED_WRITES
    ) as stack:
        api = Api(stack.bases, secret=SECRET, concurrency=64)
        district = build_district(schools=1)
        district = await seed(api, district)  # with the ids enrollment stored (issue 11)
        students = [s.student_id for s in district.students()]
        await api.wait_consumed("attendance", "enrollment.student_enrolled.v1", len(students))
        await api.wait_consumed(
            "notify", "enrollment.guardian_linked.v1", sum(len(s.guardian_ids) for s in district.students())
        )

        echo = echo_yardstick(args.seconds, args.connections)
        env = {
            "STUDENTS": ",".join(students),
            "DEVICE": "s1-kiosk-gate",
            "TOKEN": api.token(Role.KIOSK, "s1-kiosk-gate", school="s1"),
            "BASE_EPOCH": str(int((datetime.now(UTC) - timedelta(days=1)).timestamp())),
        }
        checkins = wrk(
            f"{stack.bases['attendance']}/attendance/v1/check-ins",
            "checkins.lua",
            seconds=args.seconds,
            connections=args.connections,
            env=env,
        )
        wrk_total = int(checkins["rps"] * args.seconds)
        await api.wait_consumed("notify", "attendance.student_checked_in.v1", int(wrk_total * 0.95), timeout=600)
        await asyncio.sleep(5)  # let the burst drain completely before the steady phase

        steady_rows = []
        for rate in args.rates:
            kiosk = f"s1-kiosk-steady-{rate}"
            before = await api.consumed("notify", "attendance.student_checked_in.v1")
            token = api.token(Role.KIOSK, kiosk, school="s1")
            tally = await steady(
                stack.bases["attendance"], token, kiosk, students, rate=rate, seconds=args.steady_seconds
            )
            await api.wait_consumed("notify", "attendance.student_checked_in.v1", int(before) + tally.sent, timeout=600)
            steady_rows.append((rate, tally, await latencies(stack, kiosk)))
            await asyncio.sleep(3)
        await api.aclose()

    print(f"\n| measure ({os.cpu_count()} cores, everything on this machine) | result |\n|---|---|")
    print(
        f"| bare FastAPI echo POST, {args.connections} connections | {echo['rps']:.0f} req/s "
        f"(p50 {echo['p50_ms']:.1f} ms, p99 {echo['p99_ms']:.1f} ms) |"
    )
    print(
        f"| check-in POST, {args.connections} connections | {checkins['rps']:.0f} req/s "
        f"(p50 {checkins['p50_ms']:.1f} ms, p99 {checkins['p99_ms']:.1f} ms, non-2xx {checkins['non_2xx']:.0f}) |"
    )
    for rate, tally, lat in steady_rows:
        print(
            f"| check-in → notification, paced at {rate}/s (achieved {tally.sent / tally.elapsed:.0f}/s) for "
            f"{args.steady_seconds}s, {len(lat)} check-ins, statuses {tally.statuses} | "
            f"p50 {percentile(lat, 50) * 1000:.0f} ms, p99 {percentile(lat, 99) * 1000:.0f} ms, "
            f"max {max(lat) * 1000:.0f} ms |"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=15, help="wrk duration per throughput measure")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rates", type=int, nargs="+", default=[100, 150, 200], help="steady check-ins per second")
    parser.add_argument("--steady-seconds", type=int, default=30)
    asyncio.run(main(parser.parse_args()))
