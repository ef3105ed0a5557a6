"""Check-in routes under `/attendance/v1`, and the day's check-ins as a keyset page under `/attendance/v2`."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from chassis.app import RuntimeDep
from chassis.auth import Principal, Role, require
from chassis.http import Paging, superseded_by
from chassis.idempotency import IDEMPOTENT, respond_once
from chassis.pagination import Page, page_of
from chassis.problems import Forbidden
from services.attendance.checkins import store
from services.attendance.checkins.handlers import (
    CheckInBatch,
    CheckInStudent,
    answer_batch,
    answer_check_in,
    check_in_at_once,
)
from services.attendance.checkins.schemas import (
    BatchAnswer,
    CheckInBatchCreate,
    CheckInCreate,
    CheckInPage,
    CheckInPublic,
)
from services.attendance.domain.check_in import DeviceEvent, owns_device
from services.attendance.fields import OnDate
from services.attendance.settings import AttendanceSettings

router = APIRouter(prefix="/attendance", tags=["check-ins"])

KioskOrTeacher = Annotated[Principal, require(Role.KIOSK, Role.SERVICE_TEACHER)]
AdminDutyLeaderOrServiceTeacher = Annotated[
    Principal, require(Role.SCHOOL_ADMIN, Role.SERVICE_TEACHER, Role.DUTY_LEADER)
]


def _refuse_another_device(principal: Principal, device_id: str) -> None:
    if not owns_device(is_kiosk=principal.role is Role.KIOSK, subject=principal.subject, device_id=device_id):
        raise Forbidden("a device reports under its own id: a kiosk's token subject, a teacher's `<id>[/<device>]`")


@router.post(
    "/v1/check-ins",
    status_code=201,
    response_model=CheckInPublic,
    responses={200: {"model": CheckInPublic, "description": "the same device event was already stored"}},
    dependencies=[IDEMPOTENT],
)
async def post_check_in(
    body: CheckInCreate, request: Request, runtime: RuntimeDep, principal: KioskOrTeacher
) -> JSONResponse:
    """Record a check-in (AT-2); send an `Idempotency-Key` so a retry never stores a second one (AT-8)."""
    _refuse_another_device(principal, body.device_id)
    settings = runtime.settings_as(AttendanceSettings)
    command = CheckInStudent(
        school_id=principal.school(),
        recorded_by=f"{principal.role}:{principal.subject}",
        event=DeviceEvent(body.student_id, body.device_id, body.method.value, body.occurred_at),
    )
    window = settings.device_window()
    act = partial(answer_check_in, command=command, window=window)
    at_once = partial(check_in_at_once, command, window=window, clock=runtime.clock, broadcaster=runtime.broadcaster)
    return await respond_once(runtime, request, principal, body.model_dump(mode="json"), act, shortcut=at_once)


@router.get("/v1/check-ins", response_model=CheckInPage, **superseded_by("/attendance/v2/check-ins"))
async def list_check_ins(
    runtime: RuntimeDep,
    principal: AdminDutyLeaderOrServiceTeacher,
    session_date: OnDate,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> CheckInPage:
    """The caller's school's check-ins of one day, in device-time order, by offset (deprecated: a page shifts when
    check-ins arrive while it is read; use `/attendance/v2/check-ins`)."""
    async with runtime.db.sessions() as session:
        rows, total = await store.list_check_ins(
            session, school_id=principal.school(), session_date=session_date.isoformat(), limit=limit, offset=offset
        )
    return CheckInPage(items=[CheckInPublic.of(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/v2/check-ins", response_model=Page[CheckInPublic])
async def page_check_ins(
    runtime: RuntimeDep, principal: AdminDutyLeaderOrServiceTeacher, session_date: OnDate, page: Paging
) -> Page[CheckInPublic]:
    """The caller's school's check-ins of one day, in device-time order (then by id): a check-in stored while the
    list is read never shifts a page."""
    async with runtime.db.sessions() as session:
        rows = await store.check_ins_page(
            session,
            school_id=principal.school(),
            session_date=session_date.isoformat(),
            after=page.after_pair(datetime, str),
            limit=page.limit + 1,
        )
    return page_of([CheckInPublic.of(r) for r in rows], page, lambda c: (c.occurred_at, c.check_in_id))


@router.post("/v1/check-ins/batch", response_model=BatchAnswer, dependencies=[IDEMPOTENT])
async def post_check_in_batch(
    body: CheckInBatchCreate, request: Request, runtime: RuntimeDep, principal: KioskOrTeacher
) -> JSONResponse:
    """Record a batch of device events in device-time order (AT-8): created, duplicate or refused, one by one;
    send an `Idempotency-Key` so a retried upload replays the first answer."""
    _refuse_another_device(principal, body.device_id)
    settings = runtime.settings_as(AttendanceSettings)
    command = CheckInBatch(
        school_id=principal.school(),
        recorded_by=f"{principal.role}:{principal.subject}",
        events=[DeviceEvent(e.student_id, body.device_id, e.method.value, e.occurred_at) for e in body.events],
    )
    act = partial(answer_batch, command=command, window=settings.device_window())
    return await respond_once(runtime, request, principal, body.model_dump(mode="json"), act)
