"""A child's monthly fee statement (EN-7, ST-6, BX-5), computed from the stipend's copies of the facts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from chassis.clock import school_today
from chassis.problems import Conflict
from chassis.uow import UnitOfWork
from contracts.enrollment import FeeKind, TermCalendarSet
from contracts.fees import FeePlan, Waiver, service_days
from contracts.stipend import FamilyStatementIssued
from services.stipend import store
from services.stipend.domain.class_hours import Line
from services.stipend.domain.fees import LateFee, ProgramCharge, late_fees, program_charge
from services.stipend.facts import store as facts
from services.stipend.family.store import FamilyAdjustment
from services.stipend.statements.handlers import require_closed


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
    return [_plan(r) for r in rows]


def _plan(r: store.RefFeePlan) -> FeePlan:
    return FeePlan(FeeKind(r.kind), r.effective_from, r.fen_per_class_hour, r.max_per_day, r.fen_per_month)


def _waiver(r: store.RefWaiver) -> Waiver:
    return Waiver(r.percent_payable, r.valid_from, r.valid_to, r.program_id, r.revoked_on)


async def waivers_of(session: AsyncSession, student_id: str) -> list[Waiver]:
    rows = await session.scalars(select(store.RefWaiver).where(store.RefWaiver.student_id == student_id))
    return [_waiver(r) for r in rows]


async def service_days_of(session: AsyncSession, program: store.RefProgram, month: str) -> list[date]:
    term = await session.get(store.RefTerm, program.term_id)
    if term is None:
        return []
    calendar = TermCalendarSet.model_validate(term.calendar)
    return service_days(
        calendar, program.weekdays, year=int(month[:4]), month=int(month[5:]), cancelled_on=program.cancelled_on
    )


async def statements(
    session: AsyncSession, *, school_id: str, month: str, student_ids: list[str]
) -> dict[str, FamilyStatement]:
    """ST-6: the listed children's months, program by program, with waivers and late-pickup fees (the month's
    facts, programs, plans and service days are loaded once for all of them)."""
    lines_of = await facts.attended(session, school_id=school_id, month=month, student_ids=student_ids)
    programs = {
        p.program_id: p
        for p in await session.scalars(select(store.RefProgram).where(store.RefProgram.school_id == school_id))
    }
    plans: dict[str, list[FeePlan]] = {}
    for r in await session.scalars(select(store.RefFeePlan).where(store.RefFeePlan.school_id == school_id)):
        plans.setdefault(r.program_id, []).append(_plan(r))
    days = {pid: await service_days_of(session, program, month) for pid, program in programs.items()}
    waivers: dict[str, list[Waiver]] = {}
    for w in await session.scalars(select(store.RefWaiver).where(store.RefWaiver.student_id.in_(student_ids))):
        waivers.setdefault(w.student_id, []).append(_waiver(w))
    fees: dict[str, list[LateFee]] = {}
    query = select(store.LatePickupFee).where(
        store.LatePickupFee.student_id.in_(student_ids), store.LatePickupFee.month == month
    )
    for f in await session.scalars(query):
        fees.setdefault(f.student_id, []).append(LateFee(f.check_out_id, f.day, f.minutes_late, f.fee_fen, f.event_id))
    result = {}
    for student_id in student_ids:
        lines = lines_of.get(student_id, [])
        charges = [
            program_charge(pid, programs[pid].kind, lines, plans.get(pid, []), waivers.get(student_id, []), days[pid])
            for pid in sorted({line.program_id for line in lines if line.program_id in programs})
            if pid is not None
        ]
        late = late_fees(fees.get(student_id, []))
        result[student_id] = FamilyStatement(student_id, school_id, month, charges, late, lines)
    return result


async def statement(session: AsyncSession, *, school_id: str, student_id: str, month: str) -> FamilyStatement:
    """ST-6: one child's month."""
    return (await statements(session, school_id=school_id, month=month, student_ids=[student_id]))[student_id]


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


async def _adjustments(uow: UnitOfWork, *, school_id: str, month: str) -> dict[str, dict[str, int]]:
    """ST-5/ST-6: per child and earlier issued month, what the facts now give less what was issued and adjusted."""
    issued_rows = await uow.session.scalars(
        select(store.IssuedFamilyStatement).where(
            store.IssuedFamilyStatement.school_id == school_id, store.IssuedFamilyStatement.month < month
        )
    )
    carried: dict[str, dict[str, int]] = {}
    for row in issued_rows:
        carried.setdefault(row.month, {})[row.student_id] = row.due_fen
    for adj in await uow.session.scalars(select(FamilyAdjustment).where(FamilyAdjustment.school_id == school_id)):
        by_child = carried.setdefault(adj.for_month, {})
        by_child[adj.student_id] = by_child.get(adj.student_id, 0) + adj.amount_fen
    result: dict[str, dict[str, int]] = {}
    for earlier, by_child in sorted(carried.items()):
        now = await statements(uow.session, school_id=school_id, month=earlier, student_ids=sorted(by_child))
        for student_id, before in by_child.items():
            if now[student_id].due_fen != before:
                result.setdefault(student_id, {})[earlier] = now[student_id].due_fen - before
    return result


async def issue(uow: UnitOfWork, *, school_id: str, month: str, by: str) -> list[FamilyStatementIssued]:
    """ST-6/NT-1: issue every child's statement of a closed month once; the figures are kept as sent, and a change
    to a month issued before is carried here as an adjustment (never an edit)."""
    require_closed(month, school_today(uow.clock))
    await uow.lock(f"stipend-family-statements:{school_id}")
    already = await uow.session.scalar(
        select(store.IssuedFamilyStatement.student_id)
        .where(store.IssuedFamilyStatement.school_id == school_id, store.IssuedFamilyStatement.month == month)
        .limit(1)
    )
    if already is not None:
        raise Conflict(f"the family statements of {month} are already issued", rule="ST-6")
    adjustments = await _adjustments(uow, school_id=school_id, month=month)
    children = sorted(set(await students_of_month(uow.session, school_id=school_id, month=month)) | set(adjustments))
    months = await statements(uow.session, school_id=school_id, month=month, student_ids=children)
    now, events, rows = uow.clock.now(), [], []
    for student_id, s in months.items():
        for earlier, amount in sorted(adjustments.get(student_id, {}).items()):
            uow.session.add(
                FamilyAdjustment(
                    school_id=school_id,
                    statement_month=month,
                    student_id=student_id,
                    for_month=earlier,
                    amount_fen=amount,
                    recorded_at=now,
                )
            )
        adjusted = sum(adjustments.get(student_id, {}).values())
        figures = {
            "gross_fen": s.gross_fen,
            "waived_fen": s.waived_fen,
            "late_pickup_fen": s.late_pickup_fen,
            "due_fen": s.due_fen,
            "adjustments_fen": adjusted,
        }
        rows.append(
            {"school_id": school_id, "month": month, "student_id": student_id, "issued_by": by, "issued_at": now}
            | figures
        )
        events.append(
            FamilyStatementIssued(
                statement_id=f"{school_id}:{month}:{student_id}",
                student_id=student_id,
                school_id=school_id,
                month=month,
                total_fen=s.due_fen + adjusted,
                issued_at=now,
                **figures,
            )
        )
    if rows:  # plain rows in one executemany, not an ORM object a child (issue 9)
        await uow.session.execute(insert(store.IssuedFamilyStatement), rows)
    await uow.publish_many(events, school_id=school_id)
    await uow.commit()
    return events
