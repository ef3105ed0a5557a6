"""Tables and queries of fee plans and waivers (on enrollment's metadata, `services.enrollment.store.Base`)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from chassis.pagination import rows_after
from contracts.enrollment import FeeKind
from contracts.fees import FeePlan, Waiver
from services.enrollment.store import Base


class FeePlanRow(Base):
    """EN-7: one setting of a program's fee plan; `version` orders a program's settings (later replaces earlier)."""

    __tablename__ = "fee_plans"
    __table_args__ = (UniqueConstraint("program_id", "version", name="uq_fee_plans_program_version"),)

    fee_plan_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.school_id"), index=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.program_id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    fen_per_class_hour: Mapped[int] = mapped_column(Integer)
    max_charged_class_hours_per_day: Mapped[int | None] = mapped_column(Integer, nullable=True)
    fen_per_month: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[date] = mapped_column(Date)
    set_by: Mapped[str] = mapped_column(String(64))
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    def rule(self) -> FeePlan:
        """The plan as the domain judges it."""
        return FeePlan(
            FeeKind(self.kind),
            self.effective_from,
            fen_per_class_hour=self.fen_per_class_hour,
            max_charged_class_hours_per_day=self.max_charged_class_hours_per_day,
            fen_per_month=self.fen_per_month,
        )


class FeeWaiverRow(Base):
    """EN-7: a child's fee waiver; the reason (often financial difficulty) never leaves this service."""

    __tablename__ = "fee_waivers"
    __table_args__ = (UniqueConstraint("school_id", "external_id", name="uq_fee_waivers_school_external"),)

    waiver_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.school_id"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(64), default=None)  # the school's code (issue 11)
    student_id: Mapped[str] = mapped_column(ForeignKey("students.student_id"), index=True)
    program_id: Mapped[str | None] = mapped_column(ForeignKey("programs.program_id"), nullable=True)
    percent_payable: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    reason: Mapped[str] = mapped_column(String(500))
    granted_by: Mapped[str] = mapped_column(String(64))
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_on: Mapped[date | None] = mapped_column(Date, nullable=True, default=None)
    revoked_by: Mapped[str | None] = mapped_column(String(64), nullable=True, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, default=None)
    revoke_reason: Mapped[str | None] = mapped_column(String(500), nullable=True, default=None)

    def rule(self) -> Waiver:
        """The waiver as the domain judges it."""
        return Waiver(
            self.percent_payable,
            self.valid_from,
            valid_to=self.valid_to,
            program_id=self.program_id,
            revoked_on=self.revoked_on,
        )


async def plans_of(session: AsyncSession, *, program_id: str) -> list[FeePlanRow]:
    """Every setting of the program's fee plan, in the order they were set."""
    rows = await session.execute(
        select(FeePlanRow).where(FeePlanRow.program_id == program_id).order_by(FeePlanRow.version)
    )
    return list(rows.scalars())


async def plans_page(session: AsyncSession, *, program_id: str, after: int | None, limit: int) -> list[FeePlanRow]:
    """Up to `limit` settings of the program's fee plan after version `after`, in the order they were set."""
    query = select(FeePlanRow).where(FeePlanRow.program_id == program_id)
    return await rows_after(session, query, [FeePlanRow.version], after, limit)


async def waivers_page(session: AsyncSession, *, student_id: str, after: str | None, limit: int) -> list[FeeWaiverRow]:
    """Up to `limit` of the child's waivers (current, ended and revoked) after the cursor, by id."""
    query = select(FeeWaiverRow).where(FeeWaiverRow.student_id == student_id)
    return await rows_after(session, query, [FeeWaiverRow.waiver_id], after, limit)
