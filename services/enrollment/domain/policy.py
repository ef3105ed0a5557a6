"""Policy profile rules (PL-1, PL-2): validating settings and resolving a school's settings on a day.

Pure functions: no I/O. Field ranges come from `contracts.policy.PolicySettings` (pydantic); the cross-field
rules are here, each refusal naming its rule id and the field at fault. A district default is a full set of
settings from an effective date; a school's overrides are a partial set of fields from an effective date,
replacing that school's earlier overrides from then on, and each overridden field replaces the district's whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time
from typing import Any, TypeVar

from pydantic import ValidationError

from contracts.policy import PolicySettings
from services.enrollment.domain.setup import GRADES, RuleBroken

T = TypeVar("T")

Overrides = Mapping[str, Any]
"""A partial set of `PolicySettings` fields (JSON values), as a school sets them."""

MAX_WRITTEN_CAP_MINUTES = 180
# EN-5 counts the service from the end of regular classes; no document puts that before 15:00, so the 5+2
# minimum (min class-hours × class-hour length) must fit between 15:00 and the latest end.
SERVICE_STARTS_NO_EARLIER = time(15, 0)


@dataclass(frozen=True)
class Violation:
    """One broken rule: its id, the field at fault and why."""

    rule: str
    field: str
    message: str


def in_force(records: Sequence[tuple[date, T]], on: date) -> T | None:
    """PL-1: the record with the latest effective date not after `on` (None before the first)."""
    best: tuple[date, T] | None = None
    for effective_from, record in records:
        if effective_from <= on and (best is None or effective_from > best[0]):
            best = (effective_from, record)
    return best[1] if best is not None else None


def apply_overrides(base: PolicySettings, overrides: Overrides) -> PolicySettings:
    """The base settings with the school's overridden fields replaced (a whole field at a time)."""
    if not overrides:
        return base
    return parse_settings({**base.model_dump(mode="json"), **overrides})


def resolve(
    district: Sequence[tuple[date, PolicySettings]], school: Sequence[tuple[date, Overrides]], on: date
) -> PolicySettings:
    """PL-1: the district default in force on `on` (else the national default) with the school's overrides on top."""
    base = in_force(district, on) or PolicySettings()
    return apply_overrides(base, in_force(school, on) or {})


def change_points(dates: Iterable[date], since: date) -> list[date]:
    """PL-1: the change points to (re)publish from `since`: the one in force on `since` and every later one."""
    ordered = sorted(set(dates))
    current = [d for d in ordered if d <= since][-1:]
    return current + [d for d in ordered if d > since]


def check_effective_from(effective_from: date, today: date) -> None:
    """PL-1: a change takes effect today or later; past days stay judged by the profile in force then."""
    if effective_from < today:
        raise RuleBroken(
            f"effective_from {effective_from} is in the past (the school's date is {today}); past days keep "
            "the profile that was in force",
            rule="PL-1",
            field="effective_from",
        )


def _field_of(error: ValidationError) -> str:
    first = error.errors()[0]
    return ".".join(str(part) for part in first.get("loc", ())) or "settings"


def parse_settings(values: Mapping[str, Any]) -> PolicySettings:
    """PL-2: settings from JSON values; a value out of its range or of the wrong type names its field."""
    try:
        return PolicySettings.model_validate(dict(values))
    except ValidationError as error:
        field = _field_of(error)
        raise RuleBroken(f"{field}: {error.errors()[0]['msg']}", rule="PL-2", field=field) from error


def parse_overrides(values: Mapping[str, Any]) -> dict[str, Any]:
    """PL-2: a school's overrides, each field checked against its range, in canonical JSON form."""
    unknown = sorted(set(values) - set(PolicySettings.model_fields))
    if unknown:
        raise RuleBroken(f"'{unknown[0]}' is not a policy setting", rule="PL-2", field=unknown[0])
    canonical = parse_settings({**PolicySettings().model_dump(mode="json"), **values}).model_dump(mode="json")
    return {name: canonical[name] for name in sorted(values)}


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def violations(settings: PolicySettings) -> list[Violation]:
    """PL-2: every cross-field rule the settings break (empty when they are consistent)."""
    found: list[Violation] = []
    if not settings.extended_care_end_winter <= settings.extended_care_end <= settings.latest_end:
        found.append(
            Violation("EN-5", "extended_care_end", "extended_care_end_winter ≤ extended_care_end ≤ latest_end")
        )
    for grade, moment in sorted(settings.dismissal_times.items()):
        if grade not in GRADES:
            found.append(Violation("AT-4", f"dismissal_times.{grade}", "grades are 1 to 9"))
        elif moment > settings.latest_end:
            found.append(Violation("EN-5", f"dismissal_times.{grade}", f"dismissal {moment} is after latest_end"))
    earliest_dismissal = min(settings.dismissal_times.values(), default=settings.latest_end)
    if settings.dismissal_plan_cutoff > earliest_dismissal:
        found.append(
            Violation("BX-5", "dismissal_plan_cutoff", f"the cutoff is after the first dismissal {earliest_dismissal}")
        )
    for grade, cap in sorted(settings.written_minutes_cap_by_grade.items()):
        field = f"written_minutes_cap_by_grade.{grade}"
        if grade not in GRADES:
            found.append(Violation("HW-2", field, "grades are 1 to 9"))
        elif grade <= 2 and cap != 0:
            found.append(Violation("HW-1", field, "grades 1–2 get no written homework: leave the cap out or 0"))
        elif not 0 <= cap <= MAX_WRITTEN_CAP_MINUTES:
            found.append(Violation("HW-2", field, f"a daily cap is 0 to {MAX_WRITTEN_CAP_MINUTES} minutes"))
    session_minutes = settings.min_class_hours_per_day * settings.class_hour_minutes
    if _minutes(SERVICE_STARTS_NO_EARLIER) + session_minutes > _minutes(settings.latest_end):
        found.append(
            Violation(
                "EN-5",
                "min_class_hours_per_day",
                f"{settings.min_class_hours_per_day} class-hours of {settings.class_hour_minutes} min do not fit "
                f"between {SERVICE_STARTS_NO_EARLIER} and latest_end {settings.latest_end}",
            )
        )
    return found


def check_settings(settings: PolicySettings, where: str = "") -> PolicySettings:
    """PL-2: the settings, if consistent; otherwise the first broken rule (prefixed with `where`)."""
    broken = violations(settings)
    if broken:
        first = broken[0]
        raise RuleBroken(f"{where}{first.field}: {first.message}", rule=first.rule, field=first.field)
    return settings
