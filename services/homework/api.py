"""HTTP routes under `/homework/v1`: assignments (HW-5) judged by the caps (HW-1..HW-4, HW-6), the class
teacher's day and week (HW-4), and weekly plans (HW-8)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from chassis.app import RuntimeDep
from chassis.auth import Principal, Role
from chassis.pagination import Page, PageParams, page_of, page_params
from chassis.problems import NotFound, Unprocessable
from chassis.uow import UnitOfWork
from contracts.homework import HomeworkKind, Tier, WrittenLayer
from services.homework import handlers, store
from services.homework.access import (
    Body,
    ClassCoordinator,
    Id,
    Staff,
    StaffOrGuardian,
    SubjectTeacher,
    class_for,
    day_cursor,
    once,
)
from services.homework.domain import caps
from services.homework.plans import publish_plan
from services.homework.views import AssignmentPublic, DayView, PlanView, WeekView, day_view, plan_view, week_view

router = APIRouter(prefix="/homework/v1", tags=["homework"])

REFUSAL: dict[int | str, dict[str, Any]] = {
    422: {"description": "refused by a rule (HW-1..HW-6): `rule`, `cap`, `assigned_minutes`, by subject"}
}


class AssignmentBody(Body):
    """HW-5: homework for a class's day; the HW-6 flags say what the request asks of parents and phones."""

    class_id: Id
    school_subject: Annotated[str, Field(min_length=1, max_length=64)]
    kind: HomeworkKind
    layer: WrittenLayer | None = Field(default=None, description="written homework only")
    tiers: list[Tier] = Field(min_length=1, max_length=10, description="one tier for everyone, or 分层作业")
    on: date = Field(description="the day the homework is to be done: the caps' day")
    due_on: date
    instructions: Annotated[str, Field(min_length=1, max_length=2000)]
    for_parents: bool = Field(default=False, description="HW-6: refused when true")
    graded_by_parents: bool = Field(default=False, description="HW-6: refused when true")
    via_phone: bool = Field(default=False, description="HW-6: set or done through phones or chat groups; refused")
    punitive: bool = Field(default=False, description="HW-6: repetitive or punitive; refused")

    def command(self, principal: Principal) -> handlers.SetHomework:
        """The command this request asks for, on behalf of the calling teacher."""
        return handlers.SetHomework(
            school_id=principal.school(),
            teacher_id=principal.subject,
            class_id=self.class_id,
            school_subject=self.school_subject,
            kind=self.kind,
            layer=self.layer,
            tiers=self.tiers,
            on=self.on,
            due_on=self.due_on,
            instructions=self.instructions,
            forbidden=caps.Forbidden(self.for_parents, self.graded_by_parents, self.via_phone, self.punitive),
        )


class PlanBody(Body):
    """HW-8: the week (its Monday) whose plan is published."""

    week_start: date


def public(row: store.Assignment) -> dict[str, Any]:
    """An assignment as JSON."""
    return AssignmentPublic.model_validate(row, from_attributes=True).model_dump(mode="json")


async def judged(runtime: RuntimeDep, attempt: Callable[[], Awaitable[JSONResponse]]) -> JSONResponse:
    """Run an attempt; a refusal is published (`HomeworkRefused`, HW-4) and answered as a 422 naming the rule.

    The attempt's own transaction was rolled back (nothing of it is kept), so the refusal commits on its own.
    """
    try:
        return await attempt()
    except handlers.AttemptRefused as refused:
        async with runtime.uow() as uow:
            await handlers.publish_refusal(uow, refused)
            await uow.commit()
        refusal = refused.refusal
        raise Unprocessable(
            refusal.reason,
            rule=refusal.rule,
            cap=refusal.cap,
            requested_minutes=refused.command.counted_minutes,
            assigned_minutes=refusal.assigned_minutes,
            minutes_by_subject=refusal.minutes_by_subject,
        ) from refused


@router.post("/assignments", status_code=201, response_model=AssignmentPublic, responses=REFUSAL)
async def set_homework(
    body: AssignmentBody, request: Request, runtime: RuntimeDep, principal: SubjectTeacher
) -> JSONResponse:
    """HW-5: a subject teacher sets homework for a class they teach; refused (422) when it would break a cap."""

    async def act(uow: UnitOfWork) -> dict[str, Any]:
        return public(await handlers.assign_homework(uow, body.command(principal)))

    return await judged(runtime, lambda: once(request, runtime, principal, body, act))


@router.put("/assignments/{assignment_id}", response_model=AssignmentPublic, responses=REFUSAL)
async def change_homework(
    assignment_id: str, body: AssignmentBody, request: Request, runtime: RuntimeDep, principal: SubjectTeacher
) -> JSONResponse:
    """Change homework (day, tiers, minutes, …); judged again by the caps without its old self."""

    async def act(uow: UnitOfWork) -> dict[str, Any]:
        return public(await handlers.change_homework(uow, assignment_id, body.command(principal)))

    return await judged(runtime, lambda: once(request, runtime, principal, body, act, status=200))


@router.post("/assignments/{assignment_id}/withdrawal", response_model=AssignmentPublic)
async def withdraw_homework(
    assignment_id: str, request: Request, runtime: RuntimeDep, principal: SubjectTeacher
) -> JSONResponse:
    """Withdraw homework: its minutes stop counting."""

    async def act(uow: UnitOfWork) -> dict[str, Any]:
        row = await handlers.withdraw_homework(
            uow, assignment_id=assignment_id, school_id=principal.school(), teacher_id=principal.subject
        )
        return public(row)

    return await once(request, runtime, principal, Body(), act, status=200)


@router.get("/assignments/{assignment_id}", response_model=AssignmentPublic)
async def get_assignment(assignment_id: str, runtime: RuntimeDep, principal: Staff) -> AssignmentPublic:
    """One assignment of a class the caller may see."""
    async with runtime.db.sessions() as session:
        row = await session.get(store.Assignment, assignment_id)
        if row is None or row.school_id != principal.school():
            raise NotFound(f"no assignment '{assignment_id}'")
        await class_for(session, principal, row.class_id)
    return AssignmentPublic.model_validate(row, from_attributes=True)


@router.get("/classes/{class_id}/assignments", response_model=Page[AssignmentPublic])
async def list_assignments(
    class_id: str,
    runtime: RuntimeDep,
    principal: Staff,
    page: Annotated[PageParams, Depends(page_params)],
    first: Annotated[date, Query(alias="from")],
    last: Annotated[date, Query(alias="to")],
) -> Page[AssignmentPublic]:
    """The class's homework (withdrawn included) between two days, by day then id."""
    async with runtime.db.sessions() as session:
        await class_for(session, principal, class_id)
        rows = await store.assignments_page(
            session, class_id=class_id, first=first, last=last, after=day_cursor(page.after), limit=page.limit + 1
        )
    items = [AssignmentPublic.model_validate(row, from_attributes=True) for row in rows]
    return page_of(items, page, lambda a: f"{a.on.isoformat()}|{a.assignment_id}")


@router.get("/classes/{class_id}/days/{on}", response_model=DayView)
async def class_day_view(on: date, class_id: str, runtime: RuntimeDep, principal: Staff) -> DayView:
    """HW-4: each subject's minutes, the room left under each cap, and who still wants to assign."""
    async with runtime.db.sessions() as session:
        return await day_view(session, await class_for(session, principal, class_id), on)


@router.get("/classes/{class_id}/weeks/{week_start}", response_model=WeekView)
async def class_week_view(week_start: date, class_id: str, runtime: RuntimeDep, principal: Staff) -> WeekView:
    """HW-4: the day view of each day of the week starting on `week_start` (a Monday)."""
    if week_start.weekday() != 0:
        raise Unprocessable(f"{week_start} is not a Monday")
    async with runtime.db.sessions() as session:
        return await week_view(session, await class_for(session, principal, class_id), week_start)


@router.post("/classes/{class_id}/plans", status_code=201, response_model=PlanView)
async def publish_weekly_plan(
    class_id: str, body: PlanBody, request: Request, runtime: RuntimeDep, principal: ClassCoordinator
) -> JSONResponse:
    """HW-8: publish (or re-publish, as a new version) the class's plan for a week; guardians are told."""

    async def act(uow: UnitOfWork) -> dict[str, Any]:
        await publish_plan(
            uow,
            school_id=principal.school(),
            class_id=class_id,
            week_start=body.week_start,
            by=principal.subject,
            as_class_teacher=principal.role is Role.CLASS_TEACHER,
        )
        view = await plan_view(uow.session, class_id=class_id, monday=body.week_start)
        assert view is not None
        return view.model_dump(mode="json")

    return await once(request, runtime, principal, body, act)


@router.get("/classes/{class_id}/plans/{week_start}", response_model=PlanView)
async def get_weekly_plan(week_start: date, class_id: str, runtime: RuntimeDep, principal: StaffOrGuardian) -> PlanView:
    """HW-8: the latest published plan of a week, and what changed since it was published."""
    async with runtime.db.sessions() as session:
        await class_for(session, principal, class_id)
        view = await plan_view(session, class_id=class_id, monday=week_start)
    if view is None:
        raise NotFound(f"no plan published for the week of {week_start}")
    return view
