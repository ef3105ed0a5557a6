"""In-session completion and grading (HW-7), and the burden monitoring they feed (HW-9)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from prometheus_client import Counter, Gauge

from chassis.clock import school_today
from chassis.figures import SchoolFigure
from chassis.problems import Conflict, Forbidden, NotFound, Unprocessable
from chassis.records import from_fields
from chassis.sql import upsert
from chassis.uow import UnitOfWork
from contracts.homework import ClassOverCap, CompletionRecorded, StrugglingStudentFlagged, SubmissionGraded
from services.homework.assignments.store import Assignment, school_assignment
from services.homework.domain.burden import Outcome, StruggleRule, breach
from services.homework.domain.grading import refuse_grader
from services.homework.reference import store as ref
from services.homework.sessions import store
from services.homework.sessions.schemas import ReportBody, ResultBody
from services.homework.sessions.store import actuals_of_day, estimated_for
from services.homework.store import lock_class_day

SERVICE = "homework"
STRUGGLE = StruggleRule()

CLASSES_OVER_CAP = Counter(
    "afterschool_homework_classes_over_cap",
    "HW-9: class-days whose actual homework minutes went over a cap, by rule",
    ["service", "rule"],
)
OVER_CAP_TODAY = Gauge(
    "afterschool_school_classes_over_cap_today",
    "HW-9: classes whose actual homework minutes of the school day went over a cap, per school (read from the table)",
    ["service", "school"],
)
OVER_CAP_FIGURE = SchoolFigure(OVER_CAP_TODAY, store.classes_over_cap_by_school)


@dataclass(frozen=True)
class RecordCompletions:
    """Command: the service teacher records, for children present in a session, done or not and minutes."""

    school_id: str
    assignment_id: str
    session_date: date
    recorded_by: str
    results: list[ResultBody]


@dataclass(frozen=True)
class GradeSubmission:
    """Command: a teacher grades one child's submission, with feedback (HW-7)."""

    school_id: str
    assignment_id: str
    student_id: str
    grader_id: str
    grader_is_teacher: bool
    grader_is_class_teacher: bool
    grade: str
    feedback: str


async def assignment_of_school(uow: UnitOfWork, assignment_id: str, school_id: str) -> Assignment:
    """The school's assignment that still counts, or 404."""
    row = await school_assignment(uow.session, school_id=school_id, assignment_id=assignment_id)
    if row.withdrawn:
        raise NotFound(f"no assignment '{assignment_id}'")
    return row


async def record_completions(uow: UnitOfWork, command: RecordCompletions) -> list[store.Completion]:
    """HW-7: store each present child's result, publish it, then check the class's burden (HW-9)."""
    row = await assignment_of_school(uow, command.assignment_id, command.school_id)
    if command.session_date > school_today(uow.clock):
        raise Unprocessable("a session in the future cannot be recorded")
    stored = []
    for result in command.results:
        student = await uow.session.get(ref.Student, result.student_id)
        if student is None or student.school_id != command.school_id or student.class_id != row.class_id:
            raise NotFound(f"no student '{result.student_id}' in this class")
        if not await ref.is_present(
            uow.session, school_id=command.school_id, student_id=result.student_id, on=command.session_date
        ):
            absent = f"'{result.student_id}' did not check in to the session of {command.session_date}"
            raise Unprocessable(absent, rule="HW-7")
        stored.append(await _store_result(uow, row, result.student_id, result, command.recorded_by))
    await _flag_class_over_cap(uow, row)
    for result in command.results:
        await _flag_if_struggling(uow, row, result.student_id)
    return stored


GUARDIAN_REPORT = "guardian:"


async def report_minutes(
    uow: UnitOfWork, *, school_id: str, guardian_id: str, student_id: str, assignment_id: str, report: ReportBody
) -> store.Completion:
    """HW-9: a guardian reports how long their own child took at home; a time taken in session is not overwritten.

    The report carries minutes and done-or-not only: grading stays with teachers (HW-6, HW-7).
    """
    row = await assignment_of_school(uow, assignment_id, school_id)
    student = await uow.session.get(ref.Student, student_id)
    linked = await ref.is_guardian(uow.session, guardian_id=guardian_id, student_id=student_id, school_id=school_id)
    if not linked or student is None or student.class_id != row.class_id:
        raise NotFound(f"no homework '{assignment_id}' for your child '{student_id}'")
    existing = await uow.session.get(store.Completion, (assignment_id, student_id))
    if existing is not None and not existing.recorded_by.startswith(GUARDIAN_REPORT):
        raise Conflict("this homework was already timed in the supervised session", rule="HW-7")
    stored = await _store_result(uow, row, student_id, report, f"{GUARDIAN_REPORT}{guardian_id}")
    await _flag_class_over_cap(uow, row)
    await _flag_if_struggling(uow, row, student_id)
    return stored


async def _store_result(
    uow: UnitOfWork, row: Assignment, student_id: str, result: ResultBody | ReportBody, by: str
) -> store.Completion:
    values = {
        "assignment_id": row.assignment_id,
        "student_id": student_id,
        "school_id": row.school_id,
        "class_id": row.class_id,
        "day": row.on,  # the column's name: ON CONFLICT … SET takes column names, not attribute names
        "done": result.done,
        "actual_minutes": result.actual_minutes,
        "estimated_minutes": estimated_for(row, student_id),
        "recorded_by": by,
        "recorded_at": uow.clock.now(),
    }
    await uow.session.execute(upsert(uow.session, store.Completion, values, ["assignment_id", "student_id"]))
    completion = await uow.session.get(store.Completion, (row.assignment_id, student_id), populate_existing=True)
    assert completion is not None
    await uow.publish(from_fields(CompletionRecorded, completion), school_id=row.school_id)
    return completion


async def _flag_class_over_cap(uow: UnitOfWork, row: Assignment) -> None:
    """HW-9: the first time a class-day's actual minutes go over a cap, publish it and count it."""
    day_row = await lock_class_day(uow.session, school_id=row.school_id, class_id=row.class_id, on=row.on)
    school_class = await uow.session.get(ref.SchoolClass, row.class_id)
    if day_row.over_cap_rule is not None or school_class is None:
        return
    day = await ref.class_day(uow.session, school_id=row.school_id, grade=school_class.grade, on=row.on)
    _, actuals = await actuals_of_day(uow.session, class_id=row.class_id, on=row.on)
    found = breach(day, actuals)
    if found is None:
        return
    day_row.over_cap_rule = found.rule
    event = from_fields(ClassOverCap, found, school_id=row.school_id, class_id=row.class_id, on=row.on)
    await uow.publish(event, school_id=row.school_id)
    uow.after_commit(lambda: CLASSES_OVER_CAP.labels(SERVICE, found.rule).inc())


async def _flag_if_struggling(uow: UnitOfWork, row: Assignment, student_id: str) -> None:
    """HW-9: list a child who repeatedly does not finish or struggles; publish only when first listed."""
    recent = await store.recent_outcomes(uow.session, student_id=student_id, limit=STRUGGLE.window)
    outcomes = [Outcome(c.done, c.actual_minutes, c.estimated_minutes) for c in recent]
    listed = await uow.session.get(store.StrugglingStudent, student_id)
    if not STRUGGLE.flags(outcomes):
        if listed is not None:
            await uow.session.delete(listed)  # doing well again: no longer listed
        return
    struggles = STRUGGLE.struggles(outcomes)
    if listed is not None:
        listed.struggles, listed.class_id = struggles, row.class_id
        return
    flagged = store.StrugglingStudent(
        student_id=student_id,
        school_id=row.school_id,
        class_id=row.class_id,
        struggles=struggles,
        window=STRUGGLE.window,
        flagged_at=uow.clock.now(),
    )
    uow.session.add(flagged)
    await uow.publish(from_fields(StrugglingStudentFlagged, flagged), school_id=row.school_id)


async def grade_submission(uow: UnitOfWork, command: GradeSubmission) -> store.Completion:
    """HW-7: a teacher of the class grades a recorded submission, with feedback; never the child, never a parent."""
    refusal = refuse_grader(
        grader_id=command.grader_id, grader_is_teacher=command.grader_is_teacher, student_id=command.student_id
    )
    if refusal is not None:
        problem = Unprocessable if refusal.rule == "HW-7" else Forbidden
        raise problem(refusal.reason, rule=refusal.rule)
    row = await assignment_of_school(uow, command.assignment_id, command.school_id)
    teaches = await ref.teaches(
        uow.session, class_id=row.class_id, staff_id=command.grader_id, school_subject=row.school_subject
    )
    school_class = await uow.session.get(ref.SchoolClass, row.class_id)
    class_teacher = school_class is not None and school_class.class_teacher_id == command.grader_id
    if not (teaches or (command.grader_is_class_teacher and class_teacher)):
        raise Forbidden("only a teacher of this subject, or the class teacher, grades this homework", rule="HW-7")
    completion = await uow.session.get(store.Completion, (row.assignment_id, command.student_id))
    if completion is None:
        raise NotFound(f"no submission of '{command.student_id}' recorded for this homework")
    completion.grade, completion.feedback = command.grade, command.feedback
    completion.graded_by, completion.graded_at = command.grader_id, uow.clock.now()
    await uow.session.flush()
    event = from_fields(SubmissionGraded, completion, school_id=row.school_id, class_id=row.class_id)
    await uow.publish(event, school_id=row.school_id)
    return completion
