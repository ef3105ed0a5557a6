"""How long a child's personal data outlives their leaving (PIPL, issue 11).

PIPL Art. 19 keeps personal information only as long as its purpose needs. A leaving child's data still serves
the school for a while after the last day: the term's fees are settled and refunded (EN-7, ST-6), complaints and
the term's evaluation are answered. So it is kept for a period (a setting; 365 days by default, a school year and
its settlement) from the day the child left, and erased on the day after it ends.
"""

from __future__ import annotations

from datetime import date, timedelta

ERASED_NAME = "已删除"
"""What an erased child's or guardian's name reads from then on (the row stays, for the fees and counts)."""


def erase_on(left_on: date, retention_days: int) -> date:
    """The first day the personal data of a child who left on `left_on` is erased."""
    if retention_days < 1:
        raise ValueError("the retention period is at least a day")
    return left_on + timedelta(days=retention_days + 1)


def is_due(left_on: date | None, today: date, retention_days: int) -> bool:
    """Whether a child who left on `left_on` (None: still here) is to be erased today."""
    return left_on is not None and today >= erase_on(left_on, retention_days)


def last_left_on_due(today: date, retention_days: int) -> date:
    """The latest leaving day whose data is due today (a query bound: left on or before it)."""
    return today - timedelta(days=retention_days + 1)
