"""Pickup rules without I/O: only authorised people (AT-5), restricted people raise an alert (BX-2)."""

from __future__ import annotations

import pytest

from contracts.attendance.dismissal import DismissalMode, RefusalReason, Release
from services.attendance.domain.pickup import (
    PersonStanding,
    judge_pickup,
    judge_walk_alone,
    staff_release_fits_plan,
    standing_of,
)

pytestmark = pytest.mark.unit


def test_at5_an_authorised_person_takes_the_child() -> None:
    assert judge_pickup(PersonStanding.AUTHORISED) is None


def test_at5_someone_not_on_the_list_is_refused_without_an_urgent_alert() -> None:
    refusal = judge_pickup(PersonStanding.UNKNOWN)
    assert refusal is not None
    assert (refusal.reason, refusal.restricted, refusal.rule) == (RefusalReason.NOT_AUTHORISED, False, "AT-5")


def test_bx2_a_restricted_person_is_refused_and_flagged_urgent() -> None:
    refusal = judge_pickup(PersonStanding.RESTRICTED)
    assert refusal is not None
    assert (refusal.reason, refusal.restricted, refusal.rule) == (RefusalReason.RESTRICTED, True, "BX-2")
    assert "custody" in refusal.detail()


def test_bx2_a_restriction_outranks_removal_and_a_removed_person_is_unknown() -> None:
    assert standing_of(restricted=True, removed=True) is PersonStanding.RESTRICTED
    assert standing_of(restricted=False, removed=True) is PersonStanding.UNKNOWN
    assert standing_of(restricted=False, removed=False) is PersonStanding.AUTHORISED


def test_at5_a_child_walks_home_alone_only_with_the_standing_permission() -> None:
    assert judge_walk_alone(True) is None
    refusal = judge_walk_alone(False)
    assert refusal is not None
    assert refusal.reason is RefusalReason.NO_WALK_PERMISSION


def test_bx5_staff_hand_a_child_to_the_bus_only_on_a_bus_day() -> None:
    assert staff_release_fits_plan(Release.BUS, DismissalMode.BUS)
    assert not staff_release_fits_plan(Release.BUS, DismissalMode.GUARDIAN)
    assert not staff_release_fits_plan(Release.PROGRAM, DismissalMode.BUS)
    assert staff_release_fits_plan(Release.PICKUP_PERSON, DismissalMode.BUS)  # a guardian may still come instead
