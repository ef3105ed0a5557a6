"""Dismissal plans, times, not-collected children and clearing the school, under `/attendance/v1`."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from chassis.app import RuntimeDep
from chassis.auth import Principal, Role, require
from chassis.clock import school_today
from chassis.http import Body, DutyLeader, IsoDate, Paging
from chassis.idempotency import IDEMPOTENT, respond_once
from chassis.openapi import examples
from chassis.pagination import Page, page_of
from chassis.problems import Forbidden, NotFound
from chassis.records import from_fields
from chassis.uow import UnitOfWork
from contracts.attendance.dismissal import DismissalMode
from contracts.fields import STAFF, ClassId, SchoolDay, StudentId
from services.attendance.dismissal import handlers, store
from services.attendance.domain.dismissal import dismissal_at, dismissal_bands
from services.attendance.domain.pickup import Actor
from services.attendance.reference import store as ref
from services.attendance.store import RosterStudent

router = APIRouter(prefix="/attendance/v1", tags=["dismissal"])
MODE = "BX-5: how the child leaves: with a guardian, alone (walker), by bus or to a program"
STEP = "AT-6: the escalation step reached: 1 guardian 1, 2 guardian 2, 3 class teacher, 4 duty leader"

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

    model_config = examples({"mode": "bus", "weekday": 2, "until": "2027-01-15"})

    mode: DismissalMode = Field(description=MODE)
    on: date | None = Field(default=None, description="a change for this day only")
    weekday: int | None = Field(default=None, ge=0, le=6, description="every such weekday (0 = Monday)")
    until: date | None = Field(default=None, description="a repeating change ends after this day")


class PlanChangePublic(BaseModel):
    """A stored change."""

    change_id: str = Field(description="the change's id, given by the server")
    mode: DismissalMode = Field(description=MODE)
    on_day: date | None = Field(description="a one-day change: its day; null otherwise")
    weekday: int | None = Field(description="a repeating change: its weekday (0 = Monday); null otherwise")
    from_date: date | None = Field(
        description="the first day the change applies (the next day the cutoff still allows)"
    )
    until: date | None = Field(description="the last day a repeating change applies; null: no end")
    changed_by: str = Field(description="the guardian's or staff member's id who made the change")
    changed_at: datetime = Field(description="when the change was made (UTC)")


class PlanPublic(BaseModel):
    """A child's plan for a day: how they leave and when they are dismissed."""

    model_config = examples(
        {
            "student_id": "xiaoming",
            "date": "2026-11-25",
            "mode": "bus",
            "dismissal_at": "2026-11-25T09:20:00Z",
            "changes": [
                {
                    "change_id": "b4c5d6e7-f8a9-4b0c-9d1e-2f3a4b5c6d7e",
                    "mode": "bus",
                    "on_day": None,
                    "weekday": 2,
                    "from_date": "2026-11-20",
                    "until": "2027-01-15",
                    "changed_by": "xiaoming-mama",
                    "changed_at": "2026-11-20T12:05:00Z",
                }
            ],
        }
    )

    student_id: StudentId
    date: SchoolDay
    mode: DismissalMode = Field(description=f"{MODE}, as the changes decide for that day")
    dismissal_at: datetime = Field(description="AT-4: the child's dismissal time that day (UTC), by grade band")
    changes: list[PlanChangePublic] = Field(description="the child's changes in force, oldest first")


class Band(BaseModel):
    """AT-4: grades dismissed together."""

    time: Annotated[time, Field(description="the band's dismissal time, school-local (e.g. 17:20)")]
    grades: list[int] = Field(description="the grades dismissed at that time, e.g. [3, 4]")


class Times(BaseModel):
    """The school's staggered dismissal of a day."""

    model_config = examples(
        {
            "date": "2026-11-25",
            "bands": [
                {"time": "17:00:00", "grades": [1, 2]},
                {"time": "17:20:00", "grades": [3, 4]},
                {"time": "17:30:00", "grades": [5, 6]},
            ],
        }
    )

    date: SchoolDay
    bands: list[Band] = Field(description="AT-4: the grade bands, earliest first")


class CasePublic(BaseModel):
    """AT-6: a child not collected in time."""

    model_config = examples(
        {
            "student_id": "xiaoming",
            "day": "2026-11-25",
            "dismissal_at": "2026-11-25T09:20:00Z",
            "moved_at": "2026-11-25T09:35:00Z",
            "room_id": "reception-1",
            "step": 2,
            "resolved_at": None,
        }
    )

    student_id: StudentId
    day: SchoolDay
    dismissal_at: datetime = Field(description="the child's dismissal time (UTC)")
    moved_at: datetime = Field(description="when the child was moved to the reception room, M minutes later (UTC)")
    room_id: str | None = Field(description="the reception room (接待室); null when the school has set none")
    step: int = Field(description=STEP)
    resolved_at: datetime | None = Field(description="when the child was collected (UTC); null while waiting")


class UnaccountedPublic(BaseModel):
    """A child checked in and not handed over."""

    student_id: StudentId
    class_id: ClassId
    grade: int = Field(description="the child's grade, 1 to 6")
    in_reception: bool = Field(description="AT-6: moved to the reception room as not collected")
    step: int | None = Field(description=f"{STEP}; null when not in reception")


class Clearance(BaseModel):
    """AT-6 清校: the day's report; the day closes only when `unaccounted` is empty."""

    model_config = examples(
        {
            "date": "2026-11-25",
            "cleared": False,
            "cleared_by": None,
            "cleared_at": None,
            "checked_in": 412,
            "checked_out": 411,
            "unaccounted": [
                {"student_id": "xiaoming", "class_id": "g3c1", "grade": 3, "in_reception": True, "step": 2}
            ],
        }
    )

    date: SchoolDay
    cleared: bool = Field(description="the duty leader closed the day: every child accounted for")
    cleared_by: str | None = Field(default=None, description=f"{STAFF}: the duty leader who cleared; null if not")
    cleared_at: datetime | None = Field(default=None, description="when the day was cleared (UTC); null if not")
    checked_in: int = Field(description="children checked in that day")
    checked_out: int = Field(description="children checked out that day")
    unaccounted: list[UnaccountedPublic] = Field(description="children checked in and not handed over, by class")


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
        command = from_fields(
            handlers.ChangePlan,
            body,
            school_id=principal.school(),
            student_id=student_id,
            changed_by=f"{principal.role}:{principal.subject}",
        )
        row = await handlers.change_plan(uow, command)
        await uow.session.flush()
        plan = await _plan(
            uow.session,
            student_id,
            child.grade,
            principal.school(),
            row.from_date or body.on or school_today(uow.clock),
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
