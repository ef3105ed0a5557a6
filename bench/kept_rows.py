"""A consumer batch's kept rows written at commit (`UnitOfWork.keep`): the consumer's own CPU and the wall time per
batch, on the local stack's PostgreSQL (issue 9).

    python -m bench.kept_rows [--batches 30] [--rows 2000]

Each batch is 2,000 of the stipend's check-in facts (as `services/stipend/facts/handlers.py` keeps them), kept and
committed in one unit of work, as one consumer transaction does; the process's CPU time is what the consumer pays
for writing them, apart from the database's own work.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from datetime import date, datetime
from typing import Any

from bench.scratch import load, scratch_database
from chassis.clock import SCHOOL_TZ
from chassis.db import Database
from services.stipend import store
from tests.chassis.probe import unit_of_work

ARRIVED = datetime(2026, 9, 1, 15, 30, tzinfo=SCHOOL_TZ)


def facts(batch: int, rows: int) -> list[dict[str, Any]]:
    """One batch's check-in facts, each under its own id."""
    return [
        {"check_in_id": f"b{batch}-{n}", "occurred_at": ARRIVED, "student_id": f"s1-c{n}", "school_id": "s1",
         "day": date(2026, 9, 1), "month": "2026-09", "event_id": str(uuid.uuid4())}
        for n in range(rows)
    ]  # fmt: skip


async def measure(batches: int, rows: int) -> dict[str, Any]:
    """Keep and commit `batches` batches of `rows` facts; the mean CPU and wall milliseconds a batch."""
    async with scratch_database(f"bench_kept_{uuid.uuid4().hex[:8]}") as url:
        db = Database(url)
        try:
            async with db.engine.begin() as connection:
                await connection.run_sync(store.Base.metadata.tables["check_ins"].create)
            cpu = wall = 0.0
            for batch in range(batches):
                kept = facts(batch, rows)
                async with unit_of_work(db) as uow:
                    started_cpu, started = time.process_time(), time.perf_counter()
                    for row in kept:
                        uow.keep(store.CheckIn, row)
                    await uow.commit()
                    cpu += time.process_time() - started_cpu
                    wall += time.perf_counter() - started
        finally:
            await db.dispose()
    return {
        "rows_a_batch": rows,
        "batches": batches,
        "cpu_ms_a_batch": round(cpu * 1000 / batches, 2),
        "wall_ms_a_batch": round(wall * 1000 / batches, 2),
        "machine": load(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--rows", type=int, default=2000)
    arguments = parser.parse_args()
    print(json.dumps({"kept_rows": asyncio.run(measure(arguments.batches, arguments.rows))}))


if __name__ == "__main__":
    main()
