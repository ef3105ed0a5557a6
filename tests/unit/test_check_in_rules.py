"""Check-in rules without I/O (AT-8): device time decides, within the allowed clock skew; sessions by school date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chassis.clock import FakeClock
from services.attendance.domain.check_in import (
    DeviceEvent,
    DeviceTimeRefused,
    DeviceWindow,
    Outcome,
    batch_counts,
    first_sightings,
    in_device_order,
    owns_device,
    session_date_for,
)

pytestmark = pytest.mark.unit

WINDOW = DeviceWindow(max_ahead=timedelta(minutes=5), max_age=timedelta(days=7))


def test_an_offline_upload_from_yesterday_keeps_its_device_time() -> None:
    clock = FakeClock(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    yesterday = datetime(2026, 11, 24, 8, 5, tzinfo=UTC)
    assert WINDOW.accept(yesterday, clock.now()) == yesterday


def test_a_device_clock_slightly_ahead_is_tolerated_and_far_ahead_is_refused() -> None:
    clock = FakeClock(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    assert WINDOW.accept(clock.now() + timedelta(minutes=4), clock.now())
    with pytest.raises(DeviceTimeRefused, match="ahead of the server clock"):
        WINDOW.accept(clock.now() + timedelta(minutes=6), clock.now())
    clock.advance(timedelta(minutes=2))  # once the server catches up, the same device time is fine
    assert WINDOW.accept(datetime(2026, 11, 25, 9, 6, tzinfo=UTC), clock.now())


def test_a_device_time_without_a_timezone_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        WINDOW.accept(datetime(2026, 11, 25, 16, 0), datetime(2026, 11, 25, 9, 0, tzinfo=UTC))


def test_at8_a_device_time_older_than_the_window_is_refused_and_one_inside_it_accepted() -> None:
    now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    assert WINDOW.accept(now - timedelta(days=7), now) == now - timedelta(days=7)
    with pytest.raises(DeviceTimeRefused, match="more than 7 days old"):
        WINDOW.accept(now - timedelta(days=7, seconds=1), now)
    with pytest.raises(DeviceTimeRefused, match="more than 7 days old"):
        WINDOW.accept(datetime(1, 1, 1, tzinfo=UTC), now)  # issue 11: year 0001 was accepted and tallied


def test_at8_a_device_reports_under_its_own_id() -> None:
    assert owns_device(is_kiosk=True, subject="s1-gate", device_id="s1-gate")
    assert not owns_device(is_kiosk=True, subject="s1-gate", device_id="s1-gate/2")
    assert owns_device(is_kiosk=False, subject="t-zhao", device_id="t-zhao")
    assert owns_device(is_kiosk=False, subject="t-zhao", device_id="t-zhao/phone")
    assert not owns_device(is_kiosk=False, subject="t-zhao", device_id="s1-gate")
    assert not owns_device(is_kiosk=False, subject="t-zhao", device_id="t-zhaoxx")


def test_the_session_is_the_schools_local_date_not_the_utc_date() -> None:
    late_evening_utc = datetime(2026, 11, 24, 17, 30, tzinfo=UTC)  # 01:30 on the 25th in Asia/Shanghai
    assert session_date_for(DeviceEvent("xiaoming", "s1-kiosk-gate", "card", late_evening_utc)) == "2026-11-25"


def test_a_fake_clock_refuses_naive_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        FakeClock(datetime(2026, 11, 25, 9, 0))


def test_at8_a_batch_is_applied_in_device_time_order_and_repeats_point_to_the_first() -> None:
    t = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    batch = [
        DeviceEvent("xiaoming", "gate", "card", t + timedelta(minutes=2)),
        DeviceEvent("xiaohong", "gate", "card", t),
        DeviceEvent("xiaoming", "gate", "card", t + timedelta(minutes=2)),  # the kiosk sent it twice
        DeviceEvent("xiaogang", "gate", "card", t + timedelta(minutes=1)),
    ]
    order = in_device_order(batch)
    assert order == [1, 3, 0, 2]
    firsts, repeats = first_sightings(batch, order)
    assert firsts == [1, 3, 0]
    assert repeats == {2: 0}


def test_a_batch_answer_counts_each_outcome_and_says_zero_for_one_that_never_happened() -> None:
    outcomes = [Outcome.CREATED, Outcome.REFUSED, Outcome.CREATED]
    assert batch_counts(outcomes) == {"created": 2, "duplicates": 0, "refused": 1}
