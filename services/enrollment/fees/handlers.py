"""Commands of fee plans and waivers: rules → store + events, each inside one unit of work."""

from __future__ import annotations

import uuid

from chassis.clock import school_today
from chassis.problems import Conflict, NotFound, Unprocessable
from chassis.records import from_fields
from chassis.uow import UnitOfWork
from contracts.enrollment import FeePlanSet, FeeWaiverGranted, FeeWaiverRevoked
from contracts.fees import FeeRuleBroken, check_plan, check_revocation, check_waiver
from services.enrollment import store as roster
from services.enrollment.fees import store
from services.enrollment.fees.schemas import FeePlanBody, WaiverCreate, WaiverRevoke


def _refuse(error: FeeRuleBroken) -> Unprocessable:
    return Unprocessable(str(error), rule=error.rule)


async def set_fee_plan(
    uow: UnitOfWork, body: FeePlanBody, *, school_id: str, program_id: str, by: str
) -> store.FeePlanRow:
    """EN-7: the school admin `by` sets how a program is paid from a date: recorded and announced; the same plan
    again for that date is a retry."""
    # The program's row lock queues two admins setting its plan at once, so versions never collide.
    program = await roster.locked_in_school(uow.session, roster.Program, school_id=school_id, key=program_id)
    if program is None:
        raise NotFound(f"no program '{program_id}' in this school")
    try:
        plan = check_plan(
            body.kind,
            effective_from=body.effective_from,
            today=school_today(uow.clock),
            fen_per_class_hour=body.fen_per_class_hour,
            max_charged_class_hours_per_day=body.max_charged_class_hours_per_day,
            fen_per_month=body.fen_per_month,
        )
    except FeeRuleBroken as error:
        raise _refuse(error) from error
    if program.cancelled_on is not None and plan.effective_from >= program.cancelled_on:
        raise Conflict(f"the program is cancelled from {program.cancelled_on}")
    settings = await store.plans_of(uow.session, program_id=program.program_id)
    same_date = [row for row in settings if row.effective_from == plan.effective_from]
    if same_date and same_date[-1].rule() == plan:
        return same_date[-1]
    row = from_fields(
        store.FeePlanRow,
        plan,
        fee_plan_id=str(uuid.uuid4()),
        school_id=school_id,
        program_id=program.program_id,
        version=settings[-1].version + 1 if settings else 1,
        kind=plan.kind.value,
        set_by=by,
        set_at=uow.clock.now(),
    )
    uow.session.add(row)
    await uow.session.flush()
    await uow.publish(
        from_fields(FeePlanSet, plan, fee_plan_id=row.fee_plan_id, program_id=row.program_id, school_id=row.school_id),
        school_id=school_id,
    )
    return row


async def grant_waiver(
    uow: UnitOfWork, body: WaiverCreate, *, school_id: str, student_id: str, by: str
) -> store.FeeWaiverRow:
    """EN-7: the school admin `by` lowers what a family pays for one program or all of them: recorded, and announced
    without its reason (a family's difficulty stays here)."""
    session = uow.session
    student = await roster.in_school(session, roster.Student, school_id=school_id, key=student_id)
    if student is None:
        raise NotFound(f"no student '{student_id}' in this school")
    program = None
    if body.program_id is not None:
        program = await roster.program_in_school(session, school_id=school_id, program_id=body.program_id)
        if program is None:
            raise NotFound(f"no program '{body.program_id}' in this school")
    try:
        check_waiver(percent_payable=body.percent_payable, valid_from=body.valid_from, valid_to=body.valid_to)
    except FeeRuleBroken as error:
        raise _refuse(error) from error
    row = from_fields(
        store.FeeWaiverRow,
        body,
        waiver_id=await roster.new_id(uow, store.FeeWaiverRow, body.id, school_id),
        external_id=body.id,
        program_id=program.program_id if program is not None else None,
        school_id=school_id,
        student_id=student.student_id,
        granted_by=by,
        granted_at=uow.clock.now(),
    )
    session.add(row)
    await session.flush()
    await uow.publish(from_fields(FeeWaiverGranted, row), school_id=school_id)
    return row


async def revoke_waiver(
    uow: UnitOfWork, body: WaiverRevoke, *, school_id: str, student_id: str, waiver_id: str, by: str
) -> store.FeeWaiverRow:
    """EN-7: the school admin `by` ends the waiver from a date (today when none is given; never retroactively) and
    announces it; a repeat is a retry."""
    row = await roster.locked_in_school(uow.session, store.FeeWaiverRow, school_id=school_id, key=waiver_id)
    student = await roster.in_school(uow.session, roster.Student, school_id=school_id, key=student_id)
    if row is None or student is None or row.student_id != student.student_id:
        raise NotFound(f"no waiver '{waiver_id}' for this student")
    today = school_today(uow.clock)
    effective_on = body.effective_on or today
    if row.revoked_on is not None:
        if row.revoked_on == effective_on:
            return row
        raise Conflict(f"the waiver was already revoked from {row.revoked_on}")
    try:
        check_revocation(row.rule(), effective_on=effective_on, today=today)
    except FeeRuleBroken as error:
        raise _refuse(error) from error
    row.revoked_on, row.revoked_by, row.revoked_at = effective_on, by, uow.clock.now()
    row.revoke_reason = body.reason
    await uow.session.flush()
    await uow.publish(
        FeeWaiverRevoked(
            waiver_id=row.waiver_id, student_id=row.student_id, school_id=row.school_id, effective_on=effective_on
        ),
        school_id=school_id,
    )
    return row
