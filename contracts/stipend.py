"""Events published by the stipend service on `stipend.events` (ST-5, NT-1)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import AwareDatetime, Field

from contracts.envelope import Event

TOPIC = "stipend.events"


class _TeacherEvent(Event, topic=TOPIC, key_field="staff_id"):
    """What a teacher is paid, keyed by the teacher (`staff_id`)."""


class TeacherStatementPublished(_TeacherEvent):
    """ST-5: a teacher's monthly statement was published (approved by the school admin first); its entries are
    in the stipend's append-only ledger, each naming the events behind it."""

    type: ClassVar[str] = "stipend.teacher_statement_published.v1"

    statement_id: str = Field(description="school:month:staff")
    staff_id: str
    school_id: str
    month: str = Field(description="YYYY-MM")
    units_hundredths: int = Field(description="ST-1 workload units of the month's own sessions, in hundredths")
    total_fen: int = Field(description="signed sum of every entry, corrections of earlier months included")
    corrections_fen: int = Field(description="ST-5: the part from reversing and new entries of earlier months")
    payable_fen: int = Field(ge=0, description="what is paid: the total, never below 0")
    bonus_forfeited: bool = Field(description="ST-3: a safety incident or dereliction this month")
    entry_ids: list[str]
    approved_by: str
    published_by: str
    published_at: AwareDatetime


class FamilyStatementIssued(Event, topic=TOPIC, key_field="student_id"):
    """ST-6/NT-1: a child's monthly fee statement was issued (integer fen)."""

    type: ClassVar[str] = "stipend.family_statement_issued.v1"

    statement_id: str = Field(description="school:month:student")
    student_id: str
    school_id: str
    month: str = Field(description="YYYY-MM")
    gross_fen: int = Field(ge=0)
    waived_fen: int = Field(ge=0)
    late_pickup_fen: int = Field(ge=0)
    due_fen: int = Field(ge=0, description="the month's own charges after waivers, late-pickup fees included")
    adjustments_fen: int = Field(description="ST-5/ST-6: corrections of months issued before (may be negative)")
    total_fen: int = Field(description="due + adjustments: what this statement adds to the family's balance")
    issued_at: AwareDatetime


class TermSettlementPublished(_TeacherEvent):
    """ST-4: a teacher's term settlement was published: the process money of the term's published months and
    the share of the 9 : 1 bonus pool (none when forfeited, ST-3)."""

    type: ClassVar[str] = "stipend.term_settlement_published.v1"

    settlement_id: str = Field(description="school:term:staff")
    staff_id: str
    school_id: str
    term_id: str
    process_fen: int = Field(ge=0)
    bonus_pool_fen: int = Field(ge=0)
    weight: int = Field(ge=0, description="QA-2: the mean evaluation total of the programs served")
    bonus_fen: int = Field(ge=0)
    forfeited: bool
    published_by: str
    published_at: AwareDatetime


EVENTS: tuple[type[Event], ...] = (TeacherStatementPublished, FamilyStatementIssued, TermSettlementPublished)
