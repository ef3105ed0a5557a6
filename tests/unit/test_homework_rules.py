"""Pure rules around the caps: the profile and day in force (PL-1, EN-5), grading (HW-6, HW-7), the weekly plan
deadline (HW-8) and burden monitoring (HW-9)."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.enrollment import DayKind, TermCalendarSet
from contracts.homework import HomeworkKind
from contracts.policy import PolicySettings, policy_on
from services.homework.domain.burden import Actual, Outcome, StruggleRule, breach
from services.homework.domain.calendar import day_kind, week_start
from services.homework.domain.caps import ClassDay, Load
from services.homework.domain.grading import refuse_grader
from services.homework.domain.plan import PlanRefused, publication_deadline, publish

pytestmark = pytest.mark.unit

AUTUMN = TermCalendarSet(
    term_id="2026-autumn",
    school_id="shiyan",
    name="2026秋季学期",
    starts_on=date(2026, 9, 1),
    ends_on=date(2027, 1, 20),
    holidays=[date(2026, 10, 1), date(2026, 10, 2)],
    makeup_days=[date(2026, 10, 10)],
)


def test_the_profile_in_force_is_the_latest_not_after_the_day() -> None:
    strict = PolicySettings(written_minutes_cap_by_grade={3: 30})
    profiles = [(date(2026, 9, 1), PolicySettings()), (date(2026, 11, 1), strict)]
    assert policy_on(profiles, date(2026, 10, 31)).written_cap(3) == 60
    assert policy_on(profiles, date(2026, 11, 1)).written_cap(3) == 30
    assert policy_on([], date(2026, 11, 1)) == PolicySettings()
    assert policy_on(profiles, date(2026, 8, 31)) == PolicySettings()


def test_the_kind_of_day_comes_from_the_term_calendar() -> None:
    assert day_kind([AUTUMN], date(2026, 11, 25)) is DayKind.SCHOOL_DAY
    assert day_kind([AUTUMN], date(2026, 11, 28)) is DayKind.WEEKEND
    assert day_kind([AUTUMN], date(2026, 10, 1)) is DayKind.HOLIDAY
    assert day_kind([AUTUMN], date(2026, 10, 10)) is DayKind.SCHOOL_DAY  # a Saturday of makeup school
    assert day_kind([AUTUMN], date(2027, 2, 1)) is DayKind.VACATION
    assert day_kind([], date(2026, 11, 29)) is DayKind.WEEKEND
    assert day_kind([], date(2026, 11, 27)) is DayKind.SCHOOL_DAY


def test_hw7_a_student_never_grades_their_own_homework() -> None:
    refusal = refuse_grader(grader_id="xiaoming", grader_is_teacher=True, student_id="xiaoming")
    assert refusal is not None
    assert refusal.rule == "HW-7"


def test_hw6_parents_never_grade_homework() -> None:
    refusal = refuse_grader(grader_id="mum", grader_is_teacher=False, student_id="xiaoming")
    assert refusal is not None
    assert refusal.rule == "HW-6"


def test_hw7_a_teacher_grades() -> None:
    assert refuse_grader(grader_id="teacher-wang", grader_is_teacher=True, student_id="xiaoming") is None


def test_hw8_the_plan_for_next_week_is_due_by_friday() -> None:
    monday = date(2026, 11, 30)
    assert publication_deadline(monday, 4) == date(2026, 11, 27)
    assert publish(monday, date(2026, 11, 27), 4).late is False
    assert publish(monday, date(2026, 11, 28), 4).late is True
    assert publication_deadline(monday, 2) == date(2026, 11, 25)  # a school that publishes by Wednesday


def test_hw8_a_plan_covers_a_week_starting_monday_that_is_not_over() -> None:
    with pytest.raises(PlanRefused):
        publish(date(2026, 12, 1), date(2026, 11, 25), 4)
    with pytest.raises(PlanRefused):
        publish(date(2026, 11, 16), date(2026, 11, 25), 4)
    assert publish(date(2026, 11, 23), date(2026, 11, 25), 4).late is True  # a revision during the week
    assert week_start(date(2026, 11, 29)) == date(2026, 11, 23)


def grade(n: int) -> ClassDay:
    return ClassDay(grade=n, kind=DayKind.SCHOOL_DAY, policy=PolicySettings())


def test_hw9_a_class_over_the_written_cap_in_actual_minutes_is_flagged() -> None:
    actuals = [Actual(Load("语文", HomeworkKind.WRITTEN, 30), 40), Actual(Load("数学", HomeworkKind.WRITTEN, 30), 25)]
    found = breach(grade(4), actuals)
    assert found is not None
    assert (found.rule, found.cap, found.actual_minutes, found.estimated_minutes) == (
        "HW-2",
        60,
        65,
        60,
    )
    assert breach(grade(7), actuals) is None  # 65 of middle school's 90


def test_hw9_a_weekend_over_two_hours_in_actual_minutes_is_flagged() -> None:
    weekend = ClassDay(grade=5, kind=DayKind.WEEKEND, policy=PolicySettings())
    actuals = [Actual(Load("体育", HomeworkKind.SPORT, 60), 70), Actual(Load("语文", HomeworkKind.WRITTEN, 50), 55)]
    found = breach(weekend, actuals)
    assert found is not None
    assert (found.rule, found.cap, found.actual_minutes) == ("HW-3", 120, 125)


def test_hw9_a_child_who_repeatedly_struggles_is_listed() -> None:
    rule = StruggleRule()
    fine, unfinished, slow = Outcome(True, 20, 20), Outcome(False, 30, 20), Outcome(True, 30, 20)
    assert not rule.flags([fine, unfinished, slow, fine, fine])
    assert rule.flags([fine, unfinished, slow, unfinished, fine])
    assert not rule.flags([unfinished, unfinished, unfinished, fine, fine, fine, fine, fine])  # only the last 5
