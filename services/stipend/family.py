"""A child's monthly fee statement (EN-7, ST-6, BX-5), computed from the stipend's copies of the facts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chassis.clock import school_today
from chassis.problems import Conflict
from chassis.uow import UnitOfWork
from contracts.enrollment import DayKind, TermCalendarSet
from contracts.stipend import FamilyStatementIssued
from services.stipend import facts, store
from services.stipend.domain.class_hours import Line
from services.stipend.domain.fees import (
    FeePlan,
    LateFee,
    ProgramCharge,
    Waiver,
    late_fees,
    program_charge,
    service_days,
)
from services.stipend.statements import require_closed


@dataclass(frozen=True)
class FamilyStatement:
    """A child's month: a charge per program line, late-pickup fees, and the totals (integer fen)."""

    student_id: str
    school_id: str
    month: str
    programs: list[ProgramCharge]
    late_pickup: list[LateFee]
    lines: list[Line]

    @property
    def gross_fen(self) -> int:
        """Before waivers (late-pickup fees excluded)."""
        return sum(p.gross_fen for p in self.programs)

    @property
    def waived_fen(self) -> int:
        """Taken off by waivers."""
        return sum(p.waived_fen for p in self.programs)

    @property
    def late_pickup_fen(self) -> int:
        """BX-5 fees."""
        return sum(f.fee_fen for f in self.late_pickup)

    @property
    def due_fen(self) -> int:
        """What the family owes for the month."""
        return sum(p.due_fen for p in self.programs) + self.late_pickup_fen


async def plans_of(session: AsyncSession, program_id: str) -> list[FeePlan]:
    rows = await session.scalars(select(store.RefFeePlan).where(store.RefFeePlan.program_id == program_id))
    return [FeePlan(r.kind, r.effective_from, r.fen_per_class_hour, r.max_per_day, r.fen_per_month) for r in rows]


async def waivers_of(session: AsyncSession, student_id: str) -> list[Waiver]:
    rows = await session.scalars(select(store.RefWaiver).where(store.RefWaiver.student_id == student_id))
    return [Waiver(r.waiver_id, r.percent_payable, r.valid_from, r.valid_to, r.program_id, r.revoked_on) for r in rows]


async def service_days_of(session: AsyncSession, program: store.RefProgram, month: str) -> list[date]:
    term = await session.get(store.RefTerm, program.term_id)
    if term is None:
        return []
    calendar = TermCalendarSet.model_validate(term.calendar)
    return service_days(
        lambda d: calendar.day_kind(d) is DayKind.SCHOOL_DAY,
        program.weekdays,
        year=int(month[:4]),
        month=int(month[5:]),
        cancelled_on=program.cancelled_on,
    )


async def statement(session: AsyncSession, *, school_id: str, student_id: str, month: str) -> FamilyStatement:
    """ST-6: the child's month, program by program, with waivers and late-pickup fees."""
    lines = (await facts.attended(session, school_id=school_id, month=month, student_ids=[student_id])).get(
        student_id, []
    )
    waivers = await waivers_of(session, student_id)
    charges = []
    for program_id in sorted({line.program_id for line in lines if line.program_id is not None}):
        program = await session.get(store.RefProgram, program_id)
        if program is None:
            continue
        days = await service_days_of(session, program, month)
        plans = await plans_of(session, program_id)
        charges.append(program_charge(program_id, program.kind, lines, plans, waivers, days))
    fees = await session.scalars(
        select(store.LatePickupFee).where(
            store.LatePickupFee.student_id == student_id, store.LatePickupFee.month == month
        )
    )
    late = late_fees(LateFee(f.check_out_id, f.day, f.minutes_late, f.fee_fen, f.event_id) for f in fees)
    return FamilyStatement(student_id, school_id, month, charges, late, lines)


async def students_of_month(session: AsyncSession, *, school_id: str, month: str) -> list[str]:
    """The children with any fact in a school's month (a check-in, leave or late-pickup fee)."""
    found: set[str] = set()
    for table in (store.CheckIn, store.Leave, store.LatePickupFee):
        rows = await session.scalars(
            select(table.student_id).where(table.school_id == school_id, table.month == month).distinct()
        )
        found.update(rows)
    return sorted(found)


async def issued(
    session: AsyncSession, *, school_id: str, month: str, student_id: str
) -> store.IssuedFamilyStatement | None:
    """The figures issued to the family for the month, if issued."""
    return await session.get(store.IssuedFamilyStatement, (school_id, month, student_id))


async def issue(uow: UnitOfWork, *, school_id: str, month: str, by: str) -> list[FamilyStatementIssued]:
    """ST-6/NT-1: issue every child's statement of a closed month once; the figures are kept as sent."""
    require_closed(month, school_today(uow.clock))
    await uow.lock(f"stipend-family-statements:{school_id}")
    already = await uow.session.scalar(
        select(store.IssuedFamilyStatement.student_id)
        .where(store.IssuedFamilyStatement.school_id == school_id, store.IssuedFamilyStatement.month == month)
        .limit(1)
    )
    if already is not None:
        raise Conflict(f"the family statements of {month} are already issued", rule="ST-6")
    now, events = uow.clock.now(), []
    for student_id in await students_of_month(uow.session, school_id=school_id, month=month):
        s = await statement(uow.session, school_id=school_id, student_id=student_id, month=month)
        figures = {
            "gross_fen": s.gross_fen,
            "waived_fen": s.waived_fen,
            "late_pickup_fen": s.late_pickup_fen,
            "due_fen": s.due_fen,
        }
        uow.session.add(
            store.IssuedFamilyStatement(
                school_id=school_id, month=month, student_id=student_id, issued_by=by, issued_at=now, **figures
            )
        )
        events.append(
            FamilyStatementIssued(
                statement_id=f"{school_id}:{month}:{student_id}",
                student_id=student_id,
                school_id=school_id,
                month=month,
                issued_at=now,
                **figures,
            )
        )
    await uow.publish_many(events, school_id=school_id)
    await uow.commit()
    return events
