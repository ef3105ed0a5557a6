"""The duty roster's rules (AT-6, AT-10): a day's duty leaders are named once each and hold the duty-leader role."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from contracts.enrollment import StaffRole
from services.enrollment.domain.setup import RuleBroken, require_role


def check_duty_leaders(staff_ids: Sequence[str], roles: Mapping[str, Iterable[str]]) -> list[str]:
    """AT-6: the day's duty leaders, sorted and without repeats; each must hold the duty-leader role (`roles` gives
    each named person's roles)."""
    leaders = sorted(set(staff_ids))
    if not leaders:
        raise RuleBroken("a duty roster names at least one duty leader (DELETE clears a day)", rule="AT-6")
    for staff_id in leaders:
        require_role(roles[staff_id], StaffRole.DUTY_LEADER, rule="AT-6")
    return leaders
