"""Roster reconciliation without I/O (BX-4): present at school, missing from the session; register uploads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.attendance.domain.reconciliation import (
    DayMark,
    DayStatus,
    RowError,
    check_due,
    missing_from_session,
    parse_register_csv,
)

pytestmark = pytest.mark.unit


def test_bx4_a_child_at_school_but_not_in_the_session_is_missing() -> None:
    missing = missing_from_session(
        expected=["xiaoming", "xiaohong", "xiaogang", "xiaoli", "xiaomei"],
        present_at_school=["xiaoming", "xiaohong", "xiaogang", "xiaomei"],
        checked_in=["xiaohong"],
        on_leave=["xiaogang"],
        checked_out=["xiaomei"],
    )
    assert missing == ["xiaoming"]  # 小丽 was absent from school all day: AT-3's business, not BX-4's


def test_bx4_a_child_present_at_school_and_not_expected_in_a_session_is_not_missing() -> None:
    assert missing_from_session(expected=[], present_at_school=["xiaoming"], checked_in=[], on_leave=[]) == []


def test_bx4_the_check_is_due_the_policys_minutes_after_the_start() -> None:
    start = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    assert check_due(start, 10) == start + timedelta(minutes=10)


def test_bx4_a_register_upload_reads_english_and_chinese_statuses() -> None:
    marks, errors = parse_register_csv(
        "\ufeffclass_id,student_id,status\ns1-3-1,xiaoming,present\ns1-3-1,xiaohong,缺勤\ns1-3-1,xiaogang, Absent \n"
    )
    assert errors == []
    assert marks == [
        DayMark("s1-3-1", "xiaoming", DayStatus.PRESENT),
        DayMark("s1-3-1", "xiaohong", DayStatus.ABSENT),
        DayMark("s1-3-1", "xiaogang", DayStatus.ABSENT),
    ]


def test_bx4_every_bad_row_of_a_register_is_reported_with_its_number() -> None:
    _, errors = parse_register_csv(
        "class_id,student_id,status\ns1-3-1,xiaoming,present\ns1-3-1,,present\ns1-3-1,xiaohong,late\n"
        "s1-3-1,xiaoming,absent\n"
    )
    assert errors == [
        RowError(2, "class_id and student_id are required"),
        RowError(3, "status 'late' is not present or absent"),
        RowError(4, "student 'xiaoming' is listed twice"),
    ]


def test_bx4_a_register_without_its_columns_is_refused_as_a_whole() -> None:
    marks, errors = parse_register_csv("student,status\nxiaoming,present\n")
    assert marks == []
    assert errors == [RowError(0, "missing column(s): class_id, student_id")]
