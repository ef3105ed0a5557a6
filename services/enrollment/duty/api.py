"""HTTP routes of the duty roster under `/enrollment/v1/duty-roster`: a school admin sets and clears a day's duty
leaders; every member of the school's staff reads the roster. Another school's staff and days are unknown (404)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from chassis.app import RuntimeDep
from chassis.http import Body, Paging, SchoolAdmin, SchoolDate, once
from chassis.idempotency import IDEMPOTENT
from chassis.pagination import Page, page_of
from chassis.problems import Unprocessable
from chassis.uow import UnitOfWork
from services.enrollment.duty import handlers, store
from services.enrollment.duty.schemas import DutyDayPublic, DutyRosterBody
from services.enrollment.setup.api import AnyStaff

router = APIRouter(prefix="/enrollment/v1", tags=["duty roster"])


def _day(school_id: str, day: date, staff_ids: list[str]) -> dict[str, Any]:
    return DutyDayPublic(school_id=school_id, day=day, staff_ids=staff_ids).model_dump(mode="json")


@router.put("/duty-roster/{day}", response_model=DutyDayPublic, dependencies=[IDEMPOTENT])
async def put_duty_roster(
    day: SchoolDate, body: DutyRosterBody, request: Request, runtime: RuntimeDep, principal: SchoolAdmin
) -> JSONResponse:
    """AT-6: the day's duty leaders (值班) become exactly those named; repeating the same list changes nothing."""
    command = handlers.SetDutyRoster(
        school_id=principal.school(), day=day, staff_ids=list(body.staff_ids), by=principal.subject
    )

    async def act(uow: UnitOfWork) -> dict[str, Any]:
        return _day(command.school_id, day, await handlers.set_duty_roster(uow, command))

    return await once(request, runtime, principal, body, act, status=200)


@router.delete("/duty-roster/{day}", response_model=DutyDayPublic, dependencies=[IDEMPOTENT])
async def delete_duty_roster(
    day: SchoolDate, request: Request, runtime: RuntimeDep, principal: SchoolAdmin
) -> JSONResponse:
    """Nobody is on duty that day any more (404 when nobody was)."""
    school_id = principal.school()

    async def act(uow: UnitOfWork) -> dict[str, Any]:
        await handlers.clear_duty_roster(uow, school_id=school_id, day=day)
        return _day(school_id, day, [])

    return await once(request, runtime, principal, Body(), act, status=200)


@router.get("/duty-roster", response_model=Page[DutyDayPublic])
async def get_duty_roster(
    runtime: RuntimeDep,
    principal: AnyStaff,
    page: Paging,
    first: Annotated[SchoolDate, Query(alias="from", description="first day (inclusive)")],
    last: Annotated[SchoolDate, Query(alias="to", description="last day (inclusive)")],
) -> Page[dict[str, Any]]:
    """The caller's school's rostered days in `from..to`, by day, each with its duty leaders."""
    if last < first:
        raise Unprocessable("`to` is before `from`", field="to")
    school_id = principal.school()
    async with runtime.db.sessions() as session:
        rows = await store.days_between(
            session, school_id=school_id, first=first, last=last, after=page.after_value(date), limit=page.limit
        )
    return page_of([_day(school_id, d, ids) for d, ids in rows], page, lambda d: date.fromisoformat(d["day"]))
