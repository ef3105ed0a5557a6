"""HTTP routes of fee plans and waivers under `/enrollment/v1` (EN-7).

Fee plans are set by the school admin; guardians of the school may read the plan in force and those scheduled
after it. Waivers are granted and revoked by the school admin; a guardian reads only their own child's, without
the reason the school recorded.
"""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from chassis.app import RuntimeDep
from chassis.auth import Principal, Role, require
from chassis.clock import school_today
from chassis.http import Paging, SchoolAdmin, once_answering
from chassis.idempotency import IDEMPOTENT
from chassis.pagination import Page, page_of, page_of_rows
from chassis.problems import NotFound
from contracts.fees import plan_in_force
from services.enrollment import store as roster
from services.enrollment.fees import handlers, store
from services.enrollment.fees.schemas import FeePlanBody, FeePlanPublic, FeeWaiverPublic, WaiverCreate, WaiverRevoke
from services.enrollment.fields import ProgramKey, StudentKey, WaiverKey

router = APIRouter(prefix="/enrollment/v1", tags=["fees"])

AdminOrGuardian = Annotated[Principal, require(Role.SCHOOL_ADMIN, Role.GUARDIAN)]


def _in_force_and_scheduled(rows: list[store.FeePlanRow], today: date) -> list[store.FeePlanRow]:
    """The settings a family will be charged by: the one in force today and those taking effect later."""
    latest = {row.effective_from: row for row in rows}  # by version: a later setting replaces one of its date
    current = plan_in_force([row.rule() for row in rows], today)
    start = current.effective_from if current is not None else today
    return sorted((row for row in latest.values() if row.effective_from >= start), key=lambda row: row.version)


@router.put("/programs/{program_id}/fee-plan", response_model=FeePlanPublic, dependencies=[IDEMPOTENT])
async def put_fee_plan(
    program_id: ProgramKey, body: FeePlanBody, request: Request, runtime: RuntimeDep, principal: SchoolAdmin
) -> JSONResponse:
    """Set how a program of the caller's school is paid from a date (EN-7); announced as `FeePlanSet`."""
    set_plan = partial(handlers.set_fee_plan, school_id=principal.school(), program_id=program_id, by=principal.subject)
    return await once_answering(request, runtime, principal, body, set_plan, body, FeePlanPublic, status=200)


@router.get("/programs/{program_id}/fee-plans", response_model=Page[FeePlanPublic])
async def get_fee_plans(
    program_id: ProgramKey, runtime: RuntimeDep, principal: AdminOrGuardian, page: Paging
) -> Page[FeePlanPublic]:
    """A program's fee plan settings (EN-7): every one for the admin; for a guardian, those in force or scheduled."""
    school_id = principal.school()
    after = page.after_value(int)
    async with runtime.db.sessions() as session:
        program = await roster.program_in_school(session, school_id=school_id, program_id=program_id)
        reader_known = principal.role is Role.SCHOOL_ADMIN or (
            await roster.in_school(session, roster.Guardian, school_id=school_id, key=principal.subject) is not None
        )
        if program is None or not reader_known:
            raise NotFound(f"no program '{program_id}' for this caller")
        program_id = program.program_id
        if principal.role is Role.SCHOOL_ADMIN:
            rows = await store.plans_page(session, program_id=program_id, after=after, limit=page.limit + 1)
        else:
            today = school_today(runtime.clock)
            shown = _in_force_and_scheduled(await store.plans_of(session, program_id=program_id), today)
            rows = [row for row in shown if after is None or row.version > after][: page.limit + 1]
    return page_of_rows(FeePlanPublic, rows, page, lambda plan: plan.version)


@router.post(
    "/students/{student_id}/fee-waivers", status_code=201, response_model=FeeWaiverPublic, dependencies=[IDEMPOTENT]
)
async def post_fee_waiver(
    student_id: StudentKey, body: WaiverCreate, request: Request, runtime: RuntimeDep, principal: SchoolAdmin
) -> JSONResponse:
    """Grant a child of the caller's school a fee waiver (EN-7); announced as `FeeWaiverGranted`, without reason."""
    grant = partial(handlers.grant_waiver, school_id=principal.school(), student_id=student_id, by=principal.subject)
    return await once_answering(request, runtime, principal, body, grant, body, FeeWaiverPublic)


@router.get("/students/{student_id}/fee-waivers", response_model=Page[FeeWaiverPublic])
async def get_fee_waivers(
    student_id: StudentKey, runtime: RuntimeDep, principal: AdminOrGuardian, page: Paging
) -> Page[FeeWaiverPublic]:
    """A child's fee waivers (EN-7): the school sees its records; a guardian their own child's, without reasons."""
    school_id = principal.school()
    async with runtime.db.sessions() as session:
        student = await roster.in_school(session, roster.Student, school_id=school_id, key=student_id)
        student_id = student.student_id if student is not None else student_id
        allowed = student is not None and (
            principal.role is Role.SCHOOL_ADMIN
            or principal.subject in await roster.guardians_of(session, student_id=student_id)
        )
        if not allowed:
            raise NotFound(f"no student '{student_id}' for this caller")
        rows = await store.waivers_page(
            session, student_id=student_id, after=page.after_value(str), limit=page.limit + 1
        )
    items = [FeeWaiverPublic.model_validate(row, from_attributes=True) for row in rows]
    if principal.role is Role.GUARDIAN:
        items = [item.for_family() for item in items]
    return page_of(items, page, lambda waiver: waiver.waiver_id)


@router.post(
    "/students/{student_id}/fee-waivers/{waiver_id}/revoke", response_model=FeeWaiverPublic, dependencies=[IDEMPOTENT]
)
async def post_fee_waiver_revocation(
    student_id: StudentKey,
    waiver_id: WaiverKey,
    body: WaiverRevoke,
    request: Request,
    runtime: RuntimeDep,
    principal: SchoolAdmin,
) -> JSONResponse:
    """End a child's fee waiver from a date (EN-7); announced as `FeeWaiverRevoked`."""
    revoke = partial(
        handlers.revoke_waiver,
        school_id=principal.school(),
        student_id=student_id,
        waiver_id=waiver_id,
        by=principal.subject,
    )
    return await once_answering(request, runtime, principal, body, revoke, body, FeeWaiverPublic, status=200)
