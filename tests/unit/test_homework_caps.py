"""The burden caps of HW-1..HW-4 and HW-6, with the numbers of the seed documents."""

from __future__ import annotations

import pytest

from contracts.enrollment import DayKind
from contracts.homework import HomeworkKind
from contracts.policy import PolicySettings
from services.homework.domain.caps import ClassDay, Forbidden, Load, check, daily_cap_minutes, refuse_forbidden, room

pytestmark = pytest.mark.unit

NATIONAL = PolicySettings()
# HW-2: some schools set 30/40/50/60 min for grades 3/4/5/6 …
PER_GRADE = PolicySettings(written_minutes_cap_by_grade={3: 30, 4: 40, 5: 50, 6: 60, 7: 90, 8: 90, 9: 90})
# … or 30 min for grades 3–4 and 60 for 5–6.
LOWER_GRADES_30 = PolicySettings(written_minutes_cap_by_grade={3: 30, 4: 30, 5: 60, 6: 60, 7: 90, 8: 90, 9: 90})

WRITTEN, READING, SPORT = HomeworkKind.WRITTEN, HomeworkKind.READING, HomeworkKind.SPORT


def school_day(grade: int, policy: PolicySettings = NATIONAL) -> ClassDay:
    return ClassDay(grade=grade, kind=DayKind.SCHOOL_DAY, policy=policy)


def written(subject: str, minutes: int) -> Load:
    return Load(subject, WRITTEN, minutes)


# --- HW-1 -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("grade", [1, 2])
def test_hw1_grades_one_and_two_get_no_written_homework(grade: int) -> None:
    refusal = check(school_day(grade), [], written("语文", 10))
    assert refusal is not None
    assert refusal.rule == "HW-1"
    assert refusal.cap == 0


def test_hw1_grade_two_may_still_get_practical_homework() -> None:
    assert check(school_day(2), [], Load("体育", SPORT, 20)) is None


def test_hw1_grade_three_may_get_written_homework() -> None:
    assert check(school_day(3), [], written("语文", 10)) is None


# --- HW-2 -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("grade", [3, 4, 5, 6])
def test_hw2_grades_three_to_six_get_at_most_60_written_minutes_a_day(grade: int) -> None:
    day = school_day(grade)
    assert check(day, [written("语文", 30)], written("数学", 30)) is None
    refusal = check(day, [written("语文", 30)], written("数学", 31))
    assert refusal is not None
    assert (refusal.rule, refusal.cap, refusal.assigned_minutes, refusal.minutes_by_subject) == (
        "HW-2",
        60,
        30,
        {"语文": 30},
    )


@pytest.mark.parametrize("grade", [7, 8, 9])
def test_hw2_middle_school_gets_at_most_90_written_minutes(grade: int) -> None:
    assert daily_cap_minutes(grade, NATIONAL) == 90
    assert check(school_day(grade), [written("语文", 45)], written("数学", 45)) is None
    refusal = check(school_day(grade), [written("语文", 45)], written("数学", 46))
    assert refusal is not None
    assert (refusal.rule, refusal.cap) == ("HW-2", 90)


@pytest.mark.parametrize(("grade", "cap"), [(3, 30), (4, 40), (5, 50), (6, 60)])
def test_hw2_per_grade_caps_30_40_50_60(grade: int, cap: int) -> None:
    day = school_day(grade, PER_GRADE)
    assert check(day, [], written("语文", cap)) is None
    refusal = check(day, [], written("语文", cap + 1))
    assert refusal is not None
    assert (refusal.rule, refusal.cap, refusal.assigned_minutes) == ("HW-2", cap, 0)


@pytest.mark.parametrize(("grade", "cap"), [(3, 30), (4, 30), (5, 60), (6, 60)])
def test_hw2_a_school_setting_30_minutes_for_grades_three_and_four(grade: int, cap: int) -> None:
    day = school_day(grade, LOWER_GRADES_30)
    assert check(day, [written("语文", 20)], written("数学", cap - 20)) is None
    refusal = check(day, [written("语文", 20)], written("数学", cap - 19))
    assert refusal is not None
    assert (refusal.rule, refusal.cap, refusal.minutes_by_subject) == (
        "HW-2",
        cap,
        {"语文": 20},
    )


def test_hw2_practical_homework_does_not_count_toward_the_written_cap() -> None:
    day = school_day(3)
    assert check(day, [Load("语文", READING, 30), written("语文", 40)], written("语文", 20)) is None


def test_hw2_the_cap_is_the_sum_over_all_subjects_of_the_class() -> None:
    refusal = check(school_day(4), [written("语文", 25), written("数学", 25)], written("语文", 15))
    assert refusal is not None
    assert refusal.assigned_minutes == 50
    assert refusal.minutes_by_subject == {"语文": 25, "数学": 25}


# --- HW-3 -------------------------------------------------------------------------------------------------------


def test_hw3_at_most_two_subjects_on_a_school_day() -> None:
    day = school_day(5)
    existing = [written("语文", 10), written("数学", 10)]
    assert check(day, existing, written("语文", 10)) is None  # a second piece of an existing subject
    refusal = check(day, existing, Load("英语", READING, 10))
    assert refusal is not None
    assert (refusal.rule, refusal.cap, refusal.assigned_minutes) == ("HW-3", 2, 20)
    assert refusal.minutes_by_subject == {"语文": 10, "数学": 10}


@pytest.mark.parametrize("kind", [DayKind.WEEKEND, DayKind.HOLIDAY, DayKind.VACATION])
def test_hw3_three_subjects_and_two_hours_at_weekends_holidays_and_vacations(kind: DayKind) -> None:
    day = ClassDay(grade=5, kind=kind, policy=NATIONAL)
    existing = [written("语文", 30), written("数学", 30), Load("英语", READING, 40)]
    too_many = check(day, existing, Load("科学", SPORT, 10))
    assert too_many is not None
    assert (too_many.rule, too_many.cap) == ("HW-3", 3)
    assert check(day, existing, Load("英语", READING, 20)) is None  # exactly 120 min
    too_long = check(day, existing, Load("英语", READING, 21))
    assert too_long is not None
    assert (too_long.rule, too_long.cap, too_long.assigned_minutes) == ("HW-3", 120, 100)


def test_hw3_the_weekend_total_counts_practical_homework_too() -> None:
    day = ClassDay(grade=7, kind=DayKind.WEEKEND, policy=NATIONAL)
    refusal = check(day, [Load("体育", SPORT, 60), written("语文", 50)], written("数学", 11))
    assert refusal is not None
    assert (refusal.rule, refusal.cap) == ("HW-3", 120)


def test_hw3_the_limits_are_settings() -> None:
    policy = PolicySettings(max_subjects_school_day=1, max_subjects_weekend=2, max_minutes_weekend_holiday=90)
    assert check(school_day(3, policy), [written("语文", 10)], written("数学", 10)) is not None
    weekend = ClassDay(grade=3, kind=DayKind.WEEKEND, policy=policy)
    refusal = check(weekend, [Load("体育", SPORT, 60)], Load("语文", READING, 31))
    assert refusal is not None
    assert refusal.cap == 90


# --- HW-4 -------------------------------------------------------------------------------------------------------


def test_hw4_the_room_left_under_each_cap() -> None:
    left = room(school_day(3, PER_GRADE), [written("语文", 20), Load("体育", SPORT, 30)])
    assert (left.written_cap, left.written_left, left.subjects_cap, left.subjects_left) == (30, 10, 2, 0)
    assert left.total_cap is None
    assert left.total_left is None
    weekend = room(ClassDay(grade=6, kind=DayKind.WEEKEND, policy=NATIONAL), [written("语文", 50)])
    assert (weekend.written_left, weekend.subjects_left, weekend.total_cap, weekend.total_left) == (10, 2, 120, 70)


def test_hw4_a_refusal_names_the_cap_and_the_other_assignments_of_the_day() -> None:
    refusal = check(school_day(3), [written("语文", 40), written("数学", 15)], written("数学", 10))
    assert refusal is not None
    assert "60 min" in refusal.reason
    assert "55 min already set" in refusal.reason
    assert refusal.minutes_by_subject == {"语文": 40, "数学": 15}


# --- HW-6 -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["for_parents", "graded_by_parents", "via_phone", "punitive"])
def test_hw6_homework_for_parents_graded_by_parents_or_through_phones_is_refused(flag: str) -> None:
    refusal = refuse_forbidden(Forbidden(**{flag: True}))
    assert refusal is not None
    assert refusal.rule == "HW-6"


def test_hw6_ordinary_homework_is_not_forbidden() -> None:
    assert refuse_forbidden(Forbidden()) is None
