"""HTTP routes under `/homework/v1` of assignments (HW-5), judged by the caps (HW-1..HW-4, HW-6)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from chassis.app import RuntimeDep
from chassis.http import Body, Paging, SubjectTeacher, once
from chassis.idempotency import IDEMPOTENT
from chassis.pagination import Page, page_of
from chassis.problems import Unprocessable
from chassis.uow import UnitOfWork
from services.homework.assignments import handlers, store
from services.homework.assignments.schemas import AssignmentBody, AssignmentPublic
from services.homework.fields import FromDay, ToDay
from services.homework.reference.schemas import TeacherOrAdmin
from services.homework.reference.store import class_for

router = APIRouter(prefix="/homework/v1", tags=["homework"])

REFUSAL: dict[int | str, dict[str, Any]] = {
    422: {"description": "refused by a rule (HW-1..HW-6): `rule`, `cap`, `assigned_minutes`, by subject"}
}


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


@router.post(
    "/assignments", status_code=201, response_model=AssignmentPublic, responses=REFUSAL, dependencies=[IDEMPOTENT]
)
async def set_homework(
    body: AssignmentBody, request: Request, runtime: RuntimeDep, principal: SubjectTeacher
) -> JSONResponse:
    """HW-5: a subject teacher sets homework for a class they teach; refused (422) when it would break a cap."""

    async def act(uow: UnitOfWork) -> dict[str, Any]:
        return public(await handlers.assign_homework(uow, body.command(principal)))

    return await judged(runtime, lambda: once(request, runtime, principal, body, act))


@router.put(
    "/assignments/{assignment_id}", response_model=AssignmentPublic, responses=REFUSAL, dependencies=[IDEMPOTENT]
)
async def change_homework(
    assignment_id: str, body: AssignmentBody, request: Request, runtime: RuntimeDep, principal: SubjectTeacher
) -> JSONResponse:
    """Change homework (day, tiers, minutes, …); judged again by the caps without its old self."""

    async def act(uow: UnitOfWork) -> dict[str, Any]:
        return public(await handlers.change_homework(uow, assignment_id, body.command(principal)))

    return await judged(runtime, lambda: once(request, runtime, principal, body, act, status=200))


@router.post("/assignments/{assignment_id}/withdrawal", response_model=AssignmentPublic, dependencies=[IDEMPOTENT])
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
async def get_assignment(assignment_id: str, runtime: RuntimeDep, principal: TeacherOrAdmin) -> AssignmentPublic:
    """One assignment of a class the caller may see."""
    async with runtime.db.sessions() as session:
        row = await store.school_assignment(session, school_id=principal.school(), assignment_id=assignment_id)
        await class_for(session, principal, row.class_id)
    return AssignmentPublic.model_validate(row, from_attributes=True)


@router.get("/classes/{class_id}/assignments", response_model=Page[AssignmentPublic])
async def list_assignments(
    class_id: str, runtime: RuntimeDep, principal: TeacherOrAdmin, page: Paging, first: FromDay, last: ToDay
) -> Page[AssignmentPublic]:
    """The class's homework (withdrawn included) between two days, by day then id."""
    async with runtime.db.sessions() as session:
        await class_for(session, principal, class_id)
        rows = await store.assignments_page(
            session, class_id=class_id, first=first, last=last, after=page.after_pair(date, str), limit=page.limit + 1
        )
    items = [AssignmentPublic.model_validate(row, from_attributes=True) for row in rows]
    return page_of(items, page, lambda a: (a.on, a.assignment_id))
