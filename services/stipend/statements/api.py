"""HTTP routes of teacher statements (ST-5): the school's month, one teacher's statement with every entry traced to
its events, approval and publication by the school admin."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from chassis.app import RuntimeDep
from chassis.auth import CurrentPrincipal
from chassis.http import SchoolAdmin
from chassis.openapi import examples, model_examples
from chassis.problems import NotFound
from chassis.records import from_fields
from contracts.fields import SchoolId, SessionId, StaffId
from services.stipend.access import api as access
from services.stipend.access.api import MonthPath
from services.stipend.domain.ledger import Draft, Posted, TeacherTotals, totals
from services.stipend.fields import Day, EventIds, Fen, Month, StatementStatus, Units
from services.stipend.statements import handlers as statements

router = APIRouter(prefix="/stipend/v1/teacher-statements", tags=["teacher statements"])


class TeacherSummary(BaseModel):
    """A teacher's month in figures (units in hundredths, money in fen)."""

    model_config = examples(
        {
            "staff_id": "t-li",
            "units_hundredths": 1850,
            "total_fen": 83250,
            "corrections_fen": -4500,
            "payable_fen": 78750,
            "bonus_forfeited_by": [],
        }
    )

    staff_id: StaffId
    units_hundredths: Units
    total_fen: int = Field(description="ST-2: the month's stipend from the units, integer fen")
    corrections_fen: int = Field(description="ST-5: reversing entries of earlier months, integer fen (may be negative)")
    payable_fen: int = Field(description="what is paid for the month: total plus corrections, integer fen")
    bonus_forfeited_by: list[str] = Field(
        description="ST-3: the sessions (ids) whose incident or dereliction forfeits the term's bonus; empty if none"
    )


class MonthStatements(BaseModel):
    """The school's month: where it stands in draft → approved → published, and each teacher's figures."""

    model_config = examples(
        {
            "school_id": "shiyan",
            "month": "2026-11",
            "status": "approved",
            "approved_by": "admin-wang",
            "published_by": None,
            "teachers": model_examples(TeacherSummary),
        }
    )

    school_id: SchoolId
    month: Month
    status: StatementStatus
    approved_by: str | None = Field(default=None, description="the staff id who approved it; null while a draft")
    published_by: str | None = Field(default=None, description="the staff id who published it; null until published")
    teachers: list[TeacherSummary] = Field(description="one summary per teacher with a ledger line this month")


class EntryOut(BaseModel):
    """One ledger line: `entry_id` once published; `reverses` names the entries a reversal cancels (ST-5)."""

    model_config = examples(
        {
            "entry_id": "le-2026-11-0193",
            "session_id": "pg-homework-g3:2026-11-25",
            "session_date": "2026-11-25",
            "line": "service",
            "units_hundredths": 100,
            "fen": 4500,
            "reason": "ST-1: complete record r1",
            "event_ids": ["at-7f3a91", "hw-5b20c4"],
            "reverses": [],
        }
    )

    entry_id: str | None = Field(description="the ledger entry's id once published; null in a draft")
    session_id: SessionId
    session_date: Day
    line: str = Field(description="ST-1: the kind of line: `service` (the session's units) or `late` (a late arrival)")
    units_hundredths: Units
    fen: Fen
    reason: str = Field(description="the rule and facts behind the figure, e.g. `ST-1: complete record r1`")
    event_ids: EventIds
    reverses: list[str] = Field(description="ST-5: the entry ids this reversal cancels; empty for a plain entry")


class TeacherStatement(TeacherSummary):
    """A teacher's statement with every entry and the events behind it."""

    model_config = examples(
        {
            **model_examples(TeacherSummary)[0],
            "school_id": "shiyan",
            "month": "2026-11",
            "status": "published",
            "entries": model_examples(EntryOut),
        }
    )

    school_id: SchoolId
    month: Month
    status: StatementStatus
    entries: list[EntryOut] = Field(description="ST-5: every ledger line of the month, reversals included")


class Approval(BaseModel):
    """What was approved: the digest of the draft, which publication checks."""

    model_config = examples(
        {
            "school_id": "shiyan",
            "month": "2026-11",
            "status": "approved",
            "fingerprint": "9f2c4e0b7a1d3c5e8f6a2b4d0c9e7f1a3b5d7c9e0f2a4b6c8d0e2f4a6b8c0d2e",
        }
    )

    school_id: SchoolId
    month: Month
    status: StatementStatus
    fingerprint: str = Field(
        description="SHA-256 (64 hex digits) of the approved draft's lines: publishing refuses a draft that changed"
    )


def _summary(t: TeacherTotals, bonus_lost: dict[str, tuple[str, ...]]) -> TeacherSummary:
    return from_fields(
        TeacherSummary,
        t,
        units_hundredths=t.units,
        payable_fen=t.payable_fen,
        bonus_forfeited_by=list(bonus_lost.get(t.staff_id, ())),
    )


def _entry(line: Draft | Posted) -> EntryOut:
    entry_id = line.entry_id if isinstance(line, Posted) else None
    e = line.entry
    return from_fields(
        EntryOut,
        e,
        entry_id=entry_id,
        session_date=e.session_date.isoformat(),
        units_hundredths=e.units,
        event_ids=list(e.event_ids),
        reverses=list(line.reverses),
    )


async def _month(runtime: RuntimeDep, school_id: str, month: str) -> MonthStatements:
    """The month's figures: from the ledger once published, else from the live draft."""
    async with runtime.db.sessions() as session:
        run = await statements.run_of(session, school_id=school_id, month=month)
        status = statements.DRAFT if run is None else run.status
        if status == statements.PUBLISHED:  # the ledger's lines: no draft to compute (issue 9)
            posted = await statements.posted_lines(session, school_id=school_id, month=month)
            lines = [Draft(p.entry, p.reverses) for p in posted]
            bonus_lost = await statements.bonus_lost(session, school_id=school_id, month=month)
        else:
            month_draft = await statements.draft(session, school_id=school_id, month=month)
            lines, bonus_lost = month_draft.lines, month_draft.bonus_lost
    return MonthStatements(
        school_id=school_id,
        month=month,
        status=status,
        approved_by=run.approved_by if run else None,
        published_by=run.published_by if run else None,
        teachers=[_summary(t, bonus_lost) for t in totals(lines, month)],
    )


@router.get("/{month}", response_model=MonthStatements)
async def month_statements(runtime: RuntimeDep, principal: SchoolAdmin, month: MonthPath) -> MonthStatements:
    """ST-5: every teacher's figures for the month (the school admin)."""
    return await _month(runtime, principal.school(), month)


@router.get("/{month}/teachers/{staff_id}", response_model=TeacherStatement)
async def teacher_statement(
    runtime: RuntimeDep, principal: CurrentPrincipal, month: MonthPath, staff_id: str
) -> TeacherStatement:
    """ST-5: one teacher's statement, each entry with its rule and event ids (the admin, or that teacher)."""
    school = access.teacher_statement_reader(principal, staff_id)
    async with runtime.db.sessions() as session:
        run = await statements.run_of(session, school_id=school, month=month)
        month_draft = await statements.draft(session, school_id=school, month=month)
        status = statements.DRAFT if run is None else run.status
        lines: list[Draft | Posted] = list(month_draft.lines)
        if status == statements.PUBLISHED:
            lines = list(await statements.posted_lines(session, school_id=school, month=month, staff_id=staff_id))
    bonus_lost = month_draft.bonus_lost
    mine = [line for line in lines if line.entry.staff_id == staff_id]
    if not mine:
        raise NotFound(f"no statement of teacher '{staff_id}' for {month}")
    figures = totals([Draft(line.entry, line.reverses) for line in mine], month)[0]
    summary = _summary(figures, bonus_lost)
    return TeacherStatement(
        **summary.model_dump(), school_id=school, month=month, status=status, entries=[_entry(x) for x in mine]
    )


@router.post("/{month}/approve", response_model=Approval)
async def approve_month(runtime: RuntimeDep, principal: SchoolAdmin, month: MonthPath) -> Approval:
    """ST-5: the school admin approves the month's statements as they stand (a closed month only)."""
    school = principal.school()
    async with runtime.uow() as uow:
        digest = await statements.approve(uow, school_id=school, month=month, by=principal.subject)
    return Approval(school_id=school, month=month, status=statements.APPROVED, fingerprint=digest)


@router.post("/{month}/publish", response_model=MonthStatements)
async def publish_month(runtime: RuntimeDep, principal: SchoolAdmin, month: MonthPath) -> MonthStatements:
    """ST-5: publish the approved month into the append-only ledger and tell every teacher (one event each)."""
    school = principal.school()
    async with runtime.uow() as uow:
        await statements.publish(uow, school_id=school, month=month, by=principal.subject)
    return await _month(runtime, school, month)
