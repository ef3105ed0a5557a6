"""Check-out routes under `/attendance/v1` (AT-5, BX-2); plans, not-collected and clearing are `dismissal/`."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, Field, computed_field

from chassis.app import Runtime, RuntimeDep
from chassis.auth import Principal, Role, require
from chassis.http import Body, Id, Paging
from chassis.idempotency import IDEMPOTENT, respond_once
from chassis.openapi import examples
from chassis.pagination import Page, page_of_rows
from chassis.problems import PROBLEM_JSON, Forbidden, Problem
from chassis.records import from_fields
from chassis.uow import UnitOfWork
from contracts.attendance.dismissal import HandledBy, Release
from contracts.fields import SchoolDay, SchoolId, StudentId
from services.attendance.checkouts.handlers import CheckOutResult, CheckOutStudent, check_out_batch, check_out_student
from services.attendance.dismissal import store
from services.attendance.dismissal.api import STAFF_ROLES, Day, StaffButSubjectTeacher, actor_of
from services.attendance.domain.check_in import DeviceWindow, Outcome, batch_counts, owns_device
from services.attendance.domain.late_uploads import is_late
from services.attendance.fields import (
    DEVICE,
    DEVICE_TIME,
    PLACE,
    Created,
    DeviceTime,
    Duplicates,
    Index,
    Reason,
    Recorded,
    Refused,
    Rule,
    StudentRef,
)
from services.attendance.settings import AttendanceSettings

router = APIRouter(prefix="/attendance/v1", tags=["dismissal"])
MAX_BATCH = 1000

DeviceId = Annotated[
    Annotated[str, Field(min_length=1, max_length=128)] | None,
    Field(description=f"{DEVICE}; null from a guardian's app"),
]
Place = Annotated[
    Annotated[str, Field(min_length=1, max_length=64)] | None, Field(description=f"{PLACE}; null if none")
]
RELEASE = "to whom the child goes: a pickup person (AT-5), alone with permission, the bus or a program (BX-5)"
KioskOrStaffButSubjectTeacher = Annotated[Principal, require(Role.KIOSK, *STAFF_ROLES)]
KioskGuardianOrStaffButSubjectTeacher = Annotated[Principal, require(Role.KIOSK, Role.GUARDIAN, *STAFF_ROLES)]


class CheckOutFields(Body):
    """What every check-out says: the child, the device time, and to whom they are released."""

    student_id: StudentRef
    occurred_at: AwareDatetime = Field(description=DEVICE_TIME)
    release: Release = Field(default=Release.PICKUP_PERSON, description=RELEASE)
    credential_ref: Annotated[str, Field(min_length=1, max_length=128)] | None = Field(
        default=None, description="the collecting adult's card/QR/face id as the kiosk read it (BX-2)"
    )
    person_id: Id | None = Field(default=None, description="the pickup person a member of staff selected")


class CheckOutCreate(CheckOutFields):
    """A single check-out from a kiosk, a member of staff or a guardian's app."""

    model_config = examples(
        {
            "student_id": "xiaoming",
            "occurred_at": "2026-11-25T17:24:30+08:00",
            "release": "pickup_person",
            "credential_ref": "card-0451",
            "device_id": "shiyan-gate-1",
            "place": "south gate",
        }
    )

    device_id: DeviceId = None
    place: Place = None


class CheckOutPublic(BaseModel):
    """A stored handoff: who, when, where, and whether staff or the guardian did it (BX-2)."""

    model_config = examples(
        {
            "check_out_id": "5e0b1f7a-2c3d-4e5f-8a9b-0c1d2e3f4a5b",
            "school_id": "shiyan",
            "student_id": "xiaoming",
            "day": "2026-11-25",
            "occurred_at": "2026-11-25T17:24:30+08:00",
            "recorded_at": "2026-11-25T09:24:31Z",
            "release": "pickup_person",
            "person_id": "xiaoming-mama",
            "handled_by": "guardian",
            "staff_id": None,
            "device_id": "shiyan-gate-1",
            "place": "south gate",
            "early": False,
            "late_fee_fen": 0,
            "late": False,
        }
    )

    check_out_id: str = Field(description="the check-out's id, given by the server")
    school_id: SchoolId
    student_id: StudentId
    day: SchoolDay
    occurred_at: DeviceTime
    recorded_at: Recorded
    release: Release = Field(description=RELEASE)
    person_id: str | None = Field(description="the pickup person who collected the child; null unless a pickup")
    handled_by: HandledBy = Field(description="BX-2: who did the handoff: staff, the collecting adult, or the child")
    staff_id: str | None = Field(description="the member of staff who handed the child over; null if nobody did")
    device_id: str | None = Field(description=f"{DEVICE}; null from a guardian's app")
    place: str | None = Field(description=f"{PLACE}; null when not reported")
    early: bool = Field(description="AT-4 弹性离校: collected before the child's dismissal time")
    late_fee_fen: int = Field(description="BX-5: the late-pickup fee owed, in fen (0: none)")

    @computed_field(description="arrived more than 2 minutes after its device time: an offline upload (AT-8, LATE-1)")
    def late(self) -> bool:
        """LATE-1, for staff reading the day's check-outs."""
        return is_late(self.occurred_at, self.recorded_at)


class CheckOutBatchCreate(Body):
    """A kiosk's or a teacher's batch of check-outs (e.g. a whole class at the gate, or an offline upload)."""

    model_config = examples(
        {
            "device_id": "li/phone",
            "place": "south gate",
            "events": [
                {"student_id": "xiaoming", "occurred_at": "2026-11-25T17:20:05+08:00", "release": "bus"},
                {"student_id": "xiaohong", "occurred_at": "2026-11-25T17:20:40+08:00", "release": "walk_alone"},
            ],
        }
    )

    device_id: DeviceId = None
    place: Place = None
    events: list[CheckOutFields] = Field(
        min_length=1, max_length=MAX_BATCH, description="the check-outs, up to 1000, handed over in device-time order"
    )


class CheckOutBatchResult(BaseModel):
    """What became of one check-out of a batch, at its position in the upload."""

    index: Index
    student_id: StudentId
    outcome: Outcome = Field(description="created, duplicate (already stored) or refused")
    check_out_id: str | None = Field(default=None, description="the stored check-out; null when refused")
    refusal_id: str | None = Field(default=None, description="BX-2: the recorded refusal; null unless refused")
    reason: Reason = None
    rule: Rule = None
    status: int | None = Field(default=None, description="the HTTP status a single check-out would have had")


class CheckOutBatchAnswer(BaseModel):
    """Per-event results in upload order, and the counts."""

    model_config = examples(
        {
            "results": [
                {
                    "index": 0,
                    "student_id": "xiaoming",
                    "outcome": "created",
                    "check_out_id": "5e0b1f7a-2c3d-4e5f-8a9b-0c1d2e3f4a5b",
                    "refusal_id": None,
                    "reason": None,
                    "rule": None,
                    "status": 201,
                },
                {
                    "index": 1,
                    "student_id": "xiaohong",
                    "outcome": "refused",
                    "check_out_id": None,
                    "refusal_id": None,
                    "reason": "today's dismissal plan of the child is 'guardian'",
                    "rule": "BX-5",
                    "status": 422,
                },
            ],
            "created": 1,
            "duplicates": 0,
            "refused": 1,
        }
    )

    results: list[CheckOutBatchResult] = Field(description="one result per check-out, in upload order")
    created: Created
    duplicates: Duplicates
    refused: Refused


def _command(
    principal: Principal, actor: Any, fields: CheckOutFields, device: str | None, place: str | None
) -> CheckOutStudent:
    return from_fields(
        CheckOutStudent, fields, school_id=principal.school(), actor=actor, device_id=device, place=place
    )


def _own_device(principal: Principal, device_id: str | None) -> None:
    is_kiosk = principal.role is Role.KIOSK
    if (is_kiosk or device_id is not None) and not owns_device(
        is_kiosk=is_kiosk, subject=principal.subject, device_id=device_id or ""
    ):
        raise Forbidden("a device reports under its own id: a kiosk's token subject, a person's `<id>[/<device>]`")


def _window(runtime: Runtime) -> DeviceWindow:
    return runtime.settings_as(AttendanceSettings).device_window()


def _refusal_body(result: CheckOutResult, instance: str) -> dict[str, Any]:
    assert result.refusal is not None
    return {
        "type": "about:blank",
        "title": "Forbidden",
        "status": 403,
        "detail": result.refusal.detail(),
        "instance": instance,
        "rule": result.refusal.rule,
        "reason": result.refusal.reason.value,
        "restricted": result.refusal.restricted,
        "refusal_id": result.refusal_id,
    }


@router.post(
    "/check-outs",
    status_code=201,
    response_model=CheckOutPublic,
    responses={
        200: {"model": CheckOutPublic, "description": "the same device event was already stored"},
        403: {
            "description": "refused: not authorised, restricted (BX-2, an urgent alert is raised) or no walk permission"
        },
        409: {"description": "the child was already checked out today"},
    },
    dependencies=[IDEMPOTENT],
)
async def post_check_out(
    body: CheckOutCreate, request: Request, runtime: RuntimeDep, principal: KioskGuardianOrStaffButSubjectTeacher
) -> JSONResponse:
    """Hand a child over (AT-5): to an authorised person only; anyone else is refused with an event, a
    restricted person with an urgent alert (BX-2); send an `Idempotency-Key` so a retry never doubles it."""
    _own_device(principal, body.device_id)

    async def act(uow: UnitOfWork) -> tuple[int, Any]:
        command = _command(principal, await actor_of(uow.session, principal), body, body.device_id, body.place)
        result = await check_out_student(uow, command, window=_window(runtime))
        if result.outcome is Outcome.REFUSED:
            return 403, _refusal_body(result, request.url.path)
        status = 201 if result.outcome is Outcome.CREATED else 200
        return status, CheckOutPublic.model_validate(result.check_out, from_attributes=True).model_dump(mode="json")

    response = await respond_once(runtime, request, principal, body.model_dump(mode="json"), act)
    if response.status_code == 403:
        response.headers["content-type"] = PROBLEM_JSON
    return response


@router.post("/check-outs/batch", response_model=CheckOutBatchAnswer, dependencies=[IDEMPOTENT])
async def post_check_out_batch(
    body: CheckOutBatchCreate, request: Request, runtime: RuntimeDep, principal: KioskOrStaffButSubjectTeacher
) -> JSONResponse:
    """Hand over many children in device-time order (AT-5, AT-8): each created, duplicate or refused."""
    _own_device(principal, body.device_id)

    async def act(uow: UnitOfWork) -> tuple[int, Any]:
        actor = await actor_of(uow.session, principal)
        commands = [_command(principal, actor, e, body.device_id, body.place) for e in body.events]
        results = await check_out_batch(uow, commands, window=_window(runtime))
        rows = [_batch_row(i, c.student_id, r, p) for i, (c, (r, p)) in enumerate(zip(commands, results, strict=True))]
        answer = CheckOutBatchAnswer(results=rows, **batch_counts(r.outcome for r in rows))
        return 200, answer.model_dump(mode="json")

    return await respond_once(runtime, request, principal, body.model_dump(mode="json"), act)


def _batch_row(
    index: int, student_id: str, result: CheckOutResult | None, problem: Problem | None
) -> CheckOutBatchResult:
    row = partial(CheckOutBatchResult, index=index, student_id=student_id)
    if problem is not None:
        rule = problem.extensions.get("rule")
        return row(outcome=Outcome.REFUSED, reason=problem.detail, rule=rule, status=problem.status)
    assert result is not None
    refusal = result.refusal
    if refusal is not None:
        reason = refusal.reason.value
        return row(outcome=Outcome.REFUSED, refusal_id=result.refusal_id, reason=reason, rule=refusal.rule, status=403)
    assert result.check_out is not None
    status = 201 if result.outcome is Outcome.CREATED else 200
    return row(outcome=result.outcome, check_out_id=result.check_out.check_out_id, status=status)


@router.get("/check-outs", response_model=Page[CheckOutPublic])
async def list_check_outs(
    runtime: RuntimeDep, principal: StaffButSubjectTeacher, day: Day, page: Paging
) -> Page[CheckOutPublic]:
    """The caller's school's check-outs of a day (a class teacher: their classes')."""
    async with runtime.db.sessions() as session:
        actor = await actor_of(session, principal)
        rows = await store.list_check_outs(
            session,
            school_id=principal.school(),
            day=date.fromisoformat(day),
            after=page.after_value(str),
            limit=page.limit,
            class_ids=actor.class_ids,
        )
    return page_of_rows(CheckOutPublic, rows, page, lambda c: c.check_out_id)
