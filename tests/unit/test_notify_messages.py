"""What a guardian is told (NT-1): the school-local clock time in the message texts. No I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chassis.clock import SCHOOL_TZ
from services.notify.domain.attendance_messages import checked_out_message
from services.notify.domain.messages import check_in_message, school_clock

pytestmark = pytest.mark.unit

OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


@given(st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2100, 1, 1), timezones=st.just(UTC) | OFFSETS))
def test_the_school_clock_is_the_shanghai_wall_clock_whatever_offset_the_device_reported(moment: datetime) -> None:
    assert school_clock(moment) == moment.astimezone(SCHOOL_TZ).strftime("%H:%M")


def test_a_morning_check_in_and_check_out_name_the_shanghai_time_with_leading_zeros() -> None:
    morning = datetime(2026, 11, 24, 23, 5, tzinfo=UTC)  # 07:05 on the 25th in Shanghai
    assert check_in_message("小明", morning, "zh").body == "小明已于07:05签到参加课后服务。"
    assert (
        check_in_message("Xiaoming", morning, "en").body == "Xiaoming checked in to the after-school service at 07:05."
    )
    collected = checked_out_message("小明", morning, "pickup_person", "zh", "母亲", "王芳")
    assert collected.body == "小明已于07:05由母亲王芳接走。"
