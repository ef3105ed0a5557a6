"""Dismissal plans, times, not-collected children and clearing the school, under `/attendance/v1`."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from chassis.app import RuntimeDep
from chassis.auth import Principal, Role, require
from chassis.http import Body, DutyLeader, IsoDate, Paging
from chassis.idempotency import IDEMPOTENT, respond_once
from chassis.pagination import Page, page_of
from chassis.problems import Forbidden, NotFound
from chassis.uow import UnitOfWork
from contracts.attendance.dismissal import DismissalMode
from services.attendance.dismissal import handlers, store
from services.attendance.domain.dismissal import dismissal_at, dismissal_bands
from services.attendance.domain.pickup import Actor
from services.attendance.reference import store as ref
from services.attendance.store import RosterStudent

router = APIRouter(prefix="/attendance/v1", tags=["dismissal"])

Day = Annotated[IsoDate, Query(alias="date", description="the school's local date")]

STAFF_ROLES = (Role.SERVICE_TEACHER, Role.CLASS_TEACHER, Role.DUTY_LEADER, Role.SCHOOL_ADMIN)
StaffButSubjectTeacher = Annotated[Principal, require(*STAFF_ROLES)]
StaffButSubjectTeacherOrGuardian = Annotated[Principal, require(Role.GUARDIAN, *STAFF_ROLES)]
AdminOrDutyLeader = Annotated[Principal, require(Role.DUTY_LEADER, Role.SCHOOL_ADMIN)]


async def actor_of(session: AsyncSession, principal: Principal) -> Actor:
    """The caller as the check-out rules see them; a class teacher acts only for their own classes."""
    if principal.role is Role.KIOSK:
        return Actor("kiosk", principal.subject)
    if principal.role is Role.GUARDIAN:
        return Actor("guardian", principal.subject)
    if principal.role is Role.CLASS_TEACHER:
        classes = await ref.classes_of_teacher(session, school_id=principal.school(), staff_id=principal.subject)
        return Actor("staff", principal.subject, tuple(classes))
    return Actor("staff", principal.subject)


async def visible_child(session: AsyncSession, principal: Principal, student_id: str) -> RosterStudent:
    """The child if the caller may see them (their school; a guardian's own child; a class teacher's class)."""
    child = await ref.student(session, school_id=principal.school(), student_id=student_id)
    actor = await actor_of(session, principal)
    visible = child is not None and (actor.class_ids is None or child.class_id in actor.class_ids)
    if visible and principal.role is Role.GUARDIAN:
        visible = await ref.is_guardian_of(session, guardian_id=principal.subject, student_id=student_id)
    if child is None or not visible:
        raise NotFound(f"no student '{student_id}' here")
    return child


class PlanChangeCreate(Body):
    """BX-5: a standing plan (neither `on` nor `weekday`), a one-day change, or a repeating one."""

    model_config = ConfigDict(extra="forbid")

    mode: DismissalMode
    on: date | None = Field(default=None, description="a change for this day only")
    weekday: int | None = Field(default=None, ge=0, le=6, description="every such weekday (0 = Monday)")
    until: date | None = Field(default=None, description="a repeating change ends after this day")


class PlanChangePublic(BaseModel):
    """A stored change."""

    change_id: str
    mode: DismissalMode
    on_day: date | None
    weekday: int | None
    from_date: date | None
    until: date | None
    changed_by: str
    changed_at: datetime


class PlanPublic(BaseModel):
    """A child's plan for a day: how they leave and when they are dismissed."""

    student_id: str
    date: date
    mode: DismissalMode
    dismissal_at: datetime
    changes: list[PlanChangePublic]


class Band(BaseModel):
    """AT-4: grades dismissed together."""

    time: time
    grades: list[int]


class Times(BaseModel):
    """The school's staggered dismissal of a day."""

    date: date
    bands: list[Band]


class CasePublic(BaseModel):
    """AT-6: a child not collected in time."""

    student_id: str
    day: date
    dismissal_at: datetime
    moved_at: datetime
    room_id: str | None
    step: int
    resolved_at: datetime | None


class UnaccountedPublic(BaseModel):
    """A child checked in and not handed over."""

    student_id: str
    class_id: str
    grade: int
    in_reception: bool
    step: int | None


class Clearance(BaseModel):
    """AT-6 清校: the day's report; the day closes only when `unaccounted` is empty."""

    date: date
    cleared: bool
    cleared_by: str | None = None
    cleared_at: datetime | None = None
    checked_in: int
    checked_out: int
    unaccounted: list[UnaccountedPublic]


async def _plan(session: Any, student_id: str, grade: int, school_id: str, day: date) -> PlanPublic:
    policy = await ref.policy_on(session, school_id=school_id, day=day)
    rows = await store.plan_changes(session, student_id=student_id)
    return PlanPublic(
        student_id=student_id,
        date=day,
        mode=await handlers.plan_of_day(session, student_id=student_id, day=day),
        dismissal_at=dismissal_at(day, grade, policy),
        changes=[PlanChangePublic.model_validate(r, from_attributes=True) for r in rows],
    )


@router.get("/students/{student_id}/dismissal-plan", response_model=PlanPublic, tags=["dismissal"])
async def get_plan(
    student_id: str, day: Day, runtime: RuntimeDep, principal: StaffButSubjectTeacherOrGuardian
) -> PlanPublic:
    """BX-5: how and when the child leaves on a day (a guardian: their own child only)."""
    async with runtime.db.sessions() as session:
        child = await visible_child(session, principal, student_id)
        return await _plan(session, student_id, child.grade, principal.school(), date.fromisoformat(day))


@router.post(
    "/students/{student_id}/dismissal-plan/changes",
    status_code=201,
    response_model=PlanPublic,
    tags=["dismissal"],
    dependencies=[IDEMPOTENT],
)
async def post_plan_change(
    student_id: str,
    body: PlanChangeCreate,
    request: Request,
    runtime: RuntimeDep,
    principal: StaffButSubjectTeacherOrGuardian,
) -> JSONResponse:
    """BX-5: change the plan (standing, one day, or every weekday); today's plan only before the cutoff."""
    if principal.role not in (Role.GUARDIAN, Role.SCHOOL_ADMIN, Role.CLASS_TEACHER):
        raise Forbidden(f"role '{principal.role}' may not change a dismissal plan")

    async def act(uow: UnitOfWork) -> tuple[int, Any]:
        child = await visible_child(uow.session, principal, student_id)
        command = handlers.ChangePlan(
            school_id=principal.school(),
            student_id=student_id,
            mode=body.mode,
            changed_by=f"{principal.role}:{principal.subject}",
            on=body.on,
            weekday=body.weekday,
            until=body.until,
        )
        row = await handlers.change_plan(uow, command)
        await uow.session.flush()
        plan = await _plan(
            uow.session, student_id, child.grade, principal.school(), row.from_date or body.on or date.today()
        )
        return 201, plan.model_dump(mode="json")

    return await respond_once(runtime, request, principal, body.model_dump(mode="json"), act)


@router.get("/dismissal/times", response_model=Times, tags=["dismissal"])
async def get_times(day: Day, runtime: RuntimeDep, principal: StaffButSubjectTeacher) -> Times:
    """AT-4: the school's dismissal bands on a day (from the policy in force that day)."""
    the_day = date.fromisoformat(day)
    async with runtime.db.sessions() as session:
        policy = await ref.policy_on(session, school_id=principal.school(), day=the_day)
        grades = await store.grades_of_school(session, school_id=principal.school())
    bands = dismissal_bands(policy, grades or list(policy.dismissal_times))
    return Times(date=the_day, bands=[Band(time=t, grades=g) for t, g in sorted(bands.items())])


@router.get("/not-collected", response_model=Page[CasePublic], tags=["dismissal"])
async def list_not_collected(
    day: Day, runtime: RuntimeDep, principal: StaffButSubjectTeacher, page: Paging
) -> Page[CasePublic]:
    """AT-6: the day's children still waiting to be collected (in reception), by student."""
    async with runtime.db.sessions() as session:
        cases = await store.open_cases(session, school_id=principal.school(), day=date.fromisoformat(day))
    after = page.after_value(str)
    items = [CasePublic.model_validate(c, from_attributes=True) for c in cases if after is None or c.student_id > after]
    return page_of(items[: page.limit + 1], page, lambda c: c.student_id)


@router.get("/days/{day}/clearance", response_model=Clearance, tags=["dismissal"])
async def get_clearance(day: date, runtime: RuntimeDep, principal: AdminOrDutyLeader) -> Clearance:
    """AT-6 清校: who is not accounted for yet, and whether the day is closed."""
    async with runtime.db.sessions() as session:
        return await _clearance(session, principal.school(), day)


async def _clearance(session: Any, school_id: str, day: date) -> Clearance:
    cleared = await session.get(store.ClearedDay, (school_id, day))
    missing = await handlers.unaccounted(session, school_id=school_id, day=day)
    checked_in, checked_out = await store.day_counts(session, school_id=school_id, day=day)
    return Clearance(
        date=day,
        cleared=cleared is not None,
        cleared_by=cleared.cleared_by if cleared else None,
        cleared_at=cleared.cleared_at if cleared else None,
        checked_in=checked_in,
        checked_out=checked_out,
        unaccounted=[UnaccountedPublic(**m.__dict__) for m in missing],
    )


@router.post(
    "/days/{day}/clear",
    status_code=201,
    response_model=Clearance,
    responses={
        200: {"model": Clearance, "description": "the day was already cleared: the same report"},
        409: {"description": "someone is not accounted for: the list is in `unaccounted`"},
    },
    tags=["dismissal"],
    dependencies=[IDEMPOTENT],
)
async def post_clear(day: date, request: Request, runtime: RuntimeDep, principal: DutyLeader) -> JSONResponse:
    """AT-6 清校: the duty leader closes the day; refused (409, with the list) while anyone is unaccounted for."""

    async def act(uow: UnitOfWork) -> tuple[int, Any]:
        _, created = await handlers.clear_day(
            uow, school_id=principal.school(), day=day, by=f"duty_leader:{principal.subject}"
        )
        await uow.session.flush()
        report = await _clearance(uow.session, principal.school(), day)
        return (201 if created else 200), report.model_dump(mode="json")

    return await respond_once(runtime, request, principal, {"day": day.isoformat()}, act)
