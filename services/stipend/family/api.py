"""HTTP routes of family fee statements (EN-7, ST-6, BX-5): the school admin, or the child's own guardian."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel

from chassis.app import RuntimeDep
from chassis.auth import CurrentPrincipal, Principal, Role, require
from services.stipend.access import api as access
from services.stipend.access.api import MonthPath
from services.stipend.family import handlers as family

router = APIRouter(prefix="/stipend/v1/family-statements", tags=["family statements"])
SchoolAdmin = Annotated[Principal, require(Role.SCHOOL_ADMIN)]


class ProgramChargeOut(BaseModel):
    """One program line of the month (EN-7): attendance, charged class-hours, before and after waivers."""

    program_id: str
    kind: str
    attended_days: int
    class_hours: int
    charged_class_hours: int
    gross_fen: int
    waived_fen: int
    due_fen: int
    event_ids: list[str]


class LateFeeOut(BaseModel):
    """BX-5: a late-pickup fee."""

    check_out_id: str
    day: str
    minutes_late: int
    fee_fen: int
    event_id: str


class IssuedOut(BaseModel):
    """The figures as they were issued to the family (kept even if facts arrive later)."""

    gross_fen: int
    waived_fen: int
    late_pickup_fen: int
    due_fen: int
    adjustments_fen: int
    issued_by: str
    issued_at: datetime


class IssueResult(BaseModel):
    """How many children's statements a month's issue sent, and their total due."""

    school_id: str
    month: str
    statements: int
    due_fen: int


class FamilyStatementOut(BaseModel):
    """A child's month in integer fen: as the facts give it now, and as issued (once issued)."""

    school_id: str
    student_id: str
    month: str
    programs: list[ProgramChargeOut]
    late_pickup: list[LateFeeOut]
    gross_fen: int
    waived_fen: int
    late_pickup_fen: int
    due_fen: int
    issued: IssuedOut | None = None


@router.get("/{month}/students/{student_id}", response_model=FamilyStatementOut)
async def family_statement(
    runtime: RuntimeDep, principal: CurrentPrincipal, month: MonthPath, student_id: str
) -> FamilyStatementOut:
    """ST-6: the child's month, program by program, with waivers and late-pickup fees."""
    async with runtime.db.sessions() as session:
        school = await access.family_reader(session, principal, student_id)
        result = await family.statement(session, school_id=school, student_id=student_id, month=month)
        sent = await family.issued(session, school_id=school, month=month, student_id=student_id)
    return FamilyStatementOut(
        school_id=school,
        student_id=student_id,
        month=month,
        programs=[
            ProgramChargeOut(
                program_id=p.program_id,
                kind=p.kind,
                attended_days=p.attended_days,
                class_hours=p.class_hours,
                charged_class_hours=p.charged_class_hours,
                gross_fen=p.gross_fen,
                waived_fen=p.waived_fen,
                due_fen=p.due_fen,
                event_ids=list(p.event_ids),
            )
            for p in result.programs
        ],
        late_pickup=[
            LateFeeOut(
                check_out_id=f.check_out_id,
                day=f.day.isoformat(),
                minutes_late=f.minutes_late,
                fee_fen=f.fee_fen,
                event_id=f.event_id,
            )
            for f in result.late_pickup
        ],
        gross_fen=result.gross_fen,
        waived_fen=result.waived_fen,
        late_pickup_fen=result.late_pickup_fen,
        due_fen=result.due_fen,
        issued=None
        if sent is None
        else IssuedOut(
            gross_fen=sent.gross_fen,
            waived_fen=sent.waived_fen,
            late_pickup_fen=sent.late_pickup_fen,
            due_fen=sent.due_fen,
            adjustments_fen=sent.adjustments_fen,
            issued_by=sent.issued_by,
            issued_at=sent.issued_at,
        ),
    )


@router.post("/{month}/issue", response_model=IssueResult)
async def issue_month(runtime: RuntimeDep, principal: SchoolAdmin, month: MonthPath) -> IssueResult:
    """ST-6/NT-1: issue every child's statement of a closed month (once), one event per child for notify."""
    school = principal.school()
    async with runtime.uow() as uow:
        events = await family.issue(uow, school_id=school, month=month, by=principal.subject)
    return IssueResult(school_id=school, month=month, statements=len(events), due_fen=sum(e.due_fen for e in events))
