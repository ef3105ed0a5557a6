"""Tables and queries of bulk roster import (on enrollment's metadata, `services.enrollment.store.Base`)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from chassis.db import Database
from chassis.uow import UnitOfWork
from services.enrollment import store
from services.enrollment.domain.import_plans import ClassRow, GuardianRow, PickupRow, Snapshot, StudentRow, Write
from services.enrollment.store import Base


class ImportJob(Base):
    """EN-8: one uploaded roster file, its progress and its row-by-row report."""

    __tablename__ = "import_jobs"

    job_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # running | succeeded | failed
    rows_total: Mapped[int] = mapped_column(Integer)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


_TABLES: dict[str, Any] = {
    "classes": store.SchoolClass,
    "students": store.Student,
    "guardians": store.Guardian,
    "guardian_links": store.GuardianLink,
    "pickup_persons": store.PickupPerson,
}


async def lock_school_imports(uow: UnitOfWork, *, school_id: str) -> None:
    """One import at a time per school."""
    await uow.lock(f"enrollment-import:{school_id}")


async def snapshot(session: AsyncSession, *, school_id: str) -> Snapshot:
    """The school's roster as the import planner needs it (one plain-column query a table, no ORM objects)."""
    snap = Snapshot(school_id=school_id)
    c, s, g, link, p = (
        store.SchoolClass,
        store.Student,
        store.Guardian,
        store.GuardianLink,
        store.PickupPerson,
    )
    for row in await session.execute(
        select(c.class_id, c.external_id, c.grade, c.name).where(c.school_id == school_id)
    ):
        snap.classes[row.external_id or row.class_id] = ClassRow(row.class_id, row.external_id, row.grade, row.name)
    students = select(s.student_id, s.external_id, s.class_id, s.name, s.priority_groups, s.status)
    for st in await session.execute(students.where(s.school_id == school_id)):
        groups = tuple(st.priority_groups or ())
        snap.students[st.external_id or st.student_id] = StudentRow(
            st.student_id, st.external_id, st.class_id, st.name, groups, st.status
        )
    guardians = select(g.guardian_id, g.external_id, g.name, g.phone, g.preferred_language)
    for gu in await session.execute(guardians.where(g.school_id == school_id)):
        snap.guardians[gu.external_id or gu.guardian_id] = GuardianRow(
            gu.guardian_id, gu.external_id, gu.name, gu.phone, gu.preferred_language
        )
    links = select(link.student_id, link.guardian_id, link.relation).join(s, s.student_id == link.student_id)
    for li in await session.execute(links.where(s.school_id == school_id)):
        snap.links[(li.student_id, li.guardian_id)] = li.relation
    for person in (await session.execute(select(p).where(p.school_id == school_id))).scalars():
        snap.pickups[(person.student_id, person.external_id)] = PickupRow(
            person.person_id,
            person.student_id,
            person.external_id,
            person.name,
            person.relation,
            person.credential_ref,
            person.id_number,
            person.guardian_id,
            person.status,
            person.note,
        )
    return snap


async def apply_writes(session: AsyncSession, writes: list[Write]) -> None:
    """Bulk INSERTs then bulk UPDATEs by primary key, a statement per table and shape (not one per row)."""
    inserts: dict[str, list[dict[str, Any]]] = defaultdict(list)
    updates: dict[tuple[str, frozenset[str]], list[dict[str, Any]]] = defaultdict(list)
    for write in writes:
        if write.action == "insert":
            inserts[write.table].append(write.values)
        else:
            updates[(write.table, frozenset(write.values))].append(write.values)
    # Parents before children: guardians before their links, students before their pickup people.
    for table in _TABLES:
        if inserts.get(table):
            await session.execute(insert(_TABLES[table]), inserts[table])
    for (table, _keys), rows in updates.items():
        await session.execute(update(_TABLES[table]), rows)


async def job_in_school(session: AsyncSession, *, school_id: str, job_id: str) -> ImportJob | None:
    """The import job, only if it belongs to the school."""
    job = await session.get(ImportJob, job_id)
    return job if job is not None and job.school_id == school_id else None


async def record_progress(db: Database, *, job_id: str, rows_done: int) -> None:
    """Write progress in its own short transaction, so it shows while the import's transaction runs."""
    async with db.sessions() as session, session.begin():
        await session.execute(update(ImportJob).where(ImportJob.job_id == job_id).values(rows_done=rows_done))


async def forget_finished(session: AsyncSession, *, before: datetime) -> int:
    """Delete the jobs that finished before `before`, their reports with them; how many."""
    result = await session.execute(delete(ImportJob).where(ImportJob.finished_at < before))
    return int(getattr(result, "rowcount", 0) or 0)


async def finish_failed(db: Database, *, job_id: str, reason: str, at: datetime) -> None:
    """Mark a job failed after its transaction rolled back (nothing of it was kept)."""
    async with db.sessions() as session, session.begin():
        values = {"status": "failed", "finished_at": at, "report": {"failure": reason[:2000]}}
        await session.execute(update(ImportJob).where(ImportJob.job_id == job_id).values(**values))
