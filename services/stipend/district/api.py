"""HTTP routes of the district operator's roll-ups (BX-8): every school of the operator's district, one row each;
another district's schools are never shown."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy import select

from chassis.app import RuntimeDep
from chassis.auth import Principal
from chassis.http import DistrictOperator
from chassis.problems import Forbidden
from services.stipend import store
from services.stipend.access.api import MonthPath
from services.stipend.domain.ledger import Draft, totals
from services.stipend.exports.api import DISTRICT_CSV, Cell, Format, download, download_doc
from services.stipend.family import handlers as family
from services.stipend.statements import handlers as statements

router = APIRouter(prefix="/stipend/v1/district", tags=["district roll-ups"])
FormatQuery = Annotated[Format, Query(alias="format")]


def _district(principal: Principal) -> str:
    if principal.district_id is None:
        raise Forbidden("this roll-up needs a token bound to a district")
    return principal.district_id


@router.get("/months/{month}", response_class=Response, responses=download_doc(DISTRICT_CSV))
async def district_month(
    runtime: RuntimeDep, principal: DistrictOperator, month: MonthPath, fmt: FormatQuery = "csv"
) -> Response:
    """Per school of the district: the teacher statements' status and payable total, the families' due total."""
    district = _district(principal)
    rows: list[list[Cell]] = []
    async with runtime.db.sessions() as session:
        schools = await session.scalars(
            select(store.RefSchool).where(store.RefSchool.district_id == district).order_by(store.RefSchool.school_id)
        )
        for school in schools:
            run = await statements.run_of(session, school_id=school.school_id, month=month)
            status = statements.DRAFT if run is None else run.status
            lines = (await statements.draft(session, school_id=school.school_id, month=month)).lines
            if status == statements.PUBLISHED:
                posted = await statements.posted_lines(session, school_id=school.school_id, month=month)
                lines = [Draft(p.entry, p.reverses) for p in posted]
            teachers = totals(lines, month)
            children = await family.students_of_month(session, school_id=school.school_id, month=month)
            months = await family.statements(session, school_id=school.school_id, month=month, student_ids=children)
            due = sum(s.due_fen for s in months.values())
            rows.append(
                [
                    district,
                    school.school_id,
                    school.name,
                    month,
                    status,
                    len(teachers),
                    sum(t.payable_fen for t in teachers),
                    len(children),
                    due,
                ]
            )
    return download(f"district-{district}-{month}", fmt, DISTRICT_CSV, rows)
