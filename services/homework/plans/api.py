"""HTTP routes under `/homework/v1` of weekly plans (HW-8): published by the class, read by its guardians."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from chassis.app import RuntimeDep
from chassis.auth import Role
from chassis.http import once
from chassis.idempotency import IDEMPOTENT
from chassis.problems import NotFound
from chassis.uow import UnitOfWork
from services.homework.plans.handlers import publish_plan
from services.homework.plans.schemas import PlanBody, PlanView
from services.homework.plans.store import plan_view
from services.homework.reference.schemas import ClassTeacherOrAdmin, TeacherAdminOrGuardian
from services.homework.reference.store import class_for

router = APIRouter(prefix="/homework/v1", tags=["homework"])


@router.post("/classes/{class_id}/plans", status_code=201, response_model=PlanView, dependencies=[IDEMPOTENT])
async def publish_weekly_plan(
    class_id: str, body: PlanBody, request: Request, runtime: RuntimeDep, principal: ClassTeacherOrAdmin
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
async def get_weekly_plan(
    week_start: date, class_id: str, runtime: RuntimeDep, principal: TeacherAdminOrGuardian
) -> PlanView:
    """HW-8: the latest published plan of a week, and what changed since it was published."""
    async with runtime.db.sessions() as session:
        await class_for(session, principal, class_id)
        view = await plan_view(session, class_id=class_id, monday=week_start)
    if view is None:
        raise NotFound(f"no plan published for the week of {week_start}")
    return view
