"""HTTP routes of family fee statements (EN-7, ST-6, BX-5): the school admin, or the child's own guardian."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from chassis.app import RuntimeDep
from chassis.auth import CurrentPrincipal
from services.stipend import access, family
from services.stipend.access import MonthPath

router = APIRouter(prefix="/stipend/v1/family-statements", tags=["family statements"])


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


class FamilyStatementOut(BaseModel):
    """A child's month in integer fen."""

    school_id: str
    student_id: str
    month: str
    programs: list[ProgramChargeOut]
    late_pickup: list[LateFeeOut]
    gross_fen: int
    waived_fen: int
    late_pickup_fen: int
    due_fen: int


@router.get("/{month}/students/{student_id}", response_model=FamilyStatementOut)
async def family_statement(
    runtime: RuntimeDep, principal: CurrentPrincipal, month: MonthPath, student_id: str
) -> FamilyStatementOut:
    """ST-6: the child's month, program by program, with waivers and late-pickup fees."""
    async with runtime.db.sessions() as session:
        school = await access.family_reader(session, principal, student_id)
        result = await family.statement(session, school_id=school, student_id=student_id, month=month)
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
    )
