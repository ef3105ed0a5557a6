"""EN-8 import benchmark: 10,000 students from CSV and from XLSX into enrollment on the full stack.

Starts the enrollment service as its own process (`afterschool serve enrollment`) on a fresh PostgreSQL
database, Kafka and Redis, sets up a school with 20 classes, then for each format: uploads 10,000 students,
waits for the job (polling its progress), waits until the relay has handed every event to Kafka, and uploads the
same file again (which must change and publish nothing). Prints the timings.

Run: `deploy/local/stack up && eval "$(deploy/local/stack env)" && .venv/bin/python -m bench.enrollment_import`
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from openpyxl import Workbook

from chassis.auth import Role
from tests.conftest import KAFKA, REDIS_URL, SECRET, auth, fresh_database
from tests.e2e.processes import free_port

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ADMIN = auth(Role.SCHOOL_ADMIN, "教务处", school="bench")
CLASSES = 20


@contextlib.asynccontextmanager
async def enrollment_service(logs: Path, bus: str) -> AsyncIterator[tuple[str, str]]:
    """The enrollment service in its own process on the stack; its base URL and database URL."""
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    async with fresh_database() as database:
        settings = {
            "ENVIRONMENT": "test",
            "DATABASE_URL": database,
            "BUS": bus,
            "KAFKA_BOOTSTRAP": KAFKA,
            "KAFKA_TOPIC_PREFIX": prefix,
            "KAFKA_CREATE_TOPICS": "true",
            "REDIS_URL": REDIS_URL,
            "REDIS_NAMESPACE": prefix,
            "JWT_SECRET": SECRET,
        }
        env = {**os.environ, **{f"ENROLLMENT_{k}": v for k, v in settings.items()}}
        port = free_port()
        log = (logs / "enrollment.log").open("wb")
        command = [sys.executable, "-m", "afterschool", "serve", "enrollment", "--port", str(port)]
        process = await asyncio.create_subprocess_exec(*command, env=env, stdout=log, stderr=log)
        base = f"http://127.0.0.1:{port}"
        try:
            await _ready(base, process, logs)
            yield base, database
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            async with asyncio.timeout(30):
                await process.wait()


async def _ready(base: str, process: asyncio.subprocess.Process, logs: Path) -> None:
    async with httpx.AsyncClient(timeout=2) as client:
        for _ in range(600):
            if process.returncode is not None:
                raise RuntimeError(f"enrollment exited: {(logs / 'enrollment.log').read_text()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"{base}/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise TimeoutError("enrollment not ready in 60s")


def students_rows(prefix: str, count: int) -> list[list[Any]]:
    """A header and `count` students spread over the classes, every seventh a left-behind child (EN-3)."""
    rows: list[list[Any]] = [["学号", "姓名", "班级", "优先类别"]]
    for n in range(count):
        rows.append([f"{prefix}{n:05d}", f"学生{n}", f"c{n % CLASSES}", "留守儿童" if n % 7 == 0 else ""])
    return rows


def as_csv(rows: list[list[Any]]) -> bytes:
    return "".join(",".join(str(c) for c in row) + "\n" for row in rows).encode()


def as_xlsx(rows: list[list[Any]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def timed_import(client: httpx.AsyncClient, kind: str, body: bytes, media_type: str) -> dict[str, Any]:
    """Upload, poll the job until it ends; the job with the seconds taken and the progress seen on the way."""
    started = time.perf_counter()
    answer = await client.post(
        f"/enrollment/v1/imports?kind={kind}", content=body, headers={**ADMIN, "Content-Type": media_type}
    )
    answer.raise_for_status()
    accepted = time.perf_counter() - started
    job: dict[str, Any] = answer.json()
    seen: list[int] = []
    while job["status"] == "running":
        await asyncio.sleep(0.05)
        job = (await client.get(f"/enrollment/v1/imports/{job['job_id']}", headers=ADMIN)).json()
        seen.append(job["rows_done"])
    job["seconds"], job["accepted_after"], job["progress_seen"] = time.perf_counter() - started, accepted, seen
    if job["status"] != "succeeded":
        raise RuntimeError(f"import failed: {job}")
    return job


async def drained(database: str, started: float) -> float:
    """Seconds from `started` until the relay has published every outbox row to Kafka."""
    connection = await asyncpg.connect(database.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        backlog = 1
        while backlog:  # polled: the relay's progress is only visible in the outbox table
            backlog = await connection.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            await asyncio.sleep(0.05)
    finally:
        await connection.close()
    return time.perf_counter() - started


async def run(count: int, bus: str) -> None:
    with tempfile.TemporaryDirectory() as logs:
        async with (
            enrollment_service(Path(logs), bus) as (base, database),
            httpx.AsyncClient(base_url=base, timeout=120) as client,
        ):
            operator = auth(Role.DISTRICT_OPERATOR, "教育局", district="d1")
            school = await client.post(
                "/enrollment/v1/schools", json={"id": "bench", "name": "实验小学"}, headers=operator
            )
            school.raise_for_status()
            classes = [["班级编号", "年级", "班级名称"]] + [
                [f"c{n}", 1 + n % 6, f"{1 + n % 6}年级{n}班"] for n in range(CLASSES)
            ]
            await timed_import(client, "classes", as_csv(classes), CSV)
            print(f"enrollment import benchmark: {count} students, {CLASSES} classes, PostgreSQL + {bus} bus")
            for name, encode, media_type, prefix in (("CSV", as_csv, CSV, "c"), ("XLSX", as_xlsx, XLSX, "x")):
                body = encode(students_rows(prefix, count))
                started = time.perf_counter()
                first = await timed_import(client, "students", body, media_type)
                on_kafka = await drained(database, started)
                again = await timed_import(client, "students", body, media_type)
                report, repeat = first["report"], again["report"]
                progress = sorted(set(first["progress_seen"]))
                print(
                    f"{name:4} {len(body) / 1024:5.0f} KiB: import {first['seconds']:.2f} s "
                    f"(202 after {first['accepted_after']:.2f} s; created {report['created']}, "
                    f"events {report['events']}; progress seen {progress}); "
                    f"every event relayed ({bus}) after {on_kafka:.2f} s; "
                    f"re-import {again['seconds']:.2f} s (unchanged {repeat['unchanged']}, events {repeat['events']})"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--bus", choices=("kafka", "memory"), default="kafka", help="memory: the database part alone")
    args = parser.parse_args()
    asyncio.run(run(args.students, args.bus))


if __name__ == "__main__":
    main()
