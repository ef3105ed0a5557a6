"""Commands of the application workflow (EN-1) and withdrawal (EN-2): rules → store + events in one unit of work.

Who may act is decided from the child, not the route: a guardian linked to the child, the class teacher of the
child's class, or an admin of the child's school. Anyone else (another family, another class's teacher, another
school) is answered as if the application did not exist.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chassis.auth import Principal, Role
from chassis.clock import school_today
from chassis.problems import Conflict, Forbidden, NotFound, Unprocessable
from chassis.uow import UnitOfWork
from contracts.enrollment import (
    AgreementSigned,
    ApplicationApproved,
    ApplicationRejected,
    ApplicationReviewed,
    ApplicationStep,
    ApplicationSubmitted,
    EnrollmentWithdrawn,
    ParticipationDeclined,
    ProgramKind,
    WithdrawalRefused,
    WithdrawalRequested,
)
from contracts.envelope import Event
from services.enrollment import store as roster
from services.enrollment.applications import store
from services.enrollment.applications.schemas import ApplicationCreate, DeclineCreate
from services.enrollment.domain.programs import OPTIONAL_KINDS, offered
from services.enrollment.domain.workflow import (
    FINAL,
    Action,
    Actor,
    IllegalStep,
    NoticeTooShort,
    Stage,
    WrongActor,
    check_withdrawal_date,
    take,
)
from services.enrollment.places.handlers import grade_of, release_all
from services.enrollment.policy.handlers import policy_for_term
from services.enrollment.setup.store import class_teacher_of, term_in_school
from services.enrollment.store import lock_term_places, program_in_school


@dataclass(frozen=True)
class TakeStep:
    """Command: review, approve, reject, sign, request or decide a withdrawal (EN-1, EN-2), in the caller's school."""

    caller: Principal
    application_id: str
    action: Action
    reason: str | None = None
    effective_on: date | None = None


async def actor_for(session: AsyncSession, caller: Principal, student: roster.Student) -> Actor | None:
    """EN-1: the caller's part in the child's application, or None when they have none."""
    if caller.role is Role.SCHOOL_ADMIN:
        return Actor.SCHOOL
    if caller.role is Role.GUARDIAN:
        guardians = await roster.guardians_of(session, student_id=student.student_id)
        return Actor.GUARDIAN if caller.subject in guardians else None
    if caller.role is Role.CLASS_TEACHER:
        teacher = await class_teacher_of(session, class_id=student.class_id)
        return Actor.CLASS_TEACHER if teacher == caller.subject else None
    return None


async def _own_child(uow: UnitOfWork, school_id: str, caller: Principal, student_id: str) -> roster.Student:
    student = await roster.in_school(uow.session, roster.Student, school_id=school_id, key=student_id)
    if student is None or await actor_for(uow.session, caller, student) is not Actor.GUARDIAN:
        raise NotFound(f"no student '{student_id}' for this caller")
    return student


async def _check_choices(
    uow: UnitOfWork, body: ApplicationCreate, school_id: str, term_id: str, grade: int
) -> list[str]:
    """EN-4: the ranked clubs (each named by stored id or school code), as stored ids."""
    chosen: list[str] = []
    for program_id in body.club_choices:
        program = await program_in_school(uow.session, school_id=school_id, program_id=program_id)
        if program is None or program.kind != ProgramKind.CLUB or program.term_id != term_id:
            raise Unprocessable(f"'{program_id}' is not a club of this term", rule="EN-4")
        if program.cancelled:
            raise Unprocessable(f"club '{program_id}' was cancelled", rule="EN-4")
        if not program.min_grade <= grade <= program.max_grade:
            raise Unprocessable(
                f"club '{program_id}' is for grades {program.min_grade}–{program.max_grade}, not grade {grade}",
                rule="EN-4",
            )
        chosen.append(program.program_id)
    if len(set(chosen)) != len(chosen):
        raise Unprocessable("each club may be ranked once", rule="EN-4")
    return chosen


async def submit_application(uow: UnitOfWork, body: ApplicationCreate, *, caller: Principal) -> roster.Application:
    """EN-1: a guardian applies in writing for their child for a term, ranking club choices: recorded
    (→ ApplicationSubmitted); one open application per child and term."""
    school_id = caller.school()
    student = await _own_child(uow, school_id, caller, body.student_id)
    if student.status != "active":
        raise Conflict(f"student '{student.student_id}' has left the school")
    policy = await policy_for_term(uow, school_id=school_id, term_id=body.term_id)
    term = await term_in_school(uow.session, school_id=school_id, term_id=body.term_id)
    assert term is not None  # policy_for_term found it
    await _refuse_if_open(uow, student.student_id, term.term_id)
    choices = await _check_choices(uow, body, school_id, term.term_id, await grade_of(uow, student))
    for kind in body.options:
        if kind not in OPTIONAL_KINDS or not offered(kind, policy):
            raise Unprocessable(f"the school does not offer '{kind.value}' as an optional service", rule="EN-6")
    application_id = await roster.new_id(uow, roster.Application, body.id, school_id)
    application = _new_application(uow, school_id, student.student_id, term.term_id, application_id)
    application.external_id = body.id
    application.club_choices = choices
    application.options = [kind.value for kind in body.options]
    await _save_new(uow, application)
    now = application.created_at
    _record(uow, application, Action.SUBMIT, caller, now)
    event = ApplicationSubmitted(
        **_facts(application, caller.subject, now),
        club_choices=choices,
        options=list(body.options),
    )
    await uow.publish(event, school_id=school_id)
    return application


async def _refuse_if_open(uow: UnitOfWork, student_id: str, term_id: str) -> None:
    current = await store.open_application(uow.session, student_id=student_id, term_id=term_id)
    if current is not None:
        raise Conflict(
            f"application '{current.application_id}' for this term is already {current.stage}",
            step=current.stage,
            application_id=current.application_id,
        )


def _new_application(
    uow: UnitOfWork, school_id: str, student_id: str, term_id: str, application_id: str
) -> roster.Application:
    now = uow.clock.now()
    return roster.Application(
        application_id=application_id,
        school_id=school_id,
        student_id=student_id,
        term_id=term_id,
        stage=Stage.SUBMITTED,
        club_choices=[],
        options=[],
        open_key=f"{student_id}:{term_id}",
        created_at=now,
        updated_at=now,
    )


async def _save_new(uow: UnitOfWork, application: roster.Application) -> None:
    uow.session.add(application)
    try:
        await uow.session.flush()
    except IntegrityError as error:
        # Two submissions for the same child and term at once: the unique open key lets only one through.
        raise Conflict("an application for this child and term is already open") from error


def _facts(application: roster.Application, by: str, at: datetime) -> dict[str, object]:
    return {
        "application_id": application.application_id,
        "student_id": application.student_id,
        "school_id": application.school_id,
        "term_id": application.term_id,
        "by": by,
        "at": at,
    }


def _record(
    uow: UnitOfWork,
    application: roster.Application,
    action: Action,
    caller: Principal,
    at: datetime,
    *,
    reason: str | None = None,
    effective_on: date | None = None,
) -> None:
    uow.session.add(
        store.ApplicationEntry(
            application_id=application.application_id,
            action=action,
            stage=application.stage,
            by=caller.subject,
            role=caller.role.value,
            at=at,
            reason=reason,
            effective_on=effective_on,
        )
    )


async def take_step(uow: UnitOfWork, command: TakeStep) -> roster.Application:
    """EN-1/EN-2: move the application one step, record who, when and why, and announce it."""
    school_id = command.caller.school()
    application = await roster.locked_in_school(
        uow.session, roster.Application, school_id=school_id, key=command.application_id
    )
    student = None if application is None else await uow.session.get(roster.Student, application.student_id)
    actor = None if student is None else await actor_for(uow.session, command.caller, student)
    if application is None or actor is None:
        raise NotFound(f"no application '{command.application_id}' for this caller")
    if command.action in (Action.APPROVE_WITHDRAWAL, Action.DECLINE):
        # These release club places: place changes queue on the term's lock (BX-1).
        await lock_term_places(uow, school_id=school_id, term_id=application.term_id)
    before = Stage(application.stage)
    try:
        after = take(before, command.action, actor)
    except IllegalStep as error:
        raise Conflict(str(error), step=before.value) from error
    except WrongActor as error:
        raise Forbidden(str(error)) from error
    event = await _effect(uow, application, command, before)
    application.stage = after
    application.updated_at = uow.clock.now()
    if after in FINAL:
        application.open_key = None
    _record(
        uow,
        application,
        command.action,
        command.caller,
        application.updated_at,
        reason=command.reason,
        effective_on=getattr(event, "effective_on", None),
    )
    await uow.session.flush()
    await uow.publish(event, school_id=school_id)
    return application


async def _effect(uow: UnitOfWork, application: roster.Application, command: TakeStep, before: Stage) -> Event:
    """What the step does besides moving the stage, and the event that announces it."""
    facts = _facts(application, command.caller.subject, uow.clock.now())
    action, reason = command.action, command.reason or ""
    if action is Action.REVIEW:
        return ApplicationReviewed(**facts)
    if action is Action.APPROVE:
        return ApplicationApproved(**facts)
    if action is Action.REJECT:
        # `step` is where the application stood: submitted = the class review said no, reviewed = the school.
        return ApplicationRejected(**facts, step=ApplicationStep(before.value), reason=reason)
    if action is Action.SIGN:
        return AgreementSigned(**facts, active_from=await _active_from(uow, application))
    if action is Action.DECLINE:
        await _leave_service(uow, application, school_today(uow.clock))
        return ParticipationDeclined(**facts, reason=reason)
    if action is Action.REQUEST_WITHDRAWAL:
        effective_on = await _notice_date(uow, application, command.effective_on)
        application.withdrawal_effective_on = effective_on
        return WithdrawalRequested(**facts, effective_on=effective_on, reason=reason)
    if action is Action.APPROVE_WITHDRAWAL:
        effective_on = application.withdrawal_effective_on or school_today(uow.clock)
        await _leave_service(uow, application, effective_on)
        return EnrollmentWithdrawn(**facts, effective_on=effective_on)
    application.withdrawal_effective_on = None
    return WithdrawalRefused(**facts, reason=reason)


async def _active_from(uow: UnitOfWork, application: roster.Application) -> date:
    """EN-1: the enrollment is active from today, or from the first day of the term if it has not begun."""
    term = await term_in_school(uow.session, school_id=application.school_id, term_id=application.term_id)
    today = school_today(uow.clock)
    return max(today, term.starts_on) if term is not None else today


async def _notice_date(uow: UnitOfWork, application: roster.Application, effective_on: date | None) -> date:
    """EN-2: the requested date, refused (422) unless it gives the policy's notice."""
    policy = await policy_for_term(uow, school_id=application.school_id, term_id=application.term_id)
    today = school_today(uow.clock)
    try:
        return check_withdrawal_date(effective_on or today, today=today, notice_days=policy.withdrawal_notice_days)
    except NoticeTooShort as error:
        raise Unprocessable(str(error), rule="EN-2", notice_days=policy.withdrawal_notice_days) from error


async def _leave_service(uow: UnitOfWork, application: roster.Application, effective_on: date) -> None:
    """EN-2/BX-1: the child's club places are released from `effective_on` and the waitlists move up."""
    await release_all(
        uow,
        school_id=application.school_id,
        student_id=application.student_id,
        term_id=application.term_id,
        effective_on=effective_on,
    )


async def decline_participation(uow: UnitOfWork, body: DeclineCreate, *, caller: Principal) -> roster.Application:
    """EN-1: a guardian records that the child will not take part, and why: the open application is declined, or a
    declined one recorded if the family never applied."""
    school_id = caller.school()
    student = await _own_child(uow, school_id, caller, body.student_id)
    await policy_for_term(uow, school_id=school_id, term_id=body.term_id)
    term = await term_in_school(uow.session, school_id=school_id, term_id=body.term_id)
    assert term is not None  # policy_for_term found it
    current = await store.open_application(uow.session, student_id=student.student_id, term_id=term.term_id)
    if current is not None:
        step = TakeStep(caller, current.application_id, Action.DECLINE, body.reason)
        return await take_step(uow, step)
    application = _new_application(uow, school_id, student.student_id, term.term_id, str(uuid.uuid4()))
    application.stage, application.open_key = Stage.DECLINED, None
    await _save_new(uow, application)
    _record(uow, application, Action.DECLINE, caller, application.created_at, reason=body.reason)
    facts = _facts(application, caller.subject, application.created_at)
    await uow.publish(ParticipationDeclined(**facts, reason=body.reason), school_id=school_id)
    return application
