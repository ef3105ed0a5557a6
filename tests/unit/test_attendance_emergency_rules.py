"""Emergency early dismissal without I/O (AT-7, BX-7): who it covers, when it may be, one all-clear."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.attendance.domain.emergency import (
    BroadcastRefused,
    check_all_clear,
    check_dismiss_at,
    check_grades,
    covers,
)

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
REGULAR = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


def test_at7_a_broadcast_covers_the_whole_school_or_its_grades() -> None:
    assert check_grades([], [1, 2, 3]) == []
    assert check_grades([2, 1, 2], [1, 2, 3]) == [1, 2]
    assert covers([], 5)
    assert covers([1, 2], 2)
    assert not covers([1, 2], 3)
    with pytest.raises(BroadcastRefused, match="no grade 7"):
        check_grades([7], [1, 2, 3])


def test_at7_an_early_dismissal_is_neither_past_nor_later_than_usual() -> None:
    check_dismiss_at(NOW + timedelta(hours=1), NOW, REGULAR)
    with pytest.raises(BroadcastRefused, match="past"):
        check_dismiss_at(NOW - timedelta(hours=1), NOW, REGULAR)
    with pytest.raises(BroadcastRefused, match="later"):
        check_dismiss_at(REGULAR + timedelta(minutes=1), NOW, REGULAR)


def test_bx7_an_all_clear_ends_a_broadcast_once() -> None:
    check_all_clear(False)
    with pytest.raises(BroadcastRefused, match="already cleared"):
        check_all_clear(True)
