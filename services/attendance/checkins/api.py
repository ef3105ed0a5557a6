"""Check-in routes under `/attendance/v1`."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, computed_field

from chassis.app import RuntimeDep
from chassis.auth import Principal, Role, require
from chassis.http import Id
from chassis.idempotency import respond_once
from chassis.problems import Forbidden
from chassis.uow import UnitOfWork
from contracts.attendance import CheckInMethod
from services.attendance.checkins import store
from services.attendance.checkins.handlers import CheckInBatch, CheckInStudent, check_in_batch, check_in_student
from services.attendance.domain.check_in import DeviceEvent, Outcome
from services.attendance.domain.late_uploads import is_late
from services.attendance.settings import AttendanceSettings

router = APIRouter(prefix="/attendance/v1", tags=["check-ins"])

MAX_BATCH = 1000


class CheckInCreate(BaseModel):
    """A check-in as a kiosk (card, QR, face id) or a teacher's roll call reports it."""

    model_config = ConfigDict(extra="forbid")

    student_id: Id
    occurred_at: AwareDatetime = Field(description="the device's own time, with its UTC offset (AT-8)")
    device_id: Annotated[str, Field(min_length=1, max_length=128)]
    method: CheckInMethod


class CheckInPublic(BaseModel):
    """A stored check-in."""

    check_in_id: str
    school_id: str
    student_id: str
    device_id: str
    method: CheckInMethod
    occurred_at: datetime
    recorded_at: datetime
    session_date: str

    @computed_field(description="arrived more than 2 minutes after its device time: an offline upload (AT-8, LATE-1)")
    def late(self) -> bool:
        """LATE-1, for staff reading the day's check-ins."""
        return is_late(self.occurred_at, self.recorded_at)

    @classmethod
    def of(cls, row: store.CheckIn) -> CheckInPublic:
        """From the stored row."""
        return cls.model_validate(row, from_attributes=True)


class CheckInPage(BaseModel):
    """A page of check-ins."""

    items: list[CheckInPublic]
    total: int
    limit: int
    offset: int


KioskOrTeacher = Annotated[Principal, require(Role.KIOSK, Role.SERVICE_TEACHER)]
AdminDutyLeaderOrServiceTeacher = Annotated[
    Principal, require(Role.SCHOOL_ADMIN, Role.SERVICE_TEACHER, Role.DUTY_LEADER)
]


@router.post(
    "/check-ins",
    status_code=201,
    response_model=CheckInPublic,
    responses={200: {"model": CheckInPublic, "description": "the same device event was already stored"}},
)
async def post_check_in(
    body: CheckInCreate, request: Request, runtime: RuntimeDep, principal: KioskOrTeacher
) -> JSONResponse:
    """Record a check-in (AT-2); send an `Idempotency-Key` so a retry never stores a second one (AT-8)."""
    if principal.role is Role.KIOSK and body.device_id != principal.subject:
        raise Forbidden("a kiosk may only report its own device id")
    settings = runtime.settings_as(AttendanceSettings)
    command = CheckInStudent(
        school_id=principal.school(),
        recorded_by=f"{principal.role}:{principal.subject}",
        event=DeviceEvent(body.student_id, body.device_id, body.method.value, body.occurred_at),
    )

    async def act(uow: UnitOfWork) -> tuple[int, Any]:
        row, created = await check_in_student(
            uow, command, max_skew=timedelta(seconds=settings.max_device_clock_skew_seconds)
        )
        return (201 if created else 200), CheckInPublic.of(row).model_dump(mode="json")

    return await respond_once(runtime, request, principal, body.model_dump(mode="json"), act)


@router.get("/check-ins", response_model=CheckInPage)
async def list_check_ins(
    runtime: RuntimeDep,
    principal: AdminDutyLeaderOrServiceTeacher,
    session_date: Annotated[date, Query(alias="date")],
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> CheckInPage:
    """The caller's school's check-ins of one day, in device-time order."""
    async with runtime.db.sessions() as session:
        rows, total = await store.list_check_ins(
            session, school_id=principal.school(), session_date=session_date.isoformat(), limit=limit, offset=offset
        )
    return CheckInPage(items=[CheckInPublic.of(r) for r in rows], total=total, limit=limit, offset=offset)


class BatchEvent(BaseModel):
    """One device event of an uploaded batch."""

    model_config = ConfigDict(extra="forbid")

    student_id: Id
    occurred_at: AwareDatetime = Field(description="the device's own time, with its UTC offset (AT-8)")
    method: CheckInMethod


class CheckInBatchCreate(BaseModel):
    """A kiosk's batch of check-ins, e.g. everything it saw while offline (AT-8)."""

    model_config = ConfigDict(extra="forbid")

    device_id: Annotated[str, Field(min_length=1, max_length=128)]
    events: list[BatchEvent] = Field(min_length=1, max_length=MAX_BATCH)


class BatchResultPublic(BaseModel):
    """What became of one event, at its position in the upload."""

    index: int
    student_id: str
    occurred_at: datetime
    outcome: Outcome
    check_in_id: str | None = None
    reason: str | None = None
    rule: str | None = None


class BatchAnswer(BaseModel):
    """Per-event results in upload order, and the counts."""

    results: list[BatchResultPublic]
    created: int
    duplicates: int
    refused: int


@router.post("/check-ins/batch", response_model=BatchAnswer)
async def post_check_in_batch(
    body: CheckInBatchCreate, request: Request, runtime: RuntimeDep, principal: KioskOrTeacher
) -> JSONResponse:
    """Record a batch of device events in device-time order (AT-8): created, duplicate or refused, one by one;
    send an `Idempotency-Key` so a retried upload replays the first answer."""
    if principal.role is Role.KIOSK and body.device_id != principal.subject:
        raise Forbidden("a kiosk may only report its own device id")
    settings = runtime.settings_as(AttendanceSettings)
    command = CheckInBatch(
        school_id=principal.school(),
        recorded_by=f"{principal.role}:{principal.subject}",
        events=[DeviceEvent(e.student_id, body.device_id, e.method.value, e.occurred_at) for e in body.events],
    )

    async def act(uow: UnitOfWork) -> tuple[int, Any]:
        results = await check_in_batch(uow, command, max_skew=timedelta(seconds=settings.max_device_clock_skew_seconds))
        counts = Counter(r.outcome for r in results)
        answer = BatchAnswer(
            results=[BatchResultPublic.model_validate(r, from_attributes=True) for r in results],
            created=counts[Outcome.CREATED],
            duplicates=counts[Outcome.DUPLICATE],
            refused=counts[Outcome.REFUSED],
        )
        return 200, answer.model_dump(mode="json")

    return await respond_once(runtime, request, principal, body.model_dump(mode="json"), act)
