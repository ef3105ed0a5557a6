"""Commands of policy profiles (PL-1, PL-2): rules → store + audit + events, each inside one unit of work.

After every change each affected school's resolved settings are re-published (`PolicyProfileSet`) for the
change point in force on the change's effective date and every later change point, so attendance, homework and
stipend, which keep their own copies, never need to ask enrollment. A change whose resolved settings would
break a rule for any affected school is refused as a whole: nothing is kept, audited or published.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from chassis.auth import Principal
from chassis.clock import school_today
from chassis.problems import NotFound
from chassis.uow import UnitOfWork
from contracts.enrollment import PolicyProfileSet
from contracts.policy import PolicySettings
from services.enrollment.domain.policy import (
    Overrides,
    change_points,
    check_effective_from,
    check_settings,
    parse_overrides,
    parse_settings,
    resolve,
)
from services.enrollment.policy import store
from services.enrollment.policy.schemas import DistrictDefaultBody, SchoolOverridesBody
from services.enrollment.setup.handlers import refusing
from services.enrollment.setup.store import term_in_school
from services.enrollment.store import School

District = Sequence[tuple[date, PolicySettings]]


@dataclass(frozen=True)
class ProfileChange:
    """What a change did: whether anything changed, and how many schools and profiles were re-published."""

    scope: str
    effective_from: date
    changed: bool
    schools: int
    profiles_published: int


def _today(uow: UnitOfWork) -> date:
    return school_today(uow.clock)


async def _district_defaults(uow: UnitOfWork, district_id: str) -> District:
    records = await store.district_records(uow.session, district_id=district_id)
    return [(d, PolicySettings.model_validate(s)) for d, s in records]


async def _republish(uow: UnitOfWork, school_id: str, district: District, since: date) -> int:
    """PL-1/PL-2: resolve, check and publish the school's change points from `since`; how many were published."""
    school: Sequence[tuple[date, Overrides]] = await store.school_records(uow.session, school_id=school_id)
    points = change_points([d for d, _ in district] + [d for d, _ in school], since)
    for point in points:
        with refusing():
            settings = check_settings(resolve(district, school, point), where=f"school '{school_id}' from {point}: ")
        version = await store.next_version(uow.session, school_id=school_id)
        row = await uow.session.get(store.ResolvedProfile, (school_id, point))
        if row is None:
            row = store.ResolvedProfile(school_id=school_id, effective_from=point)
            uow.session.add(row)
        row.version, row.settings = version, settings.model_dump(mode="json")
        event = PolicyProfileSet(school_id=school_id, effective_from=point, version=version, settings=settings)
        await uow.publish(event, school_id=school_id)
    await uow.session.flush()
    return len(points)


def _audit(
    uow: UnitOfWork,
    by: Principal,
    change: ProfileChange,
    district_id: str,
    school_id: str | None,
    *,
    before: dict[str, Any] | None,
    after: dict[str, Any],
) -> None:
    """PL-2: who (`by`) changed which scope, when, from which date, and the values `before` and `after`."""
    uow.session.add(
        store.PolicyAudit(
            district_id=district_id,
            school_id=school_id,
            scope=change.scope,
            effective_from=change.effective_from,
            actor=by.subject,
            actor_role=str(by.role),
            at=uow.clock.now(),
            before=before,
            after=after,
        )
    )


async def lock_district_policy(uow: UnitOfWork, district_id: str) -> None:
    """PL-1: a district change and a school registering in that district take turns, so the new school either
    sees the change or is among the schools it re-publishes (never neither)."""
    await uow.lock(f"district-policy:{district_id}")


async def set_district_default(
    uow: UnitOfWork, body: DistrictDefaultBody, *, district_id: str, by: Principal
) -> ProfileChange:
    """PL-1/PL-2: a district operator (`by`) publishes the district default from its date: kept, and every school
    of the district re-published."""
    with refusing():
        check_effective_from(body.effective_from, _today(uow))
        after = check_settings(parse_settings(body.settings)).model_dump(mode="json")
    await lock_district_policy(uow, district_id)
    schools = await store.lock_schools(uow.session, district_id=district_id)
    key = (district_id, body.effective_from)
    existing = await uow.session.get(store.DistrictProfile, key)
    if existing is not None and existing.settings == after:
        return ProfileChange("district", body.effective_from, False, len(schools), 0)
    previous = await store.district_profile_in_force(uow.session, district_id=district_id, on=body.effective_from)
    before = previous.settings if previous is not None else None
    if existing is None:
        existing = store.DistrictProfile(district_id=district_id, effective_from=body.effective_from)
        uow.session.add(existing)
    existing.settings = after
    await uow.session.flush()
    district = await _district_defaults(uow, district_id)
    published = 0
    for school in schools:
        published += await _republish(uow, school.school_id, district, body.effective_from)
    change = ProfileChange("district", body.effective_from, True, len(schools), published)
    _audit(uow, by, change, district_id, None, before=before, after=after)
    return change


async def set_school_overrides(
    uow: UnitOfWork, body: SchoolOverridesBody, *, school_id: str, by: Principal
) -> ProfileChange:
    """PL-1/PL-2: a school admin (`by`) sets the school's own overrides from their date (replacing earlier ones):
    kept, and the school's change points re-published from then."""
    with refusing():
        check_effective_from(body.effective_from, _today(uow))
        after = parse_overrides(body.overrides)
    locked = await store.lock_schools(uow.session, school_id=school_id)
    if not locked:
        raise NotFound("the school of this token is not registered")
    school = locked[0]
    key = (school_id, body.effective_from)
    existing = await uow.session.get(store.SchoolOverrides, key)
    if existing is not None and existing.overrides == after:
        return ProfileChange("school", body.effective_from, False, 1, 0)
    previous = await store.overrides_in_force(uow.session, school_id=school_id, on=body.effective_from)
    before = previous.overrides if previous is not None else None
    if existing is None:
        existing = store.SchoolOverrides(school_id=school_id, effective_from=body.effective_from)
        uow.session.add(existing)
    existing.overrides = after
    await uow.session.flush()
    district = await _district_defaults(uow, school.district_id)
    published = await _republish(uow, school.school_id, district, body.effective_from)
    change = ProfileChange("school", body.effective_from, True, 1, published)
    _audit(uow, by, change, school.district_id, school.school_id, before=before, after=after)
    return change


async def publish_profiles_of_new_school(uow: UnitOfWork, school: School) -> None:
    """PL-1: a school registered after its district published a default gets its resolved profiles too."""
    district = await _district_defaults(uow, school.district_id)
    if district:
        await _republish(uow, school.school_id, district, _today(uow))


async def policy_for_term(uow: UnitOfWork, *, school_id: str, term_id: str) -> PolicySettings:
    """PL-1: the settings in force for the term: on its first day, or today once it has begun; 404 if unknown."""
    term = await term_in_school(uow.session, school_id=school_id, term_id=term_id)
    if term is None:
        raise NotFound(f"no term '{term_id}' in this school")
    return await store.settings_in_force(
        uow.session, school_id=school_id, on=max(term.starts_on, school_today(uow.clock))
    )
