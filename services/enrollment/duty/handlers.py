"""Commands of the duty roster: set or clear a day's duty leaders, announced as `DutyRosterSet` (AT-6)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from chassis.problems import NotFound
from chassis.uow import UnitOfWork
from contracts.enrollment import DutyRosterSet
from services.enrollment.domain.duty import check_duty_leaders
from services.enrollment.duty import store
from services.enrollment.setup import store as setup
from services.enrollment.setup.handlers import refusing


@dataclass(frozen=True)
class SetDutyRoster:
    """Command: a school admin names the duty leaders of one day of their school."""

    school_id: str
    day: date
    staff_ids: list[str]
    by: str


async def set_duty_roster(uow: UnitOfWork, command: SetDutyRoster) -> list[str]:
    """AT-6: the day's duty leaders become exactly those named; announced only when the list changed, so a repeated
    PUT changes nothing."""
    roles: dict[str, list[str]] = {}
    named: list[str] = []  # stored ids, whether the body gave them or the school's codes (issue 11)
    for staff_id in command.staff_ids:
        staff = await setup.staff_in_school(uow.session, school_id=command.school_id, staff_id=staff_id)
        if staff is None:  # another school's staff is as unknown as nobody
            raise NotFound(f"no member of staff '{staff_id}' in this school")
        roles[staff.staff_id] = staff.roles
        named.append(staff.staff_id)
    with refusing():
        leaders = check_duty_leaders(named, roles)
    if await store.leaders_on(uow.session, school_id=command.school_id, day=command.day) == leaders:
        return leaders
    await store.clear_day(uow.session, school_id=command.school_id, day=command.day)
    now = uow.clock.now()
    uow.session.add_all(
        store.DutyAssignment(
            school_id=command.school_id, day=command.day, staff_id=s, assigned_by=command.by, assigned_at=now
        )
        for s in leaders
    )
    await uow.session.flush()
    await _announce(uow, command.school_id, command.day, leaders)
    return leaders


async def clear_duty_roster(uow: UnitOfWork, *, school_id: str, day: date) -> None:
    """Nobody is on duty on the day any more (404 when nobody was); announced with an empty list."""
    if not await store.leaders_on(uow.session, school_id=school_id, day=day):
        raise NotFound(f"nobody is on this school's duty roster on {day}")
    await store.clear_day(uow.session, school_id=school_id, day=day)
    await _announce(uow, school_id, day, [])


async def _announce(uow: UnitOfWork, school_id: str, day: date, leaders: list[str]) -> None:
    await uow.publish(DutyRosterSet(school_id=school_id, day=day, staff_ids=leaders), school_id=school_id)
