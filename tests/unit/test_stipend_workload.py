"""Teacher workload and pay per session (ST-1, ST-2, ST-3), and ST-7's order- and redelivery-independence."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, time
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.policy import PolicySettings
from services.stipend.domain.class_hours import Program
from services.stipend.domain.money import round_fen_of
from services.stipend.domain.workload import (
    UNIT,
    Rate,
    SessionFacts,
    StaffFact,
    bonus_forfeited,
    group_sessions,
    teacher_entries,
)
from services.stipend.facts.store import PolicyBook, rate_for

MON, TUE = date(2026, 11, 23), date(2026, 11, 24)
RATE = Rate(class_hours=2, fen_per_class_hour=4000)  # ST-2: 40 yuan per class-hour, 2 class-hours


def fact(
    kind: str, n: int, *, day: date = MON, session: str = "s-mon", staff: str = "wang", **detail: object
) -> StaffFact:
    base = StaffFact(f"{kind}:{n}", kind, staff, "s1", session, day, "homework", "p-base", False, f"ev{n}")
    return replace(base, **detail)  # type: ignore[arg-type]


def on_time(n: int, **kw: Any) -> StaffFact:
    return fact("sign_in", n, status="on_time", **kw)


def record(n: int, complete: bool = True, revision: int = 1, **kw: Any) -> StaffFact:
    return fact("record", n, complete=complete, revision=revision, **kw)


def entries(*facts: StaffFact) -> list[tuple[str, str, int, int]]:
    return [(e.session_id, e.line, e.units, e.fen) for e in teacher_entries(group_sessions(facts), lambda _s: RATE)]


def test_a_complete_record_is_one_unit_worth_the_sessions_class_hours_at_the_rate() -> None:
    assert entries(on_time(1), record(2)) == [("s-mon", "service", UNIT, 8000)]


def test_an_incomplete_record_is_half_a_unit() -> None:
    assert entries(on_time(1), record(2, complete=False)) == [("s-mon", "service", 50, 4000)]


def test_the_highest_revision_of_the_record_counts() -> None:
    assert entries(record(1, complete=False), record(2, complete=True, revision=2)) == [("s-mon", "service", 100, 8000)]


def test_noon_service_is_half_a_unit() -> None:
    noon = [replace(f, half_session=True, session_kind="noon_care") for f in (on_time(1), record(2))]
    assert entries(*noon) == [("s-mon", "service", 50, 4000)]


def test_no_record_earns_nothing() -> None:
    assert entries(on_time(1)) == [("s-mon", "service", 0, 0)]


def test_a_late_sign_in_is_a_separate_minus_one_unit_entry() -> None:
    late = fact("sign_in", 1, status="late", minutes_late=7)
    assert entries(late, record(2)) == [("s-mon", "late", -UNIT, -8000), ("s-mon", "service", UNIT, 8000)]


def test_an_unexcused_absence_is_zero_and_the_whole_day_unpaid() -> None:
    absent = fact("sign_in", 1, status="absent")
    club = [on_time(3, session="s-mon-club"), record(4, session="s-mon-club")]
    tuesday = [on_time(5, session="s-tue", day=TUE), record(6, session="s-tue", day=TUE)]
    got = teacher_entries(group_sessions([absent, *club, *tuesday]), lambda _s: RATE)
    assert [(e.session_id, e.units, e.fen) for e in got] == [
        ("s-mon", 0, 0),
        ("s-mon-club", 100, 0),
        ("s-tue", 100, 8000),
    ]
    assert "ev1" in got[1].event_ids
    assert "day unpaid" in got[1].reason


def test_a_patrol_that_found_the_teacher_absent_is_an_absence() -> None:
    patrol = fact("patrol", 9, teacher_present=False)
    assert entries(on_time(1), record(2), patrol) == [("s-mon", "service", 0, 0)]


def test_a_safety_incident_makes_the_day_unpaid_and_forfeits_the_bonus() -> None:
    """ST-3."""
    incident = fact("incident", 7, incident_kind="safety_incident")
    sessions = group_sessions([on_time(1), record(2), incident])
    assert [(e.units, e.fen) for e in teacher_entries(sessions, lambda _s: RATE)] == [(100, 0)]
    assert bonus_forfeited(sessions) == {"wang": ("ev7",)}


def test_an_ethics_breach_withholds_the_whole_month_but_not_the_next() -> None:
    """ST-3: 师德 — the month's stipend is withheld."""
    breach = fact("incident", 7, incident_kind="ethics_breach", session="s-tue", day=TUE)
    december = [on_time(3, session="s-dec", day=date(2026, 12, 1)), record(4, session="s-dec", day=date(2026, 12, 1))]
    got = teacher_entries(group_sessions([on_time(1), record(2), breach, *december]), lambda _s: RATE)
    assert [(e.session_id, e.fen) for e in got] == [("s-mon", 0), ("s-tue", 0), ("s-dec", 8000)]
    assert "month withheld" in got[0].reason
    assert "ev7" in got[0].event_ids
    assert bonus_forfeited(group_sessions([breach])) == {}


def test_the_rate_is_the_policy_in_force_on_the_sessions_day_with_the_specialty_supplement() -> None:
    """ST-2/PL-1: 40 yuan until 24 Nov, 50 from then; a specialty program adds the supplement."""
    book = PolicyBook(
        (date(2026, 9, 1), TUE),
        (PolicySettings(stipend_fen_per_class_hour=4000), PolicySettings(stipend_fen_per_class_hour=5000)),
    )
    chess = Program("p-chess", "club", frozenset({0, 1}), time(15, 40), 2, specialty=True)
    rate = rate_for(book, {"p-chess": chess})
    monday = group_sessions([record(1)])[0]
    assert rate(monday) == Rate(2, 4000)  # unknown program: EN-5 minimum class-hours
    assert rate(replace(monday, session_date=TUE)) == Rate(2, 5000)
    assert rate(replace(monday, program_id="p-chess")) == Rate(2, 4000 + 2500)


def test_quarter_fen_amounts_round_half_away_from_zero_so_a_reversal_is_exact() -> None:
    odd = Rate(class_hours=1, fen_per_class_hour=4001)
    noon = group_sessions([replace(record(1, complete=False), half_session=True)])
    (entry,) = teacher_entries(noon, lambda _s: odd)
    assert (entry.units, entry.fen) == (25, 1000)  # 0.25 × 4001 = 1000.25


staff_facts = st.lists(
    st.one_of(
        st.builds(
            lambda n, s, status, m: fact("sign_in", n, session=f"s{s}", status=status, minutes_late=m),
            st.integers(0, 3),
            st.integers(0, 2),
            st.sampled_from(["on_time", "late", "absent"]),
            st.integers(0, 30),
        ),
        st.builds(
            lambda n, s, c, r: record(n, complete=c, revision=r, session=f"s{s}"),
            st.integers(10, 13),
            st.integers(0, 2),
            st.booleans(),
            st.integers(1, 3),
        ),
        st.builds(
            lambda n, s, k: fact("incident", n, session=f"s{s}", incident_kind=k),
            st.integers(20, 22),
            st.integers(0, 2),
            st.sampled_from(["safety_incident", "dereliction_of_duty", "ethics_breach"]),
        ),
        st.builds(
            lambda n, s: fact("patrol", n, session=f"s{s}", teacher_present=False),
            st.integers(30, 31),
            st.integers(0, 2),
        ),
    ),
    max_size=12,
    unique_by=lambda f: f.fact_id,
)


@settings(max_examples=300, deadline=None)
@given(facts=staff_facts, data=st.data())
def test_the_same_facts_in_any_order_delivered_any_number_of_times_give_the_same_entries(
    facts: list[StaffFact], data: st.DataObject
) -> None:
    """ST-7."""
    again = data.draw(st.lists(st.sampled_from(facts), max_size=8)) if facts else []
    shuffled = data.draw(st.permutations([*facts, *again]))
    rate = lambda _s: RATE  # noqa: E731
    assert teacher_entries(group_sessions(shuffled), rate) == teacher_entries(group_sessions(facts), rate)
    assert bonus_forfeited(group_sessions(shuffled)) == bonus_forfeited(group_sessions(facts))


@settings(max_examples=200, deadline=None)
@given(facts=staff_facts)
def test_money_is_whole_fen_and_an_unpaid_day_pays_nothing(facts: list[StaffFact]) -> None:
    for entry in teacher_entries(group_sessions(facts), lambda _s: RATE):
        assert isinstance(entry.fen, int)
        if "day unpaid" in entry.reason or "month withheld" in entry.reason:
            assert entry.fen == 0


def test_session_facts_keep_every_part_with_its_event() -> None:
    (session,) = group_sessions([on_time(1), record(2), fact("incident", 3, incident_kind="safety_incident")])
    assert session == SessionFacts(
        "wang",
        "s1",
        "s-mon",
        MON,
        "homework",
        "p-base",
        False,
        sign_in=("on_time", 0, "ev1"),
        records=frozenset({(1, True, "ev2")}),
        incidents=frozenset({("safety_incident", "ev3")}),
    )


@settings(max_examples=500, deadline=None)
@given(numerator=st.integers(-(10**9), 10**9), denominator=st.integers(1, 10**4))
def test_st7_integer_rounding_is_the_exact_fractions_half_away_from_zero(numerator: int, denominator: int) -> None:
    """ST-7 (issue 9): entries are rounded in integers; the figure is the exact amount's, halves away from zero."""
    exact = Fraction(numerator, denominator)
    magnitude = math.floor(abs(exact) + Fraction(1, 2))
    assert round_fen_of(numerator, denominator) == (magnitude if exact >= 0 else -magnitude)
    assert round_fen_of(-numerator, denominator) == -round_fen_of(numerator, denominator)
