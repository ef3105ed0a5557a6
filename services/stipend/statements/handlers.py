"""Teacher statements (ST-5): the month's draft from the facts, approval by the school admin, publication into
the append-only ledger, and the published events. Commands run inside one unit of work each."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from chassis.clock import school_today
from chassis.problems import Conflict, Unprocessable
from chassis.sql import upsert
from chassis.uow import UnitOfWork
from contracts.stipend import TeacherStatementPublished
from services.stipend.domain.ledger import Draft, Posted, corrections, fingerprint, totals
from services.stipend.domain.workload import Entry, bonus_forfeited, teacher_entries
from services.stipend.facts import store as facts
from services.stipend.statements.store import LedgerEntry, StatementRun

DRAFT, APPROVED, PUBLISHED = "draft", "approved", "published"


@dataclass(frozen=True)
class MonthDraft:
    """A school's month as it would be published now: every line, and who lost the term bonus."""

    lines: list[Draft]
    bonus_lost: dict[str, tuple[str, ...]]


async def published_months(session: AsyncSession, *, school_id: str) -> set[str]:
    """The months of the school whose statements are published."""
    rows = await session.scalars(
        select(StatementRun.month).where(StatementRun.school_id == school_id, StatementRun.status == PUBLISHED)
    )
    return set(rows)


async def run_of(session: AsyncSession, *, school_id: str, month: str) -> StatementRun | None:
    """The month's approval/publication record, if any."""
    return await session.get(StatementRun, (school_id, month))


def _posted(row: LedgerEntry) -> Posted:
    entry = Entry(
        row.staff_id,
        row.school_id,
        row.session_id,
        row.session_date,
        row.line,
        row.units,
        row.fen,
        row.reason,
        tuple(row.event_ids),
    )
    return Posted(row.entry_id, entry, tuple(row.reverses))


async def draft(session: AsyncSession, *, school_id: str, month: str) -> MonthDraft:
    """ST-5: the month's own entries (unless published) and corrections of every earlier published month."""
    book = await facts.policy_book(session, school_id=school_id)
    rate = facts.rate_for(book, await facts.programs(session, school_id=school_id))
    published = await published_months(session, school_id=school_id)
    lines: list[Draft] = []
    own = await facts.staff_sessions(session, school_id=school_id, months=[month])
    if month not in published:
        lines += [Draft(e) for e in teacher_entries(own, rate)]
    earlier = sorted(m for m in published if m < month)
    if earlier:
        recomputed = teacher_entries(await facts.staff_sessions(session, school_id=school_id, months=earlier), rate)
        rows = await session.scalars(
            select(LedgerEntry).where(LedgerEntry.school_id == school_id, LedgerEntry.session_month.in_(earlier))
        )
        lines += corrections([_posted(r) for r in rows], recomputed)
    return MonthDraft(lines, bonus_forfeited(own))


async def bonus_lost(session: AsyncSession, *, school_id: str, month: str) -> dict[str, tuple[str, ...]]:
    """ST-3: the teachers who lost the term bonus by the month's facts (as a draft of the month names them)."""
    return bonus_forfeited(await facts.staff_sessions(session, school_id=school_id, months=[month]))


async def posted_lines(
    session: AsyncSession, *, school_id: str, month: str, staff_id: str | None = None
) -> list[Posted]:
    """The ledger lines a published statement holds (in entry order)."""
    query = select(LedgerEntry).where(LedgerEntry.school_id == school_id, LedgerEntry.statement_month == month)
    if staff_id is not None:
        query = query.where(LedgerEntry.staff_id == staff_id)
    return [_posted(r) for r in await session.scalars(query.order_by(LedgerEntry.entry_id))]


def require_closed(month: str, today: date) -> None:
    """ST-5: a month is approved and published only once it has ended (in the school's time)."""
    year, number = int(month[:4]), int(month[5:])
    last = date(year, number, calendar.monthrange(year, number)[1])
    if today <= last:
        raise Unprocessable(f"the month {month} is not closed yet (it ends on {last})", rule="ST-5")


async def approve(uow: UnitOfWork, *, school_id: str, month: str, by: str) -> str:
    """ST-5: the school admin approves the draft as it stands now; its digest is kept (and returned)."""
    require_closed(month, school_today(uow.clock))
    await uow.lock(f"stipend-statements:{school_id}")
    run = await run_of(uow.session, school_id=school_id, month=month)
    if run is not None and run.status == PUBLISHED:
        raise Conflict(f"the statements of {month} are published; corrections go on a later month", rule="ST-5")
    lines = (await draft(uow.session, school_id=school_id, month=month)).lines
    values = {
        "school_id": school_id,
        "month": month,
        "status": APPROVED,
        "fingerprint": fingerprint(lines),
        "approved_by": by,
        "approved_at": uow.clock.now(),
        "published_by": None,
        "published_at": None,
    }
    await uow.session.execute(upsert(uow.session, StatementRun, values, ["school_id", "month"]))
    await uow.commit()
    return str(values["fingerprint"])


async def publish(uow: UnitOfWork, *, school_id: str, month: str, by: str) -> list[TeacherStatementPublished]:
    """ST-5: write the approved draft into the ledger (append-only) and publish one event per teacher."""
    require_closed(month, school_today(uow.clock))
    await uow.lock(f"stipend-statements:{school_id}")
    run = await run_of(uow.session, school_id=school_id, month=month)
    if run is None or run.status == DRAFT:
        raise Conflict(f"the statements of {month} must be approved before they are published", rule="ST-5")
    if run.status == PUBLISHED:
        raise Conflict(f"the statements of {month} are already published", rule="ST-5")
    month_draft = await draft(uow.session, school_id=school_id, month=month)
    if fingerprint(month_draft.lines) != run.fingerprint:
        raise Conflict("the draft changed since it was approved (new facts arrived): approve it again", rule="ST-5")
    now = uow.clock.now()
    entry_ids: dict[str, list[str]] = {}
    rows = []  # plain rows in one executemany, not an ORM object a line (issue 9)
    for number, line in enumerate(month_draft.lines, start=1):
        e = line.entry
        entry_id = f"{school_id}:{month}:{number:06d}"
        entry_ids.setdefault(e.staff_id, []).append(entry_id)
        rows.append(
            {
                "entry_id": entry_id,
                "school_id": school_id,
                "statement_month": month,
                "staff_id": e.staff_id,
                "session_id": e.session_id,
                "session_date": e.session_date,
                "session_month": e.month,
                "line": e.line,
                "units": e.units,
                "fen": e.fen,
                "reason": e.reason[:300],
                "event_ids": list(e.event_ids),
                "reverses": list(line.reverses),
                "recorded_at": now,
            }
        )
    if rows:
        await uow.session.execute(insert(LedgerEntry), rows)
    run.status, run.published_by, run.published_at = PUBLISHED, by, now
    events = [
        TeacherStatementPublished(
            statement_id=f"{school_id}:{month}:{t.staff_id}",
            staff_id=t.staff_id,
            school_id=school_id,
            month=month,
            units_hundredths=t.units,
            total_fen=t.total_fen,
            corrections_fen=t.corrections_fen,
            payable_fen=t.payable_fen,
            bonus_forfeited=t.staff_id in month_draft.bonus_lost,
            entry_ids=entry_ids[t.staff_id],
            approved_by=run.approved_by,
            published_by=by,
            published_at=now,
        )
        for t in totals(month_draft.lines, month)
    ]
    await uow.publish_many(events, school_id=school_id)
    await uow.commit()
    return events
