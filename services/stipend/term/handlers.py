"""The term's survey, evaluation (QA-2, QA-3) and settlement (ST-4), from the stipend's facts and ledger."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chassis.clock import school_today
from chassis.problems import Conflict, NotFound, Unprocessable
from chassis.records import from_fields
from chassis.sql import upsert
from chassis.uow import UnitOfWork
from contracts.enrollment import FeeKind, TermCalendarSet
from contracts.fees import Settlement, percent_payable_on, plan_in_force, prepayment_fen
from contracts.stipend import TermSettlementPublished
from services.stipend import store
from services.stipend.domain.evaluation import Evaluation, check_answer, check_scores, evaluate, family_of
from services.stipend.domain.money import round_fen
from services.stipend.domain.settlement import Share, bonus_pool, settle
from services.stipend.family import handlers as family_handlers
from services.stipend.statements.store import LedgerEntry, StatementRun
from services.stipend.term.store import ProgramScore, SettlementRow, SurveyAnswer

FORFEITING = ("safety_incident", "dereliction_of_duty")


async def term_of(session: AsyncSession, *, school_id: str, term_id: str) -> TermCalendarSet:
    """The school's term calendar, or a 404 (another school's term too)."""
    row = await session.get(store.RefTerm, term_id)
    if row is None or row.school_id != school_id:
        raise NotFound(f"no term '{term_id}'")
    return TermCalendarSet.model_validate(row.calendar)


async def program_of(session: AsyncSession, *, school_id: str, term_id: str, program_id: str) -> store.RefProgram:
    """A program of the school's term, or a 404."""
    row = await session.get(store.RefProgram, program_id)
    if row is None or row.school_id != school_id or row.term_id != term_id:
        raise NotFound(f"no program '{program_id}' in term '{term_id}'")
    return row


async def answer(uow: UnitOfWork, *, school_id: str, term_id: str, program_id: str, student_id: str, score: int) -> int:
    """QA-2: one answer per family (a child and the children sharing a guardian with them), program and term; a
    sibling's second answer is refused (SR-3). Returns how many answers the program has."""
    await program_of(uow.session, school_id=school_id, term_id=term_id, program_id=program_id)
    try:
        check_answer(score)
    except ValueError as error:
        raise Unprocessable(str(error), rule="QA-2") from error
    family = await _family(uow.session, student_id)
    answered = await uow.session.scalar(
        select(SurveyAnswer.student_id).where(
            SurveyAnswer.term_id == term_id,
            SurveyAnswer.program_id == program_id,
            SurveyAnswer.student_id.in_(family),
        )
    )
    if answered is not None:
        raise Conflict("this family has already answered for this program and term", rule="QA-2")
    uow.session.add(
        SurveyAnswer(
            term_id=term_id,
            program_id=program_id,
            student_id=student_id,
            family_key=family_of(student_id, family),
            school_id=school_id,
            score=score,
            answered_at=uow.clock.now(),
        )
    )
    try:
        await uow.session.flush()
    except IntegrityError as error:  # a sibling's answer committed meanwhile: the family key is unique
        raise Conflict("this family has already answered for this program and term", rule="QA-2") from error
    return len(await _answers(uow.session, term_id, program_id))


async def _family(session: AsyncSession, student_id: str) -> list[str]:
    """The child and every child sharing a guardian with them (from enrollment's GuardianLinked)."""
    guardians = select(store.RefGuardian.guardian_id).where(store.RefGuardian.student_id == student_id)
    siblings = await session.scalars(
        select(store.RefGuardian.student_id).where(store.RefGuardian.guardian_id.in_(guardians)).distinct()
    )
    return sorted({student_id, *siblings})


async def _answers(session: AsyncSession, term_id: str, program_id: str) -> list[int]:
    rows = await session.scalars(
        select(SurveyAnswer.score).where(SurveyAnswer.term_id == term_id, SurveyAnswer.program_id == program_id)
    )
    return list(rows)


async def score(
    uow: UnitOfWork, *, school_id: str, term_id: str, program_id: str, plan: int, effect: int, note: str, by: str
) -> None:
    """QA-2: the school's plan-completion and effectiveness scores (the latest replaces the earlier)."""
    await program_of(uow.session, school_id=school_id, term_id=term_id, program_id=program_id)
    try:
        check_scores(plan, effect, note)
    except ValueError as error:
        raise Unprocessable(str(error), rule="QA-2") from error
    values = {
        "term_id": term_id,
        "program_id": program_id,
        "school_id": school_id,
        "plan_completion": plan,
        "effectiveness": effect,
        "note": note[:500],
        "scored_by": by,
        "scored_at": uow.clock.now(),
    }
    await uow.session.execute(upsert(uow.session, ProgramScore, values, ["term_id", "program_id"]))


async def _staff_facts(session: AsyncSession, school_id: str, term: TermCalendarSet) -> list[store.StaffFact]:
    rows = await session.scalars(
        select(store.StaffFact).where(
            store.StaffFact.school_id == school_id,
            store.StaffFact.session_date >= term.starts_on,
            store.StaffFact.session_date <= term.ends_on,
        )
    )
    return list(rows)


async def evaluations(
    session: AsyncSession, *, school_id: str, term_id: str, through: str | None = None
) -> list[Evaluation]:
    """QA-2: every program of the term, evaluated from its patrols (up to the end of month `through`, for the
    monthly publication, QA-3), the school's scores and the survey."""
    term = await term_of(session, school_id=school_id, term_id=term_id)
    programs = await session.scalars(
        select(store.RefProgram.program_id).where(
            store.RefProgram.school_id == school_id, store.RefProgram.term_id == term_id
        )
    )
    facts = await _staff_facts(session, school_id, term)
    result = []
    for program_id in sorted(programs):
        deductions = [
            int(f.detail["deduction"])
            for f in facts
            if f.kind == "patrol" and f.program_id == program_id and (through is None or f.month <= through)
        ]
        scored = await session.get(ProgramScore, (term_id, program_id))
        plan, effect = (scored.plan_completion, scored.effectiveness) if scored else (0, 0)
        result.append(evaluate(program_id, deductions, plan, effect, await _answers(session, term_id, program_id)))
    return result


def term_months(calendar: TermCalendarSet) -> list[str]:
    """The months (YYYY-MM) a term touches."""
    return _months(calendar.starts_on, calendar.ends_on)


def _months(starts: date, ends: date) -> list[str]:
    months, year, month = [], starts.year, starts.month
    while (year, month) <= (ends.year, ends.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


async def settlement(session: AsyncSession, *, school_id: str, term_id: str, today: date) -> list[Share]:
    """ST-4: after the term, each teacher's published process money and bonus share."""
    term = await term_of(session, school_id=school_id, term_id=term_id)
    if today <= term.ends_on:
        raise Unprocessable(f"the term ends on {term.ends_on}; it is settled after that", rule="ST-4")
    months = _months(term.starts_on, term.ends_on)
    rows = await session.execute(
        select(LedgerEntry.staff_id, LedgerEntry.statement_month, LedgerEntry.fen).where(
            LedgerEntry.school_id == school_id, LedgerEntry.statement_month.in_(months)
        )
    )
    monthly: dict[tuple[str, str], int] = {}
    for staff, month, fen in rows.all():
        monthly[(staff, month)] = monthly.get((staff, month), 0) + fen
    process: dict[str, int] = {}
    for (staff, _month), total in monthly.items():
        process[staff] = process.get(staff, 0) + max(0, total)  # ST-1: a month never pays below 0
    by_program = {e.program_id: e.total for e in await evaluations(session, school_id=school_id, term_id=term_id)}
    facts = await _staff_facts(session, school_id, term)
    taught: dict[str, set[str]] = {}
    for fact in facts:
        if fact.program_id in by_program:
            taught.setdefault(fact.staff_id, set()).add(fact.program_id)
    weights = {
        staff: round_fen(Fraction(sum(by_program[p] for p in programs), len(programs)))
        for staff, programs in taught.items()
    }
    forfeited = {f.staff_id for f in facts if f.kind == "incident" and f.detail.get("kind") in FORFEITING}
    return settle(process, weights, forfeited)


async def unpublished_months(session: AsyncSession, *, school_id: str, term: TermCalendarSet) -> list[str]:
    """The term's months with staff facts whose statements are not yet published."""
    months = set(_months(term.starts_on, term.ends_on))
    with_facts = set(
        await session.scalars(
            select(store.StaffFact.month)
            .where(store.StaffFact.school_id == school_id, store.StaffFact.month.in_(months))
            .distinct()
        )
    )
    published = set(
        await session.scalars(
            select(StatementRun.month).where(StatementRun.school_id == school_id, StatementRun.status == "published")
        )
    )
    return sorted(with_facts - published)


async def published_settlement(session: AsyncSession, *, school_id: str, term_id: str) -> list[SettlementRow]:
    """The settlement as published (empty before)."""
    rows = await session.scalars(
        select(SettlementRow)
        .where(SettlementRow.school_id == school_id, SettlementRow.term_id == term_id)
        .order_by(SettlementRow.staff_id)
    )
    return list(rows)


async def settlement_now(
    session: AsyncSession, *, school_id: str, term_id: str, today: date
) -> tuple[bool, list[Share]]:
    """ST-4: the settlement as published (True), or else as it would be published today (False)."""
    published = await published_settlement(session, school_id=school_id, term_id=term_id)
    if published:
        return True, [Share(r.staff_id, r.process_fen, r.weight, r.bonus_fen, r.forfeited) for r in published]
    return False, await settlement(session, school_id=school_id, term_id=term_id, today=today)


async def publish_settlement(
    uow: UnitOfWork, *, school_id: str, term_id: str, by: str
) -> list[TermSettlementPublished]:
    """ST-4: once every month of the term is published, the settlement is kept as published and announced."""
    await uow.lock(f"stipend-settlement:{school_id}")
    calendar = await term_of(uow.session, school_id=school_id, term_id=term_id)
    if await published_settlement(uow.session, school_id=school_id, term_id=term_id):
        raise Conflict(f"the settlement of {term_id} is already published", rule="ST-4")
    shares = await settlement(uow.session, school_id=school_id, term_id=term_id, today=school_today(uow.clock))
    waiting = await unpublished_months(uow.session, school_id=school_id, term=calendar)
    if waiting:
        raise Conflict(f"the statements of {', '.join(waiting)} must be published first", rule="ST-4")
    pool, now = bonus_pool(sum(s.process_fen for s in shares)), uow.clock.now()
    events = []
    for s in shares:
        row = SettlementRow(**asdict(s), school_id=school_id, term_id=term_id, published_by=by, published_at=now)
        uow.session.add(row)
        settlement_id = f"{school_id}:{term_id}:{s.staff_id}"
        events.append(from_fields(TermSettlementPublished, row, settlement_id=settlement_id, bonus_pool_fen=pool))
    await uow.publish_many(events, school_id=school_id)
    await uow.commit()
    return events


async def settle_family(
    session: AsyncSession, *, school_id: str, term_id: str, student_id: str
) -> list[tuple[str, Settlement]]:
    """Every monthly program of the term the child attended: prepaid (at the term start's plan and waiver) vs due
    (the sum of the months' attendance dues, each month rounded once)."""
    calendar = await term_of(session, school_id=school_id, term_id=term_id)
    months = term_months(calendar)
    statements = [
        await family_handlers.statement(session, school_id=school_id, student_id=student_id, month=m) for m in months
    ]
    programs = await session.scalars(
        select(store.RefProgram).where(store.RefProgram.school_id == school_id, store.RefProgram.term_id == term_id)
    )
    waivers = await family_handlers.waivers_of(session, student_id)
    result = []
    for program in sorted(programs, key=lambda p: p.program_id):
        plan = plan_in_force(await family_handlers.plans_of(session, program.program_id), calendar.starts_on)
        if plan is None or plan.kind is not FeeKind.MONTHLY:
            continue
        charges = [c for s in statements for c in s.programs if c.program_id == program.program_id]
        if not charges:
            continue
        served = [m for m in months if await family_handlers.service_days_of(session, program, m)]
        percent = percent_payable_on(waivers, calendar.starts_on, program.program_id)
        prepaid = prepayment_fen(plan, months=len(served), percent_payable=percent)
        due = sum(c.due_fen for c in charges)
        result.append((program.program_id, Settlement(prepaid_fen=prepaid, due_fen=due)))
    return result
