"""Load benchmark of the busiest attendance endpoints on the full stack (five processes, Kafka, PostgreSQL, Redis).

Measures, one after the other, with wrk (distinct device events, Idempotency-Keys, every answer checked):
1. single check-in POST (`bench/checkins.lua`);
2. batch check-in POST, `--size` events per request (`bench/batches.lua`, KIND=check-ins);
3. single check-out POST: each child collected by their authorised adult's card (`bench/batches.lua`, SIZE=0);
4. batch check-out POST, `--size` check-outs per request (`bench/batches.lua`, KIND=check-outs).
Check-outs are one per child and day, so requests walk back through past days (offline uploads are accepted).

Run (the stack up, wrk installed, as `bench/run` does): `python -m bench.checkout_load`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from afterschool.district import Api, build_district, seed
from bench import UNLIMITED_WRITES
from bench.checkin_load import wrk
from chassis.auth import Role
from tests.conftest import SECRET
from tests.e2e.processes import full_stack


async def seed_pickups(api: Api, students: list[tuple[str, str]]) -> None:
    """Give every child an authorised adult with the card `card-<student id>` (BX-2)."""

    async def add(school_id: str, student_id: str) -> None:
        admin = api.token(Role.SCHOOL_ADMIN, f"{school_id}-admin", school=school_id)
        body = {"name": "接送人", "relation": "母亲", "credential_ref": f"card-{student_id}"}
        await api.post(
            "enrollment", f"/enrollment/v1/students/{student_id}/pickups", body, admin, key=f"p-{student_id}"
        )

    await asyncio.gather(*(add(school, student) for school, student in students))


def row(name: str, result: dict[str, float], size: int = 1) -> str:
    """One line of the results table."""
    events = f", {result['rps'] * size:.0f} events/s" if size > 1 else ""
    return (
        f"| {name} | {result['rps']:.0f} req/s{events} (p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
        f"non-2xx {result['non_2xx']:.0f}) |"
    )


async def main(args: argparse.Namespace) -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: `apt-get install -y wrk` (bench/run does it)")
    tmp = tempfile.mkdtemp(prefix="afterschool-bench-")
    print(f"service logs in {tmp}")
    async with full_stack(
        f"bench{uuid.uuid4().hex[:6]}.", Path(tmp), clock_start=None, settings=UNLIMITED_WRITES
    ) as stack:
        api = Api(stack.bases, secret=SECRET, concurrency=64)
        district = build_district(schools=1)
        district = await seed(api, district)  # with the ids enrollment stored (issue 11)
        students = district.students()
        await api.wait_consumed("attendance", "enrollment.student_enrolled.v1", len(students))
        await seed_pickups(api, [(s.school_id, s.student_id) for s in students])
        await api.wait_consumed("attendance", "enrollment.pickup_person_added.v1", len(students))
        await api.aclose()

        base = f"{stack.bases['attendance']}/attendance/v1"
        yesterday = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=1)
        env = {
            "STUDENTS": ",".join(s.student_id for s in students),
            "BASE_EPOCH": str(int((datetime.now(UTC) - timedelta(days=1)).timestamp())),
            "BASE_DAY_EPOCH": str(int(yesterday.timestamp())),
            "SIZE": str(args.size),
        }

        def kiosk(name: str) -> dict[str, str]:
            token = api.token(Role.KIOSK, name, school="s1")
            return {**env, "DEVICE": name, "TOKEN": token}

        measures = [
            ("check-in POST", "check-ins", "checkins.lua", kiosk("s1-kiosk-in"), 1),
            (
                "batch check-in POST",
                "check-ins/batch",
                "batches.lua",
                {**kiosk("s1-kiosk-inb"), "KIND": "check-ins"},
                args.size,
            ),
            (
                "check-out POST",
                "check-outs",
                "batches.lua",
                {**kiosk("s1-kiosk-out"), "KIND": "check-outs", "SIZE": "0"},
                1,
            ),
            (
                "batch check-out POST",
                "check-outs/batch",
                "batches.lua",
                {**kiosk("s1-kiosk-outb"), "KIND": "check-outs"},
                args.size,
            ),
        ]
        rows = []
        for name, path, script, script_env, size in measures:
            result = wrk(f"{base}/{path}", script, seconds=args.seconds, connections=args.connections, env=script_env)
            label = f"{name}{f' ({size} events each)' if size > 1 else ''}, {args.connections} connections"
            rows.append(row(label, result, size))
            await asyncio.sleep(args.pause)  # let the relay and the consumers drain before the next measure

    print(
        f"\n| measure ({os.cpu_count()} cores, everything on this machine, {args.seconds}s each) | result |\n|---|---|"
    )
    print("\n".join(rows))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per measure")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--size", type=int, default=100, help="events per batch request")
    parser.add_argument("--pause", type=float, default=5.0, help="seconds between measures")
    asyncio.run(main(parser.parse_args()))
