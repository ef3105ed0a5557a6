"""HTTP routes of fee plans and waivers under `/enrollment/v1` (EN-7).

Fee plans are set by the school admin; guardians of the school may read the plan in force and those scheduled
after it. Waivers are granted and revoked by the school admin; a guardian reads only their own child's, without
the reason the school recorded.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, Field

from chassis.app import RuntimeDep
from chassis.auth import Principal, Role, require
from chassis.clock import school_today
from chassis.http import Body, Create, Id, Paging, Reason, SchoolAdmin, once_answering
from chassis.idempotency import IDEMPOTENT
from chassis.openapi import examples
from chassis.pagination import Page, page_of, page_of_rows
from chassis.problems import NotFound
from chassis.records import from_fields
from contracts.enrollment import FeeKind
from contracts.fees import plan_in_force
from services.enrollment import store as roster
from services.enrollment.fees import handlers, store
from services.enrollment.fields import OnDay, ProgramId, StudentId

router = APIRouter(prefix="/enrollment/v1", tags=["fees"])

AdminOrGuardian = Annotated[Principal, require(Role.SCHOOL_ADMIN, Role.GUARDIAN)]
# Strict: money and counts are whole numbers in JSON; 2.3 (yuan, not fen) or "230" is refused, never coerced.
WholeNumber = Annotated[int, Field(strict=True)]


def _as_utc(moment: datetime) -> datetime:
    # Stored in UTC; SQLite (the embedded mode) hands the value back without its zone.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


UtcTime = Annotated[datetime, AfterValidator(_as_utc)]


class FeePlanBody(Body):
    """EN-7: how a program is paid from `effective_from` (today or later), in integer fen."""

    model_config = examples(
        {
            "kind": "per_class_hour",
            "effective_from": "2026-12-01",
            "fen_per_class_hour": 230,
            "max_charged_class_hours_per_day": 2,
        }
    )

    kind: FeeKind = Field(description="per_class_hour with a daily cap, monthly (多退少补), or free (公益) (EN-7)")
    effective_from: date = Field(description="the school day the plan applies from: today or later")
    fen_per_class_hour: WholeNumber | None = Field(None, description="per_class_hour: fen per class-hour, e.g. 230")
    max_charged_class_hours_per_day: WholeNumber | None = Field(None, description="per_class_hour: daily cap, e.g. 2")
    fen_per_month: WholeNumber | None = Field(None, description="monthly: fen per month, e.g. 16000")


class FeePlanPublic(BaseModel):
    """One setting of a program's fee plan; `version` orders the settings (a later one replaces an earlier)."""

    model_config = examples(
        {
            "fee_plan_id": "fp-0001",
            "program_id": "pg-homework",
            "version": 1,
            "kind": "per_class_hour",
            "fen_per_class_hour": 230,
            "max_charged_class_hours_per_day": 2,
            "fen_per_month": 0,
            "effective_from": "2026-09-01",
            "set_by": "s-admin",
            "set_at": "2026-08-28T02:00:00Z",
        }
    )

    fee_plan_id: str = Field(description="this setting's id")
    program_id: ProgramId
    version: int = Field(description="1, 2, … in the order the plan was set; the latest one for a day applies")
    kind: FeeKind = Field(description="per_class_hour, monthly or free (EN-7)")
    fen_per_class_hour: int = Field(description="fen (分) per charged class-hour; 0 unless per_class_hour")
    max_charged_class_hours_per_day: int | None = Field(
        description="class-hours charged a day at most (e.g. 2 = 4.60 yuan a day at 230); null: no cap"
    )
    fen_per_month: int = Field(description="fen (分) a month, prepaid and settled at term end; 0 unless monthly")
    effective_from: date = Field(description="the school day it applies from")
    set_by: str = Field(description="the school admin who set it (token subject)")
    set_at: UtcTime = Field(description="when it was set, in UTC")


class WaiverCreate(Create):
    """EN-7: the family pays `percent_payable` % (0 = free) of one program's fees (or all) over the period."""

    model_config = examples(
        {
            "percent_payable": 0,
            "valid_from": "2026-09-01",
            "valid_to": "2027-01-22",
            "reason": "建档立卡家庭, 免收课后服务费",
        }
    )

    program_id: Id | None = Field(None, description="none = every program")
    percent_payable: WholeNumber = Field(description="0 (free) to 99")
    valid_from: date = Field(description="the first school day the family pays less")
    valid_to: date | None = Field(None, description="the last such day (inclusive); null: until revoked")
    reason: Reason = Field(description="kept by enrollment for the school's records; never published")


class WaiverRevoke(Body):
    """End a waiver from `effective_on` (today when omitted; never in the past)."""

    model_config = examples({"effective_on": "2026-12-01", "reason": "家庭经济情况好转"})

    effective_on: OnDay = None
    reason: Reason | None = Field(default=None, description="why, for the school's records (never published)")


SCHOOL_ONLY = "school admins only (null for a guardian)"
FAMILY_FIELDS = {"waiver_id", "student_id", "program_id", "percent_payable", "valid_from", "valid_to", "revoked_on"}


class FeeWaiverPublic(BaseModel):
    """A child's waiver; who granted or revoked it, when and why is shown to the school only."""

    model_config = examples(
        {
            "waiver_id": "wv-0001",
            "student_id": "st-xiaoming",
            "program_id": None,
            "percent_payable": 0,
            "valid_from": "2026-09-01",
            "valid_to": "2027-01-22",
            "revoked_on": None,
            "reason": "建档立卡家庭",
            "granted_by": "s-admin",
            "granted_at": "2026-09-01T02:00:00Z",
            "revoked_by": None,
            "revoked_at": None,
            "revoke_reason": None,
        }
    )

    waiver_id: str = Field(description="the waiver's id")
    student_id: StudentId
    program_id: str | None = Field(description="the program it covers; null: every program")
    percent_payable: int = Field(description="the share of the fee the family pays, 0 (free) to 99 %")
    valid_from: date = Field(description="the first school day it applies")
    valid_to: date | None = Field(description="the last school day it applies (inclusive); null: until revoked")
    revoked_on: date | None = Field(description="the first school day it no longer applies; null: not revoked")
    reason: str | None = Field(None, description=SCHOOL_ONLY)
    granted_by: str | None = Field(None, description=SCHOOL_ONLY)
    granted_at: UtcTime | None = Field(None, description=SCHOOL_ONLY)
    revoked_by: str | None = Field(None, description=SCHOOL_ONLY)
    revoked_at: UtcTime | None = Field(None, description=SCHOOL_ONLY)
    revoke_reason: str | None = Field(None, description=SCHOOL_ONLY)

    def for_family(self) -> FeeWaiverPublic:
        """The waiver without what only the school keeps (the reason is often a family's financial difficulty)."""
        return FeeWaiverPublic.model_validate(self.model_dump(include=FAMILY_FIELDS))


def _in_force_and_scheduled(rows: list[store.FeePlanRow], today: date) -> list[store.FeePlanRow]:
    """The settings a family will be charged by: the one in force today and those taking effect later."""
    latest = {row.effective_from: row for row in rows}  # by version: a later setting replaces one of its date
    current = plan_in_force([row.rule() for row in rows], today)
    start = current.effective_from if current is not None else today
    return sorted((row for row in latest.values() if row.effective_from >= start), key=lambda row: row.version)


@router.put("/programs/{program_id}/fee-plan", response_model=FeePlanPublic, dependencies=[IDEMPOTENT])
async def put_fee_plan(
    program_id: str, body: FeePlanBody, request: Request, runtime: RuntimeDep, principal: SchoolAdmin
) -> JSONResponse:
    """Set how a program of the caller's school is paid from a date (EN-7); announced as `FeePlanSet`."""
    command = from_fields(
        handlers.SetFeePlan, body, school_id=principal.school(), program_id=program_id, set_by=principal.subject
    )
    return await once_answering(
        request, runtime, principal, body, handlers.set_fee_plan, command, FeePlanPublic, status=200
    )


@router.get("/programs/{program_id}/fee-plans", response_model=Page[FeePlanPublic])
async def get_fee_plans(
    program_id: str, runtime: RuntimeDep, principal: AdminOrGuardian, page: Paging
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
    student_id: str, body: WaiverCreate, request: Request, runtime: RuntimeDep, principal: SchoolAdmin
) -> JSONResponse:
    """Grant a child of the caller's school a fee waiver (EN-7); announced as `FeeWaiverGranted`, without reason."""
    command = from_fields(
        handlers.GrantWaiver,
        body,
        school_id=principal.school(),
        student_id=student_id,
        granted_by=principal.subject,
        waiver_id=body.id,
    )
    return await once_answering(request, runtime, principal, body, handlers.grant_waiver, command, FeeWaiverPublic)


@router.get("/students/{student_id}/fee-waivers", response_model=Page[FeeWaiverPublic])
async def get_fee_waivers(
    student_id: str, runtime: RuntimeDep, principal: AdminOrGuardian, page: Paging
) -> Page[FeeWaiverPublic]:
    """A child's fee waivers (EN-7): the school sees its records; a guardian their own child's, without reasons."""
    school_id = principal.school()
    async with runtime.db.sessions() as session:
        student = await roster.in_school(session, roster.Student, school_id=school_id, key=student_id)
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
    student_id: str, waiver_id: str, body: WaiverRevoke, request: Request, runtime: RuntimeDep, principal: SchoolAdmin
) -> JSONResponse:
    """End a child's fee waiver from a date (EN-7); announced as `FeeWaiverRevoked`."""
    command = from_fields(
        handlers.RevokeWaiver,
        body,
        school_id=principal.school(),
        student_id=student_id,
        waiver_id=waiver_id,
        revoked_by=principal.subject,
    )
    return await once_answering(
        request, runtime, principal, body, handlers.revoke_waiver, command, FeeWaiverPublic, status=200
    )
