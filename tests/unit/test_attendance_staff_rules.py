"""Staff attendance rules without I/O (AT-9): sign-in judged against the session start, record completeness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chassis.clock import FakeClock
from contracts.attendance.staff import SignInStatus
from services.attendance.domain.staff import (
    ActivityRecord,
    SignInRefused,
    is_complete,
    is_half_session,
    judge_sign_in,
    missing_parts,
)

pytestmark = pytest.mark.unit

START = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)  # 16:00 in Asia/Shanghai
END = START + timedelta(minutes=80)


def test_at9_signing_in_before_or_at_the_start_is_on_time() -> None:
    clock = FakeClock(START - timedelta(minutes=10))
    assert judge_sign_in(clock.now(), starts_at=START, ends_at=END).status is SignInStatus.ON_TIME
    clock.advance(timedelta(minutes=10))
    assert judge_sign_in(clock.now(), starts_at=START, ends_at=END).status is SignInStatus.ON_TIME


def test_at9_a_sign_in_after_the_start_is_late_by_whole_minutes_rounded_up() -> None:
    clock = FakeClock(START + timedelta(seconds=20))
    assert judge_sign_in(clock.now(), starts_at=START, ends_at=END) == judge_sign_in(
        START + timedelta(minutes=1), starts_at=START, ends_at=END
    )
    clock.advance(timedelta(minutes=7))
    judgement = judge_sign_in(clock.now(), starts_at=START, ends_at=END)
    assert (judgement.status, judgement.minutes_late) == (SignInStatus.LATE, 8)


def test_at9_from_the_session_end_on_a_sign_in_is_refused_because_the_teacher_is_absent() -> None:
    with pytest.raises(SignInRefused, match="absent"):
        judge_sign_in(END, starts_at=START, ends_at=END)


def test_at9_a_sign_in_more_than_an_hour_early_is_refused() -> None:
    with pytest.raises(SignInRefused, match="60 minutes"):
        judge_sign_in(START - timedelta(minutes=61), starts_at=START, ends_at=END)


@given(st.integers(min_value=-3600, max_value=80 * 60 - 1))
def test_at9_every_accepted_sign_in_is_on_time_exactly_when_not_after_the_start(offset: int) -> None:
    judgement = judge_sign_in(START + timedelta(seconds=offset), starts_at=START, ends_at=END)
    assert (judgement.status is SignInStatus.ON_TIME) == (offset <= 0)
    assert judgement.minutes_late == (0 if offset <= 0 else -(-offset // 60))


def test_at9_noon_service_is_a_half_session_and_homework_supervision_is_not() -> None:
    assert is_half_session("noon_care")
    assert not is_half_session("homework")
    assert not is_half_session("club")


def test_at9_a_record_with_place_content_students_and_effect_is_complete() -> None:
    record = ActivityRecord("三年级一班教室", "数学作业辅导", ("xiaoming", "xiaohong"), "全部完成")
    assert is_complete(record)
    assert missing_parts(record) == []


def test_at9_blank_text_or_no_students_makes_the_record_incomplete_and_names_the_parts() -> None:
    record = ActivityRecord("  ", "数学作业辅导", (), "\n")
    assert not is_complete(record)
    assert missing_parts(record) == ["place", "students", "effect"]
