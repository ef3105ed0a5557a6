"""Pure session rules: which programs run on a day, their times, who is expected (issue 4 §1; EN-4, EN-5)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from chassis.clock import SCHOOL_TZ
from services.attendance.domain.sessions import (
    ProgramFacts,
    expected_by_grade,
    parse_session_id,
    runs_on,
    session_id_of,
    session_times,
    session_view,
)

pytestmark = pytest.mark.unit

WEDNESDAY = date(2026, 9, 16)


def program(**changes: object) -> ProgramFacts:
    values: dict[str, object] = {
        "program_id": "p1",
        "school_id": "s1",
        "term_id": "t1",
        "kind": "homework_supervision",
        "room_id": "r1",
        "teacher_ids": ("t-1",),
        "weekdays": (0, 2, 4),
        "starts_at": time(16, 0),
        "class_hours": 2,
        "min_grade": 3,
        "max_grade": 4,
        "cancelled_on": None,
    }
    return ProgramFacts(**(values | changes))  # type: ignore[arg-type]


def test_session_ids_are_deterministic_and_parse_back() -> None:
    assert session_id_of("club:chess", WEDNESDAY) == "club:chess:2026-09-16"
    assert parse_session_id("club:chess:2026-09-16") == ("club:chess", WEDNESDAY)
    assert parse_session_id("nonsense") is None
    assert parse_session_id("p1:2026-13-01") is None


def test_a_program_runs_on_its_weekdays_of_school_days_until_cancelled() -> None:
    assert runs_on(program(), WEDNESDAY, school_day=True)
    assert not runs_on(program(), date(2026, 9, 15), school_day=True)  # a Tuesday
    assert not runs_on(program(), WEDNESDAY, school_day=False)  # EN-5: holidays, weekends, vacations
    assert not runs_on(program(cancelled_on=WEDNESDAY), WEDNESDAY, school_day=True)
    assert runs_on(program(cancelled_on=date(2026, 9, 17)), WEDNESDAY, school_day=True)


def test_en5_session_length_is_class_hours_of_the_schools_length_capped_by_the_latest_end() -> None:
    start, end = session_times(program(), WEDNESDAY, class_hour_minutes=45, latest_end=time(18, 15), tz=SCHOOL_TZ)
    assert (start, end) == (datetime(2026, 9, 16, 8, 0, tzinfo=UTC), datetime(2026, 9, 16, 9, 30, tzinfo=UTC))
    late = program(starts_at=time(17, 30))
    _, capped = session_times(late, WEDNESDAY, class_hour_minutes=45, latest_end=time(18, 15), tz=SCHOOL_TZ)
    assert capped == datetime(2026, 9, 16, 10, 15, tzinfo=UTC)


def test_only_children_of_the_programs_grades_are_expected_sorted_once() -> None:
    assert expected_by_grade(program(), [("b", 3), ("a", 4), ("c", 5), ("d", 2)]) == ("a", "b")
    view = session_view(
        program(),
        WEDNESDAY,
        starts_at=datetime(2026, 9, 16, 8, tzinfo=UTC),
        ends_at=datetime(2026, 9, 16, 9, tzinfo=UTC),
        expected=["b", "a", "b"],
    )
    assert view.session_id == "p1:2026-09-16"
    assert view.expected_student_ids == ("a", "b")
