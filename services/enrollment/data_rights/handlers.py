"""Erasing a leaving child's personal data once its retention period ends (PIPL), and the worker that does it."""

from __future__ import annotations

import asyncio
import logging
from datetime import date, timedelta

from sqlalchemy import delete, func, select

from chassis.app import Runtime
from chassis.clock import school_today
from chassis.uow import UnitOfWork
from contracts.enrollment import StudentErased
from services.enrollment import store as shared
from services.enrollment.domain import retention, roster
from services.enrollment.imports import store as imports
from services.enrollment.pickups import store as pickups
from services.enrollment.settings import EnrollmentSettings

log = logging.getLogger(__name__)

BATCH = 200
"""Children erased per transaction: a long one would hold locks while kiosks write."""


async def erase_due(uow: UnitOfWork, *, today: date, retention_days: int, limit: int = BATCH) -> list[str]:
    """Erase up to `limit` children whose retention period ended by `today`; their ids, in order."""
    s = shared.Student
    due = (
        select(s)
        .where(
            s.status == roster.LEFT,
            s.erased_on.is_(None),
            s.left_on <= retention.last_left_on_due(today, retention_days),
        )
        .order_by(s.student_id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # another replica's worker takes the others
    )
    erased = []
    for student in (await uow.session.scalars(due)).all():
        guardian_ids = await shared.guardians_of(uow.session, student_id=student.student_id)
        await _erase_child(uow, student, today)
        alone = [g for g in guardian_ids if not await _has_other_children(uow, g)]
        for guardian_id in alone:
            guardian = await uow.session.get(shared.Guardian, guardian_id)
            if guardian is not None:
                guardian.name, guardian.phone, guardian.external_id = retention.ERASED_NAME, "", None
        assert student.left_on is not None
        await uow.publish(
            StudentErased(
                student_id=student.student_id, school_id=student.school_id, left_on=student.left_on, guardian_ids=alone
            ),
            school_id=student.school_id,
        )
        erased.append(student.student_id)
    await uow.session.flush()
    return erased


async def _erase_child(uow: UnitOfWork, student: shared.Student, today: date) -> None:
    """The child's name, the school's own id for them, their priority groups, who may collect them (ID numbers and
    custody notes with them), their walk-home statement and their guardians' links go; the row stays, anonymous, for
    the fees and the counts that name it."""
    session, student_id = uow.session, student.student_id
    await session.execute(delete(shared.PickupPerson).where(shared.PickupPerson.student_id == student_id))
    await session.execute(delete(pickups.WalkHomePermission).where(pickups.WalkHomePermission.student_id == student_id))
    await session.execute(delete(shared.GuardianLink).where(shared.GuardianLink.student_id == student_id))
    student.name, student.external_id, student.priority_groups = retention.ERASED_NAME, None, []
    student.erased_on = today


async def _has_other_children(uow: UnitOfWork, guardian_id: str) -> bool:
    link = shared.GuardianLink
    count = await uow.session.scalar(select(func.count()).select_from(link).where(link.guardian_id == guardian_id))
    return bool(count)


async def run_retention(runtime: Runtime) -> None:
    """The worker: every `retention_check_seconds`, erase what is due (school days by the service's clock) and forget
    the import jobs kept long enough."""
    settings = runtime.settings_as(EnrollmentSettings)
    while True:
        try:
            await erase_all_due(runtime, settings.retention_days_after_leaving)
            await forget_import_jobs(runtime, settings.import_jobs_kept_days)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("erasing leavers' data failed; trying again at the next check")
        await asyncio.sleep(settings.retention_check_seconds)


async def forget_import_jobs(runtime: Runtime, kept_days: int) -> int:
    """PIPL: delete import jobs finished more than `kept_days` ago (a failed one's report quotes the file's cells)."""
    async with runtime.db.sessions() as session, session.begin():
        forgotten = await imports.forget_finished(session, before=runtime.clock.now() - timedelta(days=kept_days))
    if forgotten:
        log.info("forgot %d import jobs finished more than %d days ago", forgotten, kept_days)
    return forgotten


async def erase_all_due(runtime: Runtime, retention_days: int) -> int:
    """Erase every child due today, a batch per transaction; how many."""
    today, total = school_today(runtime.clock), 0
    while True:
        async with runtime.uow() as uow:
            erased = await erase_due(uow, today=today, retention_days=retention_days)
            await uow.commit()
        total += len(erased)
        if len(erased) < BATCH:
            if total:
                log.info(
                    "erased the personal data of %d children who left more than %d days ago", total, retention_days
                )
            return total
