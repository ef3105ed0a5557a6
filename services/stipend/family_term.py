"""EN-7 多退少补 at term end: each monthly program's prepayment against the dues of the child's attendance."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.enrollment import FeeKind
from contracts.fees import Settlement, percent_payable_on, plan_in_force, prepayment_fen
from services.stipend import family, store, term


async def settle(
    session: AsyncSession, *, school_id: str, term_id: str, student_id: str
) -> list[tuple[str, Settlement]]:
    """Every monthly program of the term the child attended: prepaid (at the term start's plan and waiver) vs due
    (the sum of the months' attendance dues, each month rounded once)."""
    calendar = await term.term_of(session, school_id=school_id, term_id=term_id)
    months = term.term_months(calendar)
    statements = [await family.statement(session, school_id=school_id, student_id=student_id, month=m) for m in months]
    programs = await session.scalars(
        select(store.RefProgram).where(store.RefProgram.school_id == school_id, store.RefProgram.term_id == term_id)
    )
    waivers = await family.waivers_of(session, student_id)
    result = []
    for program in sorted(programs, key=lambda p: p.program_id):
        plan = plan_in_force(await family.plans_of(session, program.program_id), calendar.starts_on)
        if plan is None or plan.kind is not FeeKind.MONTHLY:
            continue
        charges = [c for s in statements for c in s.programs if c.program_id == program.program_id]
        if not charges:
            continue
        served = [m for m in months if await family.service_days_of(session, program, m)]
        percent = percent_payable_on(waivers, calendar.starts_on, program.program_id)
        prepaid = prepayment_fen(plan, months=len(served), percent_payable=percent)
        due = sum(c.due_fen for c in charges)
        result.append((program.program_id, Settlement(prepaid_fen=prepaid, due_fen=due)))
    return result
