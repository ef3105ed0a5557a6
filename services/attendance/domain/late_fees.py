"""Late-pickup fees (BX-5) from check-out times, in integer fen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from contracts.policy import PolicySettings


@dataclass(frozen=True)
class LateFee:
    """What a late pickup costs: minutes after the grace, started blocks, and the fee."""

    minutes_late: int
    blocks: int
    fee_fen: int


def late_pickup_fee(dismissed_at: datetime, checked_out_at: datetime, policy: PolicySettings) -> LateFee | None:
    """BX-5: when the school charges (`late_pickup_fee_fen` > 0), each *started* block of
    `late_pickup_block_minutes` after dismissal plus the grace (`not_collected_after_minutes`) costs the fee;
    None when nothing is owed."""
    if policy.late_pickup_fee_fen <= 0:
        return None
    late = checked_out_at - (dismissed_at + timedelta(minutes=policy.not_collected_after_minutes))
    if late <= timedelta(0):
        return None
    block = timedelta(minutes=policy.late_pickup_block_minutes)
    blocks = -(-late // block)  # ceiling division of timedeltas: a started block counts whole
    return LateFee(
        minutes_late=int(late.total_seconds() // 60), blocks=blocks, fee_fen=blocks * policy.late_pickup_fee_fen
    )
