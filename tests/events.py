"""Events that many tests publish, built in one place so each test names only what it is about."""

from __future__ import annotations

from datetime import datetime

from chassis.clock import SCHOOL_TZ
from contracts.attendance import CheckInMethod, StudentCheckedIn


def check_in(
    check_in_id: str,
    student_id: str,
    occurred_at: datetime,
    *,
    device_id: str = "s1-kiosk-gate",
    method: CheckInMethod = CheckInMethod.FACE,
) -> StudentCheckedIn:
    """AT-2: a child of school s1 checked in at `occurred_at`, for the session of that school-local day."""
    return StudentCheckedIn(
        check_in_id=check_in_id,
        student_id=student_id,
        school_id="s1",
        device_id=device_id,
        method=method,
        occurred_at=occurred_at,
        session_date=occurred_at.astimezone(SCHOOL_TZ).date().isoformat(),
    )
