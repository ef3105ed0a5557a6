"""Recording payments (API and a payment platform's CSV, all or nothing) and a child's running balance (EN-7)."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chassis.clock import SCHOOL_TZ
from chassis.problems import Conflict, Unprocessable
from chassis.uow import UnitOfWork
from services.stipend import store
from services.stipend.domain.payments import AccountLine, Payment, RowError, running_balance
from services.stipend.facts import store as facts
from services.stipend.payments.store import PaymentRow


def _row(payment: Payment, *, school_id: str, source: str, by: str, uow: UnitOfWork) -> PaymentRow:
    return PaymentRow(
        **asdict(payment), school_id=school_id, source=source, recorded_by=by, recorded_at=uow.clock.now()
    )


async def record(uow: UnitOfWork, payment: Payment, *, school_id: str, by: str) -> None:
    """EN-7: one payment; a reference already recorded in the school is a conflict (nothing is recorded twice)."""
    if await uow.session.get(PaymentRow, (school_id, payment.reference)) is not None:
        raise Conflict(f"payment '{payment.reference}' is already recorded", rule="EN-7")
    uow.session.add(_row(payment, school_id=school_id, source="api", by=by, uow=uow))


async def import_statement(uow: UnitOfWork, payments: list[Payment], *, school_id: str, by: str) -> tuple[int, int]:
    """EN-7: every payment of a file, or none: a child of another school or a reference recorded with other figures
    refuses the file; a row already recorded as it is counts as done (re-importing a statement is harmless)."""
    errors: list[RowError] = []
    new: list[Payment] = []
    for line, payment in enumerate(payments, start=2):
        if await facts.student_school(uow.session, student_id=payment.student_id) != school_id:
            errors.append(RowError(line, f"no student '{payment.student_id}' in this school"))
            continue
        known = await uow.session.get(PaymentRow, (school_id, payment.reference))
        if known is None:
            new.append(payment)
        elif (known.student_id, known.amount_fen, known.paid_on) != (
            payment.student_id,
            payment.amount_fen,
            payment.paid_on,
        ):
            errors.append(RowError(line, f"reference '{payment.reference}' is recorded with other figures"))
    if errors:
        raise Unprocessable(
            "the statement has broken rows; nothing was recorded",
            rule="EN-7",
            errors=[{"line": e.line, "error": e.error} for e in errors],
        )
    for payment in new:
        uow.session.add(_row(payment, school_id=school_id, source="csv", by=by, uow=uow))
    return len(new), len(payments) - len(new)


async def account(session: AsyncSession, *, school_id: str, student_id: str) -> list[AccountLine]:
    """The child's issued months (charges) and payments, with the balance after each."""
    issued = await session.scalars(
        select(store.IssuedFamilyStatement).where(
            store.IssuedFamilyStatement.school_id == school_id, store.IssuedFamilyStatement.student_id == student_id
        )
    )
    charges = [
        (s.issued_at.astimezone(SCHOOL_TZ).date(), f"statement {s.month}", s.due_fen + s.adjustments_fen)
        for s in issued
    ]
    rows = await session.scalars(
        select(PaymentRow).where(PaymentRow.school_id == school_id, PaymentRow.student_id == student_id)
    )
    paid = [Payment(r.student_id, r.amount_fen, r.paid_on, r.reference) for r in rows]
    return running_balance(charges, paid)
