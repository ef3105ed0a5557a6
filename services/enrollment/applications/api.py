"""HTTP routes of applications under `/enrollment/v1` (EN-1, EN-2).

A guardian applies, signs, declines and asks to withdraw for their own children; the class teacher of the
child's class gives the first review; an admin of the child's school approves, rejects and decides withdrawals.
Anyone else is answered 404, as if the application did not exist; a step out of order is a 409 naming the
current step.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from pydantic.config import JsonDict

from chassis.app import RuntimeDep
from chassis.auth import Principal, Role, require
from chassis.http import Body, Guardian, Paging, once
from chassis.idempotency import IDEMPOTENT
from chassis.openapi import examples
from chassis.pagination import Page, page_of
from chassis.problems import NotFound
from chassis.uow import UnitOfWork
from services.enrollment import store as roster
from services.enrollment.applications import handlers, store
from services.enrollment.applications.schemas import ApplicationCreate, DeclineCreate
from services.enrollment.domain.workflow import Action, Stage
from services.enrollment.fields import (
    ApplicationId,
    ApplicationKey,
    ClubChoices,
    Created,
    ExternalId,
    Options,
    Position,
    ProgramId,
    SchoolId,
    StudentId,
    TermId,
    WhyGiven,
)
from services.enrollment.fields import Stage as StageText
from services.enrollment.places import store as places_store
from services.enrollment.setup.store import Term

router = APIRouter(prefix="/enrollment/v1", tags=["applications"])

AdminClassTeacherOrGuardian = Annotated[Principal, require(Role.GUARDIAN, Role.CLASS_TEACHER, Role.SCHOOL_ADMIN)]


SUMMARY: JsonDict = {
    "application_id": "ap-0001",
    "school_id": "sy-xiaoxue",
    "student_id": "st-xiaoming",
    "term_id": "t-2026-1",
    "step": "reviewed",
    "club_choices": ["pg-chess", "pg-choir"],
    "options": ["noon_care"],
    "withdrawal_effective_on": None,
    "created_at": "2026-09-02T10:15:00Z",
    "updated_at": "2026-09-03T02:40:00Z",
}


class Nothing(Body):
    """A step that needs no more than who takes it."""


class ReasonGiven(Body):
    """A step that must say why (the guardian is told, EN-1)."""

    model_config = examples({"reason": "本学期围棋社名额已满, 请选择其他社团"})

    reason: WhyGiven


class WithdrawalCreate(Body):
    """EN-2: a written withdrawal request: from when and why."""

    model_config = examples({"effective_on": "2026-12-07", "reason": "家中老人可以接送, 不再需要课后服务"})

    effective_on: date = Field(description="at least the policy's notice days from today")
    reason: WhyGiven


class StepPublic(BaseModel):
    """One recorded step: what was done, the step it led to, who, when, why."""

    action: str = Field(description="what was done: submit, review, approve, reject, sign, decline, …")
    step: StageText
    by: str = Field(description="the token subject who did it (a guardian, teacher or admin id)")
    role: str = Field(description="the role they acted in (guardian, class_teacher, school_admin)")
    at: datetime = Field(description="when, an instant with its UTC offset")
    reason: str | None = Field(description="why, for a rejection, refusal, withdrawal or decline; else null")
    effective_on: date | None = Field(description="a withdrawal's first day without the service (EN-2); else null")


class WaitingPublic(BaseModel):
    """A waitlist the child is on, and their place in it."""

    program_id: ProgramId
    position: Position


class ApplicationSummary(BaseModel):
    """An application and where it stands."""

    model_config = examples(SUMMARY)

    application_id: ApplicationId
    external_id: ExternalId = None
    school_id: SchoolId
    student_id: StudentId
    term_id: TermId
    step: StageText
    club_choices: ClubChoices
    options: Options
    withdrawal_effective_on: date | None = Field(
        description="the first day without the service once a withdrawal is requested (EN-2); else null"
    )
    created_at: Created
    updated_at: datetime = Field(description="when its last step was taken, an instant with its UTC offset")


class ApplicationPublic(ApplicationSummary):
    """An application with its whole history and the child's club places and waitlists for the term."""

    model_config = examples(
        {
            **SUMMARY,
            "history": [
                {
                    "action": "submit",
                    "step": "submitted",
                    "by": "g-wang-ma",
                    "role": "guardian",
                    "at": "2026-09-02T10:15:00Z",
                    "reason": None,
                    "effective_on": None,
                },
                {
                    "action": "review",
                    "step": "reviewed",
                    "by": "s-zhang",
                    "role": "class_teacher",
                    "at": "2026-09-03T02:40:00Z",
                    "reason": None,
                    "effective_on": None,
                },
            ],
            "club_places": ["pg-choir"],
            "waitlists": [{"program_id": "pg-chess", "position": 3}],
        }
    )

    history: list[StepPublic] = Field(description="every step taken, oldest first")
    club_places: list[str] = Field(description="ids of the club programs the child holds a place in this term")
    waitlists: list[WaitingPublic] = Field(description="the clubs the child waits for this term (BX-1)")


def _summary(application: roster.Application) -> dict[str, Any]:
    return {
        "application_id": application.application_id,
        "external_id": application.external_id,
        "school_id": application.school_id,
        "student_id": application.student_id,
        "term_id": application.term_id,
        "step": application.stage,
        "club_choices": list(application.club_choices),
        "options": list(application.options),
        "withdrawal_effective_on": application.withdrawal_effective_on,
        "created_at": application.created_at,
        "updated_at": application.updated_at,
    }


async def _full(session: Any, application: roster.Application) -> ApplicationPublic:
    history = await store.history_of(session, application_id=application.application_id)
    places = await places_store.places_of_student(
        session, student_id=application.student_id, term_id=application.term_id
    )
    waiting = await places_store.waiting_of_student(
        session, student_id=application.student_id, term_id=application.term_id
    )
    positions = [
        WaitingPublic(
            program_id=w.program_id,
            position=[e.student_id for e in await places_store.waitlist_of(session, program_id=w.program_id)].index(
                w.student_id
            )
            + 1,
        )
        for w in waiting
    ]
    steps = [
        StepPublic(
            action=h.action, step=h.stage, by=h.by, role=h.role, at=h.at, reason=h.reason, effective_on=h.effective_on
        )
        for h in history
    ]
    return ApplicationPublic(
        **_summary(application), history=steps, club_places=[p.program_id for p in places], waitlists=positions
    )


async def _answer(uow: UnitOfWork, application: roster.Application) -> dict[str, Any]:
    await uow.session.flush()
    return (await _full(uow.session, application)).model_dump(mode="json")


@router.post("/applications", status_code=201, response_model=ApplicationPublic, dependencies=[IDEMPOTENT])
async def post_application(
    body: ApplicationCreate, request: Request, runtime: RuntimeDep, principal: Guardian
) -> JSONResponse:
    """EN-1: a guardian applies in writing for their own child (→ ApplicationSubmitted)."""

    async def act(uow: UnitOfWork) -> dict[str, Any]:
        return await _answer(uow, await handlers.submit_application(uow, body, caller=principal))

    return await once(request, runtime, principal, body, act)


async def _step(
    request: Request,
    runtime: RuntimeDep,
    principal: Principal,
    application_id: ApplicationKey,
    action: Action,
    body: Body,
    *,
    reason: str | None = None,
    effective_on: date | None = None,
) -> JSONResponse:
    command = handlers.TakeStep(principal, application_id, action, reason=reason, effective_on=effective_on)

    async def act(uow: UnitOfWork) -> dict[str, Any]:
        return await _answer(uow, await handlers.take_step(uow, command))

    return await once(request, runtime, principal, body, act, status=200)


def _register(path: str, action: Action, doc: str, route: Callable[..., Awaitable[JSONResponse]]) -> None:
    """Declare `route` as `POST /applications/{id}/<path>`, named after its action."""
    route.__doc__ = doc
    router.post(
        f"/applications/{{application_id}}/{path}",
        response_model=ApplicationPublic,
        name=action.value,
        dependencies=[IDEMPOTENT],
    )(route)


def _plain_step(path: str, action: Action, doc: str) -> None:
    """Register `POST /applications/{id}/<path>`: a step that needs nothing but the caller."""

    async def route(
        application_id: ApplicationKey,
        body: Nothing,
        request: Request,
        runtime: RuntimeDep,
        principal: AdminClassTeacherOrGuardian,
    ) -> JSONResponse:
        return await _step(request, runtime, principal, application_id, action, body)

    _register(path, action, doc, route)


def _reasoned_step(path: str, action: Action, doc: str) -> None:
    """Register `POST /applications/{id}/<path>`: a step that must give a reason (the guardian is told)."""

    async def route(
        application_id: ApplicationKey,
        body: ReasonGiven,
        request: Request,
        runtime: RuntimeDep,
        principal: AdminClassTeacherOrGuardian,
    ) -> JSONResponse:
        return await _step(request, runtime, principal, application_id, action, body, reason=body.reason)

    _register(path, action, doc, route)


_plain_step("review", Action.REVIEW, "EN-1: the class teacher of the child's class passes the first review.")
_plain_step("approval", Action.APPROVE, "EN-1: the school approves a reviewed application.")
_reasoned_step("rejection", Action.REJECT, "EN-1: the class teacher (at review) or the school (at approval) rejects.")
_plain_step("agreement", Action.SIGN, "EN-1: the guardian signs the service agreement; the enrollment is active.")
_plain_step(
    "withdrawal/approval",
    Action.APPROVE_WITHDRAWAL,
    "EN-2: the school approves; places are released from the notice date.",
)
_reasoned_step("withdrawal/refusal", Action.REFUSE_WITHDRAWAL, "EN-2: the school refuses the withdrawal.")


@router.post("/applications/{application_id}/withdrawal", response_model=ApplicationPublic, dependencies=[IDEMPOTENT])
async def post_withdrawal(
    application_id: ApplicationKey,
    body: WithdrawalCreate,
    request: Request,
    runtime: RuntimeDep,
    principal: AdminClassTeacherOrGuardian,
) -> JSONResponse:
    """EN-2: the guardian asks in writing to withdraw, giving the policy's notice (→ WithdrawalRequested)."""
    return await _step(
        request,
        runtime,
        principal,
        application_id,
        Action.REQUEST_WITHDRAWAL,
        body,
        reason=body.reason,
        effective_on=body.effective_on,
    )


@router.post("/declines", status_code=201, response_model=ApplicationPublic, dependencies=[IDEMPOTENT])
async def post_decline(body: DeclineCreate, request: Request, runtime: RuntimeDep, principal: Guardian) -> JSONResponse:
    """EN-1: a guardian declines the service for their child, with a reason (→ ParticipationDeclined)."""

    async def act(uow: UnitOfWork) -> dict[str, Any]:
        return await _answer(uow, await handlers.decline_participation(uow, body, caller=principal))

    return await once(request, runtime, principal, body, act)


@router.get("/applications/{application_id}", response_model=ApplicationPublic)
async def get_application(
    application_id: ApplicationKey, runtime: RuntimeDep, principal: AdminClassTeacherOrGuardian
) -> ApplicationPublic:
    """EN-1: an application with every step (who, when, why), for the child's guardians, class teacher, school."""
    async with runtime.db.sessions() as session:
        application = await roster.in_school(
            session, roster.Application, school_id=principal.school(), key=application_id
        )
        student = None if application is None else await session.get(roster.Student, application.student_id)
        if application is None or student is None or await handlers.actor_for(session, principal, student) is None:
            raise NotFound(f"no application '{application_id}' for this caller")
        return await _full(session, application)


@router.get("/applications", response_model=Page[ApplicationSummary])
async def get_applications(
    runtime: RuntimeDep,
    principal: AdminClassTeacherOrGuardian,
    page: Paging,
    term_id: Annotated[str | None, Query(max_length=64)] = None,
    step: Stage | None = None,
) -> Page[ApplicationSummary]:
    """Applications the caller may see, by id: the school's (admin), their class's (class teacher), their
    children's (guardian)."""
    async with runtime.db.sessions() as session:
        term_id = await roster.stored_key(session, Term, school_id=principal.school(), key=term_id)
        rows = await store.applications_page(
            session,
            school_id=principal.school(),
            term_id=term_id,
            stage=step.value if step is not None else None,
            guardian_id=principal.subject if principal.role is Role.GUARDIAN else None,
            class_teacher_id=principal.subject if principal.role is Role.CLASS_TEACHER else None,
            after=page.after_value(str),
            limit=page.limit + 1,
        )
    items = [ApplicationSummary(**_summary(a)) for a in rows]
    return page_of(items, page, lambda a: a.application_id)
