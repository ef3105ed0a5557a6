"""HTTP routes of family accounts (EN-7): payments through the API or a payment platform's CSV, and the running
balance. The school admin records; the admin or the child's own guardian reads."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from chassis.app import RuntimeDep
from chassis.auth import CurrentPrincipal
from chassis.http import Body, SchoolAdmin
from chassis.idempotency import IDEMPOTENT, respond_once
from chassis.openapi import examples, model_examples
from chassis.problems import Unprocessable
from chassis.records import from_fields
from chassis.uow import UnitOfWork
from contracts.fields import SchoolId, StudentId
from services.stipend.access import api as access
from services.stipend.domain.payments import AccountLine, PaymentRefused, check_payment, parse_statement
from services.stipend.payments import handlers as payments

router = APIRouter(prefix="/stipend/v1/family-accounts", tags=["family accounts"])
MAX_CSV_BYTES = 2_000_000


class PaymentIn(Body):
    """A payment received for the child (the amount in integer fen)."""

    model_config = examples({"amount_fen": 9280, "paid_on": "2026-12-03", "reference": "WX20261203-0042"})

    amount_fen: int = Field(description="EN-7: a positive whole number of fen")
    paid_on: date = Field(description="the day the family paid, YYYY-MM-DD")
    reference: str = Field(max_length=64, description="the payment platform's reference, unique in the school")


class AccountLineOut(BaseModel):
    """A charge (an issued month) or a payment, and the balance after it (positive: the family owes)."""

    model_config = examples(
        {"day": "2026-12-01", "kind": "charge", "reference": "2026-11", "amount_fen": 9280, "balance_fen": 9280}
    )

    day: date = Field(description="the day of the charge (the month's issue) or of the payment, YYYY-MM-DD")
    kind: str = Field(description="`charge` (an issued month) or `payment`")
    reference: str = Field(description="a charge's month (YYYY-MM), or a payment's platform reference")
    amount_fen: int = Field(description="integer fen: positive for a charge, negative for a payment")
    balance_fen: int = Field(description="the balance after this line, integer fen (positive: the family owes)")


class AccountOut(BaseModel):
    """A child's account."""

    model_config = examples(
        {
            "school_id": "shiyan",
            "student_id": "xiaoming",
            "balance_fen": 0,
            "lines": [
                *model_examples(AccountLineOut),
                {
                    "day": "2026-12-03",
                    "kind": "payment",
                    "reference": "WX20261203-0042",
                    "amount_fen": -9280,
                    "balance_fen": 0,
                },
            ],
        }
    )

    school_id: SchoolId
    student_id: StudentId
    balance_fen: int = Field(description="what the family owes now, integer fen (negative: paid in advance)")
    lines: list[AccountLineOut] = Field(description="every charge and payment, oldest first")


class ImportResult(BaseModel):
    """What an imported statement recorded (all rows, or none)."""

    model_config = examples({"recorded": 38, "already_recorded": 4})

    recorded: int = Field(description="payments recorded now")
    already_recorded: int = Field(description="payments whose reference was already recorded (nothing done again)")


@router.post("/students/{student_id}/payments", status_code=201, response_model=AccountOut, dependencies=[IDEMPOTENT])
async def record_payment(
    runtime: RuntimeDep, request: Request, principal: SchoolAdmin, student_id: str, body: PaymentIn
) -> JSONResponse:
    """EN-7: record a payment (Idempotency-Key makes a retry harmless); a bad amount changes nothing."""

    async def act(uow: UnitOfWork) -> tuple[int, Any]:
        school = await access.family_reader(uow.session, principal, student_id)
        try:
            payment = check_payment(student_id, body.amount_fen, body.paid_on, body.reference)
        except PaymentRefused as error:
            raise Unprocessable(str(error), rule=error.rule) from error
        await payments.record(uow, payment, school_id=school, by=principal.subject)
        await uow.session.flush()
        lines = await payments.account(uow.session, school_id=school, student_id=student_id)
        return 201, _account(school, student_id, lines).model_dump(mode="json")

    return await respond_once(runtime, request, principal, body.model_dump(mode="json"), act)


@router.post("/payments/import", response_model=ImportResult)
async def import_payments(runtime: RuntimeDep, request: Request, principal: SchoolAdmin) -> ImportResult:
    """EN-7: a payment platform's CSV statement (student_id, amount_yuan, paid_on, reference), all or nothing."""
    raw = await request.body()
    if len(raw) > MAX_CSV_BYTES:
        raise Unprocessable(f"a statement may have at most {MAX_CSV_BYTES} bytes", rule="EN-7")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Unprocessable("the statement is not UTF-8 text", rule="EN-7") from error
    parsed, errors = parse_statement(text)
    if errors:
        details = [{"line": e.line, "error": e.error} for e in errors]
        raise Unprocessable("the statement has broken rows; nothing was recorded", rule="EN-7", errors=details)
    async with runtime.uow() as uow:
        await uow.lock(f"stipend-payments:{principal.school()}")
        recorded, known = await payments.import_statement(
            uow, parsed, school_id=principal.school(), by=principal.subject
        )
        await uow.commit()
    return ImportResult(recorded=recorded, already_recorded=known)


@router.get("/students/{student_id}", response_model=AccountOut)
async def child_account(runtime: RuntimeDep, principal: CurrentPrincipal, student_id: str) -> AccountOut:
    """The child's charges, payments and running balance (the school admin, or the child's guardian)."""
    async with runtime.db.sessions() as session:
        school = await access.family_reader(session, principal, student_id)
        lines = await payments.account(session, school_id=school, student_id=student_id)
    return _account(school, student_id, lines)


def _account(school: str, student_id: str, lines: list[AccountLine]) -> AccountOut:
    shown = [from_fields(AccountLineOut, x) for x in lines]
    balance = shown[-1].balance_fen if shown else 0
    return AccountOut(school_id=school, student_id=student_id, balance_fen=balance, lines=shown)
