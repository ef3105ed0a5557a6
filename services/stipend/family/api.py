"""HTTP routes of family fee statements (EN-7, ST-6, BX-5): the school admin, or the child's own guardian."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from chassis.app import RuntimeDep
from chassis.auth import CurrentPrincipal
from chassis.http import SchoolAdmin
from chassis.openapi import examples, model_examples
from chassis.records import from_fields
from contracts.fields import SchoolId, StaffId, StudentId
from services.stipend.access import api as access
from services.stipend.access.api import MonthPath
from services.stipend.family import handlers as family
from services.stipend.fields import (
    ClassHours,
    Day,
    DueFen,
    EventIds,
    GrossFen,
    LatePickupFen,
    Month,
    ProgramId,
    ProgramKind,
    WaivedFen,
)

router = APIRouter(prefix="/stipend/v1/family-statements", tags=["family statements"])


class ProgramChargeOut(BaseModel):
    """One program line of the month (EN-7): attendance, charged class-hours, before and after waivers."""

    model_config = examples(
        {
            "program_id": "pg-homework-g3",
            "kind": "homework",
            "attended_days": 18,
            "class_hours": 36,
            "charged_class_hours": 36,
            "gross_fen": 8280,
            "waived_fen": 0,
            "due_fen": 8280,
            "event_ids": ["at-7f3a91", "at-7f3a92"],
        }
    )

    program_id: ProgramId
    kind: ProgramKind
    attended_days: int = Field(description="the school days the child attended the program this month")
    class_hours: ClassHours
    charged_class_hours: int = Field(description="EN-7: the class-hours charged, after the daily cap")
    gross_fen: GrossFen
    waived_fen: WaivedFen
    due_fen: DueFen
    event_ids: EventIds


class LateFeeOut(BaseModel):
    """BX-5: a late-pickup fee."""

    model_config = examples(
        {
            "check_out_id": "co-2026-11-20-xiaoming",
            "day": "2026-11-20",
            "minutes_late": 25,
            "fee_fen": 1000,
            "event_id": "at-9c1d07",
        }
    )

    check_out_id: str = Field(description="the attendance check-out that came late")
    day: Day
    minutes_late: int = Field(description="BX-5: minutes after the dismissal time the child was picked up")
    fee_fen: int = Field(description="BX-5: the fee charged, integer fen")
    event_id: str = Field(description="ST-5: the id of the event behind the fee")


class IssuedOut(BaseModel):
    """The figures as they were issued to the family (kept even if facts arrive later)."""

    model_config = examples(
        {
            "gross_fen": 8280,
            "waived_fen": 0,
            "late_pickup_fen": 1000,
            "due_fen": 9280,
            "adjustments_fen": 0,
            "issued_by": "admin-wang",
            "issued_at": "2026-12-01T01:30:00Z",
        }
    )

    gross_fen: GrossFen
    waived_fen: WaivedFen
    late_pickup_fen: LatePickupFen
    due_fen: DueFen
    adjustments_fen: int = Field(
        description="ST-5: corrections since the issue (facts that arrived later), integer fen; negative = owed back"
    )
    issued_by: StaffId
    issued_at: datetime = Field(description="when the statement was issued (UTC)")


class IssueResult(BaseModel):
    """How many children's statements a month's issue sent, and their total due."""

    model_config = examples({"school_id": "shiyan", "month": "2026-11", "statements": 42, "due_fen": 347760})

    school_id: SchoolId
    month: Month
    statements: int = Field(description="how many children's statements were issued")
    due_fen: int = Field(description="EN-7: the total the families owe, integer fen")


class FamilyStatementOut(BaseModel):
    """A child's month in integer fen: as the facts give it now, and as issued (once issued)."""

    model_config = examples(
        {
            "school_id": "shiyan",
            "student_id": "xiaoming",
            "month": "2026-11",
            "programs": model_examples(ProgramChargeOut),
            "late_pickup": model_examples(LateFeeOut),
            "gross_fen": 8280,
            "waived_fen": 0,
            "late_pickup_fen": 1000,
            "due_fen": 9280,
            "issued": model_examples(IssuedOut)[0],
        }
    )

    school_id: SchoolId
    student_id: StudentId
    month: Month
    programs: list[ProgramChargeOut] = Field(description="EN-7: one line per program the child attended")
    late_pickup: list[LateFeeOut] = Field(description="BX-5: the month's late pickups with a fee")
    gross_fen: GrossFen
    waived_fen: WaivedFen
    late_pickup_fen: LatePickupFen
    due_fen: DueFen
    issued: IssuedOut | None = Field(default=None, description="the figures as issued; null until the month is issued")


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
            from_fields(ProgramChargeOut, p, waived_fen=p.waived_fen, event_ids=list(p.event_ids))
            for p in result.programs
        ],
        late_pickup=[from_fields(LateFeeOut, f, day=f.day.isoformat()) for f in result.late_pickup],
        gross_fen=result.gross_fen,
        waived_fen=result.waived_fen,
        late_pickup_fen=result.late_pickup_fen,
        due_fen=result.due_fen,
        issued=None if sent is None else from_fields(IssuedOut, sent),
    )


@router.post("/{month}/issue", response_model=IssueResult)
async def issue_month(runtime: RuntimeDep, principal: SchoolAdmin, month: MonthPath) -> IssueResult:
    """ST-6/NT-1: issue every child's statement of a closed month (once), one event per child for notify."""
    school = principal.school()
    async with runtime.uow() as uow:
        events = await family.issue(uow, school_id=school, month=month, by=principal.subject)
    return IssueResult(school_id=school, month=month, statements=len(events), due_fen=sum(e.due_fen for e in events))
