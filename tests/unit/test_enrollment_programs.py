"""Program rules without I/O (EN-4, EN-5, EN-6): what a school's policy lets it publish."""

from __future__ import annotations

from datetime import time

import pytest

from contracts.enrollment import ProgramKind
from contracts.policy import PolicySettings
from services.enrollment.domain.programs import (
    ProgramRuleBroken,
    Schedule,
    check_capacity,
    check_schedule,
    ends_at,
    offered,
)

pytestmark = pytest.mark.unit

POLICY = PolicySettings()
WEEK = [0, 1, 2, 3, 4]


def homework(**changes: object) -> Schedule:
    values: dict[str, object] = {
        "kind": ProgramKind.HOMEWORK_SUPERVISION,
        "weekdays": WEEK,
        "starts_at": time(15, 40),
        "class_hours": 2,
        "min_grade": 1,
        "max_grade": 2,
    }
    return Schedule(**(values | changes))  # type: ignore[arg-type]


def refused(schedule: Schedule, policy: PolicySettings = POLICY) -> str:
    with pytest.raises(ProgramRuleBroken) as error:
        check_schedule(schedule, policy)
    return error.value.rule


def test_en_5_the_base_service_runs_five_days_at_least_two_class_hours() -> None:
    check_schedule(homework(), POLICY)
    assert refused(homework(weekdays=[0, 1, 2, 3])) == "EN-5"
    assert refused(homework(class_hours=1)) == "EN-5"
    check_schedule(homework(class_hours=1), POLICY.model_copy(update={"min_class_hours_per_day": 1}))


def test_en_5_a_session_ends_by_the_latest_end_in_the_schools_class_hours() -> None:
    assert ends_at(time(16, 55), 2, 40) == time(18, 15)
    check_schedule(homework(starts_at=time(16, 55)), POLICY)
    assert refused(homework(starts_at=time(16, 56))) == "EN-5"
    # 45-minute class-hours make the same start too late (PL-1: the school's own length)
    assert refused(homework(starts_at=time(16, 55)), POLICY.model_copy(update={"class_hour_minutes": 45})) == "EN-5"
    assert ends_at(time(23, 0), 2, 40) is None


def test_en_4_clubs_meet_on_school_weekdays_for_a_grade_range() -> None:
    club = homework(kind=ProgramKind.CLUB, weekdays=[2], class_hours=1, min_grade=3, max_grade=6)
    check_schedule(club, POLICY)
    assert refused(homework(kind=ProgramKind.CLUB, weekdays=[6])) == "EN-5"
    assert refused(homework(kind=ProgramKind.CLUB, weekdays=[])) == "EN-5"
    assert refused(homework(kind=ProgramKind.CLUB, weekdays=[2, 2])) == "EN-5"
    assert refused(homework(kind=ProgramKind.CLUB, min_grade=4, max_grade=3)) == "EN-4"


def test_en_6_optional_services_only_when_the_policy_offers_them() -> None:
    early = homework(kind=ProgramKind.EARLY_ARRIVAL, starts_at=time(7, 20), class_hours=1)
    assert not offered(ProgramKind.EARLY_ARRIVAL, POLICY)
    assert offered(ProgramKind.CLUB, POLICY)
    assert refused(early) == "EN-6"
    check_schedule(early, POLICY.model_copy(update={"offers_early_arrival": True}))


def test_bx_1_capacity_never_below_the_places_held() -> None:
    check_capacity(3, 3)
    with pytest.raises(ProgramRuleBroken, match="capacity 2 is below the 3 places already held"):
        check_capacity(2, 3)
