"""The late-upload rules (AT-8, LATE-1..3): what arrives long after the moment it describes."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from chassis.clock import SCHOOL_TZ
from services.attendance.domain.late_uploads import is_history, is_late, not_before

pytestmark = [pytest.mark.unit]

AT_1500 = datetime(2026, 11, 25, 15, 0, tzinfo=SCHOOL_TZ)


def test_late1_a_fact_is_late_only_when_it_arrives_more_than_two_minutes_after_its_device_time() -> None:
    assert not is_late(AT_1500, AT_1500 + timedelta(seconds=3))
    assert not is_late(AT_1500, AT_1500 + timedelta(minutes=2))
    assert is_late(AT_1500, AT_1500 + timedelta(minutes=2, seconds=1))
    assert is_late(AT_1500, AT_1500 + timedelta(hours=7))
    assert not is_late(AT_1500, AT_1500 - timedelta(seconds=30))  # a device clock a little ahead is not late


def test_late3_a_timer_set_more_than_five_minutes_after_its_moment_judges_history() -> None:
    dismissal_check = AT_1500.replace(hour=17, minute=15)
    assert not is_history(dismissal_check, dismissal_check - timedelta(hours=2))  # set in time
    assert not is_history(dismissal_check, dismissal_check + timedelta(minutes=5))  # a slow tick still fires
    assert is_history(dismissal_check, dismissal_check + timedelta(minutes=5, seconds=1))
    assert is_history(dismissal_check, AT_1500.replace(hour=22))  # the 22:00 upload


def test_late3_the_next_rung_of_a_ladder_that_fired_late_is_due_from_now() -> None:
    now = AT_1500.replace(hour=18, minute=30)
    assert not_before(AT_1500.replace(hour=17, minute=45), now) == now
    assert not_before(AT_1500.replace(hour=18, minute=45), now) == AT_1500.replace(hour=18, minute=45)
