"""Commands of fee plans and waivers: rules → store + events, each inside one unit of work."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from chassis.clock import school_today
from chassis.problems import Conflict, NotFound, Unprocessable
from chassis.records import from_fields
from chassis.uow import UnitOfWork
from contracts.enrollment import FeeKind, FeePlanSet, FeeWaiverGranted, FeeWaiverRevoked
from contracts.fees import FeeRuleBroken, check_plan, check_revocation, check_waiver
from services.enrollment import store as roster
from services.enrollment.fees import store


@dataclass(frozen=True)
class SetFeePlan:
    """Command: a school admin sets how a program is paid from a date (EN-7)."""

    school_id: str
    program_id: str
    set_by: str
    kind: FeeKind
    effective_from: date
    fen_per_class_hour: int | None = None
    max_charged_class_hours_per_day: int | None = None
    fen_per_month: int | None = None


@dataclass(frozen=True)
class GrantWaiver:
    """Command: a school admin lowers what a family pays for one program or all of them (EN-7)."""

    school_id: str
    student_id: str
    granted_by: str
    percent_payable: int
    valid_from: date
    reason: str
    valid_to: date | None = None
    program_id: str | None = None
    waiver_id: str | None = None


@dataclass(frozen=True)
class RevokeWaiver:
    """Command: a school admin ends a waiver from a date (today when none is given)."""

    school_id: str
    student_id: str
    waiver_id: str
    revoked_by: str
    effective_on: date | None = None
    reason: str | None = None


def _refuse(error: FeeRuleBroken) -> Unprocessable:
    return Unprocessable(str(error), rule=error.rule)


async def set_fee_plan(uow: UnitOfWork, command: SetFeePlan) -> store.FeePlanRow:
    """EN-7: record the plan from its date and announce it; the same plan again for that date is a retry."""
    # The program's row lock queues two admins setting its plan at once, so versions never collide.
    program = await roster.locked_in_school(
        uow.session, roster.Program, school_id=command.school_id, key=command.program_id
    )
    if program is None:
        raise NotFound(f"no program '{command.program_id}' in this school")
    try:
        plan = check_plan(
            command.kind,
            effective_from=command.effective_from,
            today=school_today(uow.clock),
            fen_per_class_hour=command.fen_per_class_hour,
            max_charged_class_hours_per_day=command.max_charged_class_hours_per_day,
            fen_per_month=command.fen_per_month,
        )
    except FeeRuleBroken as error:
        raise _refuse(error) from error
    if program.cancelled_on is not None and plan.effective_from >= program.cancelled_on:
        raise Conflict(f"the program is cancelled from {program.cancelled_on}")
    settings = await store.plans_of(uow.session, program_id=program.program_id)
    same_date = [row for row in settings if row.effective_from == plan.effective_from]
    if same_date and same_date[-1].rule() == plan:
        return same_date[-1]
    row = store.FeePlanRow(
        fee_plan_id=str(uuid.uuid4()),
        school_id=command.school_id,
        program_id=program.program_id,
        version=settings[-1].version + 1 if settings else 1,
        kind=plan.kind.value,
        fen_per_class_hour=plan.fen_per_class_hour,
        max_charged_class_hours_per_day=plan.max_charged_class_hours_per_day,
        fen_per_month=plan.fen_per_month,
        effective_from=plan.effective_from,
        set_by=command.set_by,
        set_at=uow.clock.now(),
    )
    uow.session.add(row)
    await uow.session.flush()
    await uow.publish(
        from_fields(FeePlanSet, plan, fee_plan_id=row.fee_plan_id, program_id=row.program_id, school_id=row.school_id),
        school_id=command.school_id,
    )
    return row


async def grant_waiver(uow: UnitOfWork, command: GrantWaiver) -> store.FeeWaiverRow:
    """EN-7: record the waiver and announce it without its reason (a family's difficulty stays here)."""
    session = uow.session
    student = await roster.in_school(session, roster.Student, school_id=command.school_id, key=command.student_id)
    if student is None:
        raise NotFound(f"no student '{command.student_id}' in this school")
    if command.program_id is not None and (
        await roster.program_in_school(session, school_id=command.school_id, program_id=command.program_id) is None
    ):
        raise NotFound(f"no program '{command.program_id}' in this school")
    try:
        check_waiver(percent_payable=command.percent_payable, valid_from=command.valid_from, valid_to=command.valid_to)
    except FeeRuleBroken as error:
        raise _refuse(error) from error
    if command.waiver_id is not None and await session.get(store.FeeWaiverRow, command.waiver_id) is not None:
        raise Conflict(f"'{command.waiver_id}' already exists")
    row = store.FeeWaiverRow(
        waiver_id=command.waiver_id or str(uuid.uuid4()),
        school_id=command.school_id,
        student_id=student.student_id,
        program_id=command.program_id,
        percent_payable=command.percent_payable,
        valid_from=command.valid_from,
        valid_to=command.valid_to,
        reason=command.reason,
        granted_by=command.granted_by,
        granted_at=uow.clock.now(),
    )
    session.add(row)
    await session.flush()
    await uow.publish(
        from_fields(FeeWaiverGranted, row),
        school_id=command.school_id,
    )
    return row


async def revoke_waiver(uow: UnitOfWork, command: RevokeWaiver) -> store.FeeWaiverRow:
    """EN-7: end the waiver from a date (never retroactively) and announce it; a repeat is a retry."""
    row = await store.locked_waiver(
        uow.session, school_id=command.school_id, student_id=command.student_id, waiver_id=command.waiver_id
    )
    if row is None:
        raise NotFound(f"no waiver '{command.waiver_id}' for this student")
    today = school_today(uow.clock)
    effective_on = command.effective_on or today
    if row.revoked_on is not None:
        if row.revoked_on == effective_on:
            return row
        raise Conflict(f"the waiver was already revoked from {row.revoked_on}")
    try:
        check_revocation(row.rule(), effective_on=effective_on, today=today)
    except FeeRuleBroken as error:
        raise _refuse(error) from error
    row.revoked_on, row.revoked_by, row.revoked_at = effective_on, command.revoked_by, uow.clock.now()
    row.revoke_reason = command.reason
    await uow.session.flush()
    await uow.publish(
        FeeWaiverRevoked(
            waiver_id=row.waiver_id, student_id=row.student_id, school_id=row.school_id, effective_on=effective_on
        ),
        school_id=command.school_id,
    )
    return row
