"""School set-up rules: grade bands and staff roles, and the error every set-up or policy rule raises."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from contracts.enrollment import StaffRole

GRADES = range(1, 10)
SCHOOL_ONLY_ROLES = frozenset(
    {StaffRole.CLASS_TEACHER, StaffRole.SUBJECT_TEACHER, StaffRole.DUTY_LEADER, StaffRole.SCHOOL_ADMIN}
)


class RuleBroken(ValueError):
    """A set-up or policy change a rule forbids; carries the rule id and the field at fault for the API."""

    def __init__(self, message: str, *, rule: str, field: str | None = None) -> None:
        super().__init__(message)
        self.rule = rule
        self.field = field


def check_band(grades: Iterable[int], others: Mapping[str, Iterable[int]]) -> list[int]:
    """AT-4/EN-4: a band's grades are 1..9, given once, and in no other band of the school; sorted."""
    wanted = sorted(grades)
    if not wanted:
        raise RuleBroken("a grade band needs at least one grade", rule="AT-4", field="grades")
    if any(grade not in GRADES for grade in wanted):
        raise RuleBroken(f"grades are 1 to 9, not {wanted}", rule="AT-4", field="grades")
    if len(set(wanted)) != len(wanted):
        raise RuleBroken(f"a grade is given twice in {wanted}", rule="AT-4", field="grades")
    for band_id, taken in others.items():
        shared = sorted(set(wanted) & set(taken))
        if shared:
            raise RuleBroken(f"grades {shared} are already in band '{band_id}'", rule="AT-4", field="grades")
    return wanted


def check_staff_roles(roles: Iterable[StaffRole], *, external: bool) -> list[StaffRole]:
    """An external provider's teacher runs sessions only; school staff are not external providers; sorted."""
    held = sorted(set(roles))
    if not held:
        raise RuleBroken("a member of staff needs at least one role", rule="EN-4", field="roles")
    if external and SCHOOL_ONLY_ROLES & set(held):
        school_only = sorted(SCHOOL_ONLY_ROLES & set(held))
        raise RuleBroken(f"an external provider cannot be {', '.join(school_only)}", rule="EN-4", field="roles")
    if not external and StaffRole.EXTERNAL_PROVIDER in held:
        raise RuleBroken("the external_provider role needs external = true", rule="EN-4", field="external")
    return held


def require_role(roles: Iterable[str], role: StaffRole, *, rule: str) -> None:
    """The member of staff must hold `role` for what is asked of them."""
    if role not in set(roles):
        raise RuleBroken(f"this member of staff does not hold the {role} role", rule=rule, field="staff_id")
