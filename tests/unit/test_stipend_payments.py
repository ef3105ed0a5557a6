"""Payments and the running balance (EN-7, ST-7): whole fen, exact yuan parsing, all-or-nothing statements."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.stipend.domain.payments import (
    Payment,
    PaymentRefused,
    check_payment,
    parse_statement,
    running_balance,
    yuan_to_fen,
)

DEC = date(2026, 12, 2)
HEADER = "student_id,amount_yuan,paid_on,reference\n"


@pytest.mark.parametrize(("text", "fen"), [("160", 16000), ("160.5", 16050), ("160.05", 16005), ("0.01", 1)])
def test_yuan_become_whole_fen_exactly(text: str, fen: int) -> None:
    assert yuan_to_fen(text) == fen


@pytest.mark.parametrize("text", ["-5", "1.005", "1,60", "abc", ""])
def test_anything_but_yuan_with_two_decimals_is_refused(text: str) -> None:
    with pytest.raises(PaymentRefused):
        yuan_to_fen(text)


@pytest.mark.parametrize("amount", [0, -100, 10_000_001])
def test_a_payment_is_a_positive_whole_amount_within_bounds(amount: int) -> None:
    with pytest.raises(PaymentRefused) as refused:
        check_payment("xiaoming", amount, DEC, "wx-1")
    assert refused.value.rule == "EN-7"


def test_a_statement_with_a_broken_row_is_refused_whole_with_every_rows_error() -> None:
    text = HEADER + "xiaoming,160.00,2026-12-02,wx-1\nxiaohong,-3,2026-12-02,wx-2\nxiaogang,5,2026-13-01,wx-3\n"
    payments, errors = parse_statement(text)
    assert payments == []
    assert [e.line for e in errors] == [3, 4]


def test_a_reference_twice_in_one_statement_is_an_error() -> None:
    _, errors = parse_statement(HEADER + "a,1,2026-12-02,wx-1\nb,2,2026-12-02,wx-1\n")
    assert [e.line for e in errors] == [3]


def test_a_good_statement_gives_its_payments() -> None:
    payments, errors = parse_statement(HEADER + "xiaoming,160.00,2026-12-02,wx-1\n")
    assert errors == []
    assert payments == [Payment("xiaoming", 16000, DEC, "wx-1")]


def test_a_wrong_header_is_refused() -> None:
    _, errors = parse_statement("who,how much\nxiaoming,160\n")
    assert [e.line for e in errors] == [1]


def test_the_balance_runs_charges_up_and_payments_down() -> None:
    lines = running_balance([(date(2026, 12, 1), "statement 2026-11", 1690)], [Payment("x", 1000, DEC, "wx-1")])
    assert [(line.kind, line.amount_fen, line.balance_fen) for line in lines] == [
        ("charge", 1690, 1690),
        ("payment", -1000, 690),
    ]


amounts = st.integers(1, 100_000)


@settings(max_examples=200, deadline=None)
@given(
    charges=st.lists(st.tuples(st.integers(1, 28), amounts), max_size=5),
    paid=st.lists(st.tuples(st.integers(1, 28), amounts), max_size=5),
    data=st.data(),
)
def test_the_final_balance_is_charges_minus_payments_whatever_the_order(
    charges: list[tuple[int, int]], paid: list[tuple[int, int]], data: st.DataObject
) -> None:
    """ST-7."""
    cs = [(date(2026, 12, d), f"statement {n}", fen) for n, (d, fen) in enumerate(charges)]
    ps = [Payment("x", fen, date(2026, 12, d), f"wx-{n}") for n, (d, fen) in enumerate(paid)]
    lines = running_balance(data.draw(st.permutations(cs)), data.draw(st.permutations(ps)))
    assert lines == running_balance(cs, ps)
    assert (lines[-1].balance_fen if lines else 0) == sum(c[2] for c in cs) - sum(p.amount_fen for p in ps)
