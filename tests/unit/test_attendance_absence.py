"""Pure leave and absence rules (AT-3)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.attendance.domain.absence import (
    APPROVED,
    REFUSED,
    REQUESTED,
    Leave,
    LeaveRuleBroken,
    absence_due,
    check_request,
    counts_for,
    covers,
    decide,
    on_leave,
    unexcused,
)

pytestmark = pytest.mark.unit

DAY = date(2026, 9, 16)
SESSION = "homework:2026-09-16"
START = datetime(2026, 9, 16, 8, 0, tzinfo=UTC)


def test_at3_leave_is_asked_for_today_or_later() -> None:
    check_request(DAY, today=DAY)
    check_request(DAY + timedelta(days=3), today=DAY)
    with pytest.raises(LeaveRuleBroken, match="past day") as error:
        check_request(DAY - timedelta(days=1), today=DAY)
    assert error.value.rule == "AT-3"


def test_at3_the_class_teacher_decides_once() -> None:
    assert decide(REQUESTED, APPROVED) == APPROVED
    assert decide(REQUESTED, REFUSED) == REFUSED
    for done in (APPROVED, REFUSED):
        with pytest.raises(LeaveRuleBroken, match=f"already {done}"):
            decide(done, APPROVED)
    with pytest.raises(LeaveRuleBroken, match="unknown decision"):
        decide(REQUESTED, "maybe")


def test_at3_only_an_approved_leave_for_the_day_or_that_session_excuses() -> None:
    whole_day = Leave("a", DAY, None, APPROVED)
    this_session = Leave("b", DAY, SESSION, APPROVED)
    other_session = Leave("c", DAY, "chess:2026-09-16", APPROVED)
    pending = Leave("d", DAY, None, REQUESTED)
    refused = Leave("e", DAY, None, REFUSED)
    other_day = Leave("f", DAY + timedelta(days=1), None, APPROVED)
    assert covers(whole_day, day=DAY, session_id=SESSION)
    assert covers(this_session, day=DAY, session_id=SESSION)
    leaves = [whole_day, this_session, other_session, pending, refused, other_day]
    assert on_leave(leaves, day=DAY, session_id=SESSION) == {"a", "b"}


def test_at3_absent_means_expected_not_checked_in_and_not_on_leave_n_minutes_after_start() -> None:
    assert absence_due(START, 10) == START + timedelta(minutes=10)
    assert unexcused(["c", "a", "b", "d"], checked_in=["a"], excused=["b"]) == ["c", "d"]
    assert counts_for(START - timedelta(minutes=20), START)  # at the gate before the session
    assert not counts_for(START - timedelta(hours=8), START)  # the morning's early-arrival check-in
