"""Family payments and the running balance (EN-7, ST-6), in integer fen (ST-7).

A payment is a positive whole number of fen on a day, with the payment platform's reference (unique per school,
so importing the same statement twice records nothing twice). A payment platform's CSV statement is imported
all or nothing: one broken row refuses the file with a report of every broken row.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

MAX_PAYMENT_FEN = 10_000_000  # 100,000 yuan: far above a term's fees, far below a typo of ×100
CSV_COLUMNS = ("student_id", "amount_yuan", "paid_on", "reference")
_YUAN = re.compile(r"^(\d{1,9})(?:\.(\d{1,2}))?$")


class PaymentRefused(ValueError):
    """A payment EN-7 does not allow (not a positive whole amount of fen, or no reference)."""

    rule = "EN-7"


@dataclass(frozen=True)
class Payment:
    """Money received for a child."""

    student_id: str
    amount_fen: int
    paid_on: date
    reference: str


def check_payment(student_id: str, amount_fen: int, paid_on: date, reference: str) -> Payment:
    """EN-7: a valid payment, or PaymentRefused naming what is wrong."""
    if not 1 <= amount_fen <= MAX_PAYMENT_FEN:
        raise PaymentRefused(f"a payment must be 1 to {MAX_PAYMENT_FEN} fen, not {amount_fen}")
    if not reference.strip() or len(reference) > 64:
        raise PaymentRefused("a payment needs the payment platform's reference (1 to 64 characters)")
    return Payment(student_id, amount_fen, paid_on, reference.strip())


def yuan_to_fen(text: str) -> int:
    """'160', '160.5' or '160.50' yuan as whole fen, exactly (never through a float)."""
    match = _YUAN.match(text.strip())
    if match is None:
        raise PaymentRefused(f"'{text}' is not an amount in yuan with at most two decimals")
    whole, cents = match.group(1), (match.group(2) or "").ljust(2, "0")
    return int(whole) * 100 + int(cents)


@dataclass(frozen=True)
class RowError:
    """A broken row of an imported statement: its line number and why."""

    line: int
    error: str


def parse_statement(text: str) -> tuple[list[Payment], list[RowError]]:
    """A payment platform's CSV (student_id, amount_yuan, paid_on, reference): the payments, or every row's error."""
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != CSV_COLUMNS:
        return [], [RowError(1, f"the header must be {','.join(CSV_COLUMNS)}")]
    payments: list[Payment] = []
    errors: list[RowError] = []
    seen: set[str] = set()
    for line, row in enumerate(reader, start=2):
        try:
            if None in row or any(row[c] is None for c in CSV_COLUMNS):
                raise PaymentRefused("the row does not have 4 fields")
            payment = check_payment(
                row["student_id"].strip(),
                yuan_to_fen(row["amount_yuan"]),
                date.fromisoformat(row["paid_on"]),
                row["reference"],
            )
            if payment.reference in seen:
                raise PaymentRefused(f"reference '{payment.reference}' appears twice in the file")
            seen.add(payment.reference)
            payments.append(payment)
        except (PaymentRefused, ValueError) as error:
            errors.append(RowError(line, str(error)))
    return ([], errors) if errors else (payments, [])


@dataclass(frozen=True)
class AccountLine:
    """A line of a child's account: a charge (an issued month) or a payment, and the balance after it."""

    day: date
    kind: str
    reference: str
    amount_fen: int
    balance_fen: int


def running_balance(charges: Iterable[tuple[date, str, int]], payments: Iterable[Payment]) -> list[AccountLine]:
    """Charges raise what the family owes, payments lower it; a negative balance is money held for the family.

    Lines are ordered by day, charges before payments of the same day, then by reference: the same facts
    always give the same account (ST-7).
    """
    moves = [(d, 0, ref, fen, "charge") for d, ref, fen in charges]
    moves += [(p.paid_on, 1, p.reference, -p.amount_fen, "payment") for p in payments]
    balance, lines = 0, []
    for day, _order, ref, fen, kind in sorted(moves):
        balance += fen
        lines.append(AccountLine(day, kind, ref, fen, balance))
    return lines
