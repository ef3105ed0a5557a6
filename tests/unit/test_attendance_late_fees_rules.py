"""Late-pickup fees without I/O (BX-5): per started block after dismissal and grace, in integer fen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.policy import PolicySettings
from services.attendance.domain.late_fees import late_pickup_fee

pytestmark = pytest.mark.unit

DISMISSED = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
CHARGING = PolicySettings(late_pickup_fee_fen=1000, late_pickup_block_minutes=15, not_collected_after_minutes=15)


def test_bx5_no_fee_when_the_school_charges_none() -> None:
    assert late_pickup_fee(DISMISSED, DISMISSED + timedelta(hours=2), PolicySettings()) is None


def test_bx5_no_fee_within_the_grace() -> None:
    assert late_pickup_fee(DISMISSED, DISMISSED + timedelta(minutes=15), CHARGING) is None


def test_bx5_a_started_block_counts_whole() -> None:
    fee = late_pickup_fee(DISMISSED, DISMISSED + timedelta(minutes=16), CHARGING)
    assert fee is not None
    assert (fee.minutes_late, fee.blocks, fee.fee_fen) == (1, 1, 1000)
    fee = late_pickup_fee(DISMISSED, DISMISSED + timedelta(minutes=45, seconds=1), CHARGING)
    assert fee is not None
    assert (fee.blocks, fee.fee_fen) == (3, 3000)


@given(st.integers(min_value=1, max_value=600 * 60))
def test_bx5_the_fee_is_whole_fen_and_grows_with_lateness(seconds_late: int) -> None:
    at = DISMISSED + timedelta(minutes=15, seconds=seconds_late)
    fee = late_pickup_fee(DISMISSED, at, CHARGING)
    later = late_pickup_fee(DISMISSED, at + timedelta(minutes=1), CHARGING)
    assert fee is not None
    assert later is not None
    assert isinstance(fee.fee_fen, int)
    assert fee.fee_fen == fee.blocks * 1000
    assert fee.blocks == -(-seconds_late // (15 * 60))
    assert later.fee_fen >= fee.fee_fen
