"""HTTP routes under `/homework/v1` for the supervised session: completion and grading (HW-7), a child's
homework as their guardian sees it, and burden monitoring for the class teacher (HW-9)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from chassis.app import RuntimeDep
from chassis.auth import Principal, Role, require
from chassis.clock import school_today
from chassis.http import Guardian, Paging, ServiceTeacher, once
from chassis.idempotency import IDEMPOTENT
from chassis.pagination import Page, page_of
from chassis.problems import Unprocessable
from chassis.uow import UnitOfWork
from services.homework.assignments.store import school_assignment
from services.homework.fields import FromDay, ToDay
from services.homework.reference.schemas import (
    TEACHERS,
    ClassTeacherOrAdmin,
    TeacherAdminOrGuardian,
    TeacherOrAdmin,
)
from services.homework.reference.store import class_for, student_for
from services.homework.sessions import handlers, store
from services.homework.sessions.schemas import (
    BurdenDay,
    ChildHomework,
    CompletionPublic,
    CompletionsBody,
    GradeBody,
    ReportBody,
    StrugglingPublic,
)
from services.homework.sessions.store import burden_days, child_homework

router = APIRouter(prefix="/homework/v1", tags=["sessions"])

TeacherOrGuardian = Annotated[
    Principal,
    require(Role.SUBJECT_TEACHER, Role.CLASS_TEACHER, Role.SERVICE_TEACHER, Role.GUARDIAN),
]
MAX_BURDEN_DAYS = 31


def completion(row: store.Completion) -> dict[str, Any]:
    """A completion as JSON."""
    return CompletionPublic.model_validate(row, from_attributes=True).model_dump(mode="json")


@router.post(
    "/assignments/{assignment_id}/completions", response_model=list[CompletionPublic], dependencies=[IDEMPOTENT]
)
async def record_completions(
    assignment_id: str, body: CompletionsBody, request: Request, runtime: RuntimeDep, principal: ServiceTeacher
) -> JSONResponse:
    """HW-7: the service teacher records, per child present in the session, done or not and the actual minutes."""
    command = handlers.RecordCompletions(
        school_id=principal.school(),
        assignment_id=assignment_id,
        session_date=body.session_date or school_today(runtime.clock),
        recorded_by=principal.subject,
        results=body.results,
    )

    async def act(uow: UnitOfWork) -> list[dict[str, Any]]:
        return [completion(row) for row in await handlers.record_completions(uow, command)]

    return await once(request, runtime, principal, body, act, status=200)


@router.get("/assignments/{assignment_id}/completions", response_model=Page[CompletionPublic])
async def list_completions(
    assignment_id: str, runtime: RuntimeDep, principal: TeacherOrAdmin, page: Paging
) -> Page[CompletionPublic]:
    """The results recorded for an assignment (graded or not), by student."""
    async with runtime.db.sessions() as session:
        row = await school_assignment(session, school_id=principal.school(), assignment_id=assignment_id)
        await class_for(session, principal, row.class_id)
        rows = await store.completions_page(
            session, assignment_id=assignment_id, after=page.after_value(str), limit=page.limit + 1
        )
    items = [CompletionPublic.model_validate(r, from_attributes=True) for r in rows]
    return page_of(items, page, lambda c: c.student_id)


@router.post(
    "/assignments/{assignment_id}/completions/{student_id}/grade",
    response_model=CompletionPublic,
    dependencies=[IDEMPOTENT],
)
async def grade_submission(
    assignment_id: str,
    student_id: str,
    body: GradeBody,
    request: Request,
    runtime: RuntimeDep,
    principal: TeacherOrGuardian,
) -> JSONResponse:
    """HW-7: a teacher of the subject (or the class teacher) grades the child's submission with feedback.

    Parents never grade (HW-6, 403); a grader who is the child is refused (HW-7, 422).
    """
    command = handlers.GradeSubmission(
        school_id=principal.school(),
        assignment_id=assignment_id,
        student_id=student_id,
        grader_id=principal.subject,
        grader_is_teacher=principal.role in TEACHERS,
        grader_is_class_teacher=principal.role is Role.CLASS_TEACHER,
        grade=body.grade,
        feedback=body.feedback,
    )

    async def act(uow: UnitOfWork) -> dict[str, Any]:
        return completion(await handlers.grade_submission(uow, command))

    return await once(request, runtime, principal, body, act, status=200)


@router.get("/students/{student_id}/homework", response_model=Page[ChildHomework])
async def list_child_homework(
    student_id: str, runtime: RuntimeDep, principal: TeacherAdminOrGuardian, page: Paging
) -> Page[ChildHomework]:
    """HW-7: a child's homework, newest day first, with their own status, minutes, grade and feedback."""
    after = page.after_pair(date, str)
    async with runtime.db.sessions() as session:
        student = await student_for(session, principal, student_id)
        items = await child_homework(session, student=student, after=after, limit=page.limit + 1)
    return page_of(items, page, lambda h: (h.on, h.assignment_id))


@router.post(
    "/students/{student_id}/homework/{assignment_id}/report", response_model=CompletionPublic, dependencies=[IDEMPOTENT]
)
async def report_minutes(
    student_id: str, assignment_id: str, body: ReportBody, request: Request, runtime: RuntimeDep, principal: Guardian
) -> JSONResponse:
    """HW-9: a guardian reports the actual minutes their own child spent at home (not when timed in session)."""

    async def act(uow: UnitOfWork) -> dict[str, Any]:
        row = await handlers.report_minutes(
            uow,
            school_id=principal.school(),
            guardian_id=principal.subject,
            student_id=student_id,
            assignment_id=assignment_id,
            report=body,
        )
        return completion(row)

    return await once(request, runtime, principal, body, act, status=200)


@router.get("/classes/{class_id}/burden", response_model=list[BurdenDay])
async def class_burden(
    class_id: str, runtime: RuntimeDep, principal: ClassTeacherOrAdmin, first: FromDay, last: ToDay
) -> list[BurdenDay]:
    """HW-9: estimated against actual minutes per day (at most 31 days), and the cap each day went over."""
    if not first <= last <= first + timedelta(days=MAX_BURDEN_DAYS - 1):
        raise Unprocessable(f"'to' must be on or after 'from', at most {MAX_BURDEN_DAYS} days")
    async with runtime.db.sessions() as session:
        return await burden_days(session, await class_for(session, principal, class_id), first, last)


@router.get("/classes/{class_id}/struggling", response_model=Page[StrugglingPublic])
async def list_struggling(
    class_id: str, runtime: RuntimeDep, principal: ClassTeacherOrAdmin, page: Paging
) -> Page[StrugglingPublic]:
    """HW-9: children of the class who repeatedly do not finish or struggle, for individual help."""
    async with runtime.db.sessions() as session:
        await class_for(session, principal, class_id)
        rows = await store.struggling_page(
            session, class_id=class_id, after=page.after_value(str), limit=page.limit + 1
        )
    items = [StrugglingPublic.model_validate(r, from_attributes=True) for r in rows]
    return page_of(items, page, lambda s: s.student_id)
