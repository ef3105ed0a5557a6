"""Commands of bulk roster import (EN-8): check the whole file, then apply it in one transaction in the background.

`start_import` reads, parses and plans the file against the school's roster; any broken row refuses the whole
file (422, with the row-by-row report) and nothing is written. Otherwise it records a job and, once that is
committed, `run_import` applies the plan in one unit of work with bulk statements, writing progress in its own
short transactions (PostgreSQL) so `GET /imports/{job_id}` shows it while the import's transaction runs.
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import uuid
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from chassis.app import Runtime
from chassis.problems import Unprocessable
from chassis.uow import UnitOfWork
from services.enrollment.domain.import_plans import Plan, RowPlan, plan
from services.enrollment.domain.imports import Kind, Parsed, RowError, parse
from services.enrollment.imports import store

log = logging.getLogger(__name__)

PROGRESS_EVERY = 1000  # rows applied between progress writes
_RUNNING: set[asyncio.Task[None]] = set()  # keeps background imports referenced until they finish

# --- reading the uploaded file (EN-8): CSV (UTF-8 or GB18030) or XLSX, as a header and rows of text ---------

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA_TYPES = (CSV, XLSX)


class UnreadableFile(ValueError):
    """The body is not a CSV or XLSX file this service can read."""


@dataclass(frozen=True)
class Sheet:
    """The first row (the header) and the data rows of a file, every cell as stripped text."""

    header: list[str]
    rows: list[list[str]]


def read_sheet(media_type: str, body: bytes) -> Sheet:
    """Decode an uploaded roster file."""
    if media_type == XLSX:
        rows = list(_xlsx_rows(body))
    elif media_type == CSV:
        rows = list(csv.reader(io.StringIO(_decode(body))))
    else:
        raise UnreadableFile(f"send the file as {CSV} or {XLSX}")
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise UnreadableFile("the file has no header row")
    return Sheet(header=[c.strip() for c in rows[0]], rows=rows[1:])


def _decode(body: bytes) -> str:
    # Excel on Chinese Windows saves CSV as GBK (GB18030 is its superset); everything else is UTF-8.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return body.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile("a CSV file must be UTF-8 or GB18030 text")


def _xlsx_rows(body: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook  # imported here: only XLSX uploads pay for it

    try:
        workbook = load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise UnreadableFile(f"not a readable XLSX workbook: {error}") from error
    try:
        sheet = workbook.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield [_text(v) for v in values]
    finally:
        workbook.close()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 学号 typed as a number comes back as 2023001.0
    return str(value).strip()


@dataclass(frozen=True)
class ImportRoster:
    """Command: a school admin uploads a roster file of one kind."""

    school_id: str
    kind: Kind
    media_type: str
    body: bytes
    effective_on: date
    created_by: str


def read_file(command: ImportRoster) -> Parsed:
    """Decode and parse the file; a file that cannot be read at all is a 422 too."""
    try:
        sheet = read_sheet(command.media_type, command.body)
    except UnreadableFile as error:
        raise Unprocessable(str(error), rule="EN-8") from error
    return parse(command.kind, sheet.header, sheet.rows)


def refuse(kind: Kind, rows: int, errors: list[RowError], ignored: list[str]) -> Unprocessable:
    """EN-8: the problem for a file with broken rows, carrying the full row-by-row report."""
    return Unprocessable(
        f"{len({e.row for e in errors})} row(s) of the file are broken; nothing was imported",
        rule="EN-8",
        report=report(kind, rows, errors=errors, ignored=ignored),
    )


def report(
    kind: Kind,
    rows: int,
    *,
    errors: Sequence[RowError] = (),
    ignored: Sequence[str] = (),
    plans: Sequence[RowPlan] = (),
) -> dict[str, Any]:
    """What an import did (or why it was refused), row by row for errors."""
    body: dict[str, Any] = {"kind": kind, "rows": rows, "ignored_columns": list(ignored)}
    if errors:
        body["errors"] = [{"row": e.row, "column": e.column, "value": e.value, "message": e.message} for e in errors]
        return body
    body["created"] = sum(1 for p in plans if p.created)
    body["updated"] = sum(1 for p in plans if p.changed and not p.created)
    body["unchanged"] = sum(1 for p in plans if not p.changed)
    body["events"] = sum(len(p.events) for p in plans)
    return body


async def _planned(uow: UnitOfWork, command: ImportRoster, parsed: Parsed) -> Plan:
    snap = await store.snapshot(uow.session, school_id=command.school_id)
    return plan(command.kind, parsed.records, snap, effective_on=command.effective_on)


async def start_import(uow: UnitOfWork, runtime: Runtime, command: ImportRoster) -> store.ImportJob:
    """Check every row (422 and nothing written if any is broken), record the job, and start it after commit."""
    parsed = read_file(command)
    # Rows that parsed are still checked against the roster, so the report lists every broken row at once.
    errors = parsed.errors + (await _planned(uow, command, parsed)).errors
    if errors:
        errors.sort(key=lambda e: (e.row, e.column or ""))
        raise refuse(command.kind, parsed.rows, errors, parsed.ignored_columns)
    job = store.ImportJob(
        job_id=str(uuid.uuid4()),
        school_id=command.school_id,
        kind=command.kind,
        status="running",
        rows_total=len(parsed.records),
        rows_done=0,
        created_by=command.created_by,
        created_at=uow.clock.now(),
    )
    uow.session.add(job)
    await uow.session.flush()
    job_id = job.job_id

    def launch() -> None:
        task = asyncio.create_task(run_import(runtime, job_id, command, parsed), name=f"import-{job_id}")
        _RUNNING.add(task)
        task.add_done_callback(_RUNNING.discard)

    uow.after_commit(launch)
    return job


async def run_import(runtime: Runtime, job_id: str, command: ImportRoster, parsed: Parsed) -> None:
    """Apply the file in one transaction; the job ends succeeded (with counts) or failed (with the reason)."""
    try:
        async with runtime.uow() as uow:
            await store.lock_school_imports(uow, school_id=command.school_id)
            planned = await _planned(uow, command, parsed)  # again, under the lock: the roster may have moved
            job = await uow.session.get(store.ImportJob, job_id)
            assert job is not None
            if planned.errors:
                body = report(command.kind, parsed.rows, errors=planned.errors, ignored=parsed.ignored_columns)
                job.status, job.report = "failed", body
            else:
                await _apply(uow, runtime, job_id, command.school_id, planned.rows)
                job.status, job.rows_done = "succeeded", len(parsed.records)
                job.report = report(command.kind, parsed.rows, ignored=parsed.ignored_columns, plans=planned.rows)
            job.finished_at = uow.clock.now()
            await uow.commit()
    except Exception as error:
        log.exception("import %s failed", job_id)
        await store.finish_failed(runtime.db, job_id=job_id, reason=str(error), at=runtime.clock.now())


async def _apply(uow: UnitOfWork, runtime: Runtime, job_id: str, school_id: str, rows: list[RowPlan]) -> None:
    progress = not runtime.db.is_sqlite  # SQLite has one writer: a second transaction would wait for this one
    for start in range(0, len(rows), PROGRESS_EVERY):
        chunk = rows[start : start + PROGRESS_EVERY]
        await store.apply_writes(uow.session, [w for p in chunk for w in p.writes])
        if progress:
            await store.record_progress(runtime.db, job_id=job_id, rows_done=start + len(chunk))
        await asyncio.sleep(0)  # let progress readers in between chunks
    await uow.publish_many([e for p in rows for e in p.events], school_id=school_id)
