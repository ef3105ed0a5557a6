"""Completions, grades, guardians' reports and the burden as requested and answered (HW-7, HW-9)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from chassis.http import Body, Id
from chassis.openapi import examples
from contracts.enrollment import DayKind
from contracts.fields import STUDENT, AssignmentId, ClassId, StudentId
from services.homework.fields import (
    FEEDBACK,
    GRADE,
    DueOn,
    Estimated,
    Feedback,
    Grade,
    Instructions,
    Kind,
    Minutes,
    On,
    Subject,
)

DONE = "HW-7: the child finished the homework"
ACTUAL = "the minutes the child actually took (0 to 600)"


class ResultBody(Body):
    """One present child's result."""

    student_id: Annotated[Id, Field(description=STUDENT)]
    done: bool = Field(description=DONE)
    actual_minutes: int = Field(ge=0, le=600, description=ACTUAL)


class CompletionsBody(Body):
    """HW-7: results of the children present in a supervised session (default: today's)."""

    model_config = examples(
        {
            "session_date": "2026-11-25",
            "results": [
                {"student_id": "xiaoming", "done": True, "actual_minutes": 22},
                {"student_id": "xiaohong", "done": False, "actual_minutes": 40},
            ],
        }
    )

    session_date: date | None = Field(
        default=None, description="the school day of the supervised session (YYYY-MM-DD); today when left out"
    )
    results: list[ResultBody] = Field(min_length=1, max_length=100, description="one result per child present")


class GradeBody(Body):
    """HW-7: a grade with feedback (the grader is the caller, never a field)."""

    model_config = examples({"grade": "优", "feedback": "书写工整，第 5 题再想想进位"})

    grade: Annotated[str, Field(min_length=1, max_length=20, description=GRADE)]
    feedback: Annotated[str, Field(min_length=1, max_length=2000, description=FEEDBACK)]


class ReportBody(Body):
    """HW-9: how long the child took at home, and whether they finished (no grade: HW-6)."""

    model_config = examples({"done": True, "actual_minutes": 30})

    done: bool = Field(description=DONE)
    actual_minutes: int = Field(ge=0, le=600, description=ACTUAL)


class CompletionPublic(BaseModel):
    """A child's recorded result for an assignment, and its grading."""

    model_config = examples(
        {
            "assignment_id": "4b5c6d7e-8f9a-4b0c-9d1e-2f3a4b5c6d7e",
            "student_id": "xiaoming",
            "class_id": "g3c1",
            "on": "2026-11-25",
            "done": True,
            "actual_minutes": 22,
            "estimated_minutes": 25,
            "recorded_by": "li",
            "grade": "优",
            "feedback": "书写工整，第 5 题再想想进位",
            "graded_by": "chen",
            "graded_at": "2026-11-26T02:30:00Z",
        }
    )

    assignment_id: AssignmentId
    student_id: StudentId
    class_id: ClassId
    on: On
    done: bool = Field(description=DONE)
    actual_minutes: Minutes
    estimated_minutes: Estimated
    recorded_by: str = Field(
        description="the service teacher's staff id, or `guardian:<id>` for a guardian's report (HW-9)"
    )
    grade: Grade
    feedback: Feedback
    graded_by: str | None = Field(description="the teacher who graded (staff id); null until graded")
    graded_at: datetime | None = Field(description="when it was graded (UTC); null until graded")


class StrugglingPublic(BaseModel):
    """HW-9: a child listed for individual help."""

    model_config = examples(
        {
            "student_id": "xiaohong",
            "class_id": "g3c1",
            "struggles": 3,
            "window": 5,
            "flagged_at": "2026-11-25T09:30:00Z",
        }
    )

    student_id: StudentId
    class_id: ClassId
    struggles: int = Field(description="HW-9: of the last `window` results, those not finished or far over estimate")
    window: int = Field(description="how many of the child's latest results were looked at")
    flagged_at: datetime = Field(description="when the child was flagged (UTC)")


class BurdenDay(BaseModel):
    """HW-9: estimated against actual minutes of a class's day, and the cap it went over."""

    model_config = examples(
        {
            "on": "2026-11-25",
            "day_kind": "school_day",
            "estimated_minutes": 45,
            "actual_minutes": 68,
            "over_cap_rule": "HW-2",
            "cap": 60,
        }
    )

    on: date = Field(description="the day")
    day_kind: DayKind = Field(description="school day, weekend, holiday or vacation: the caps differ by it (HW-3)")
    estimated_minutes: int = Field(description="the day's counted minutes, all subjects (heaviest tiers)")
    actual_minutes: int | None = Field(
        description="the mean minutes the children took, summed over the day's homework; null: none recorded"
    )
    over_cap_rule: str | None = Field(description="HW-9: the cap the actual minutes went over (HW-2, HW-3); null: none")
    cap: int | None = Field(description="that cap, in minutes; null when no cap was gone over")


class ChildHomework(BaseModel):
    """HW-7: one piece of homework as the child's guardian sees it."""

    model_config = examples(
        {
            "assignment_id": "4b5c6d7e-8f9a-4b0c-9d1e-2f3a4b5c6d7e",
            "school_subject": "数学",
            "kind": "written",
            "on": "2026-11-25",
            "due_on": "2026-11-26",
            "instructions": "练习册第 12 页 1–6 题",
            "estimated_minutes": 25,
            "status": "done",
            "actual_minutes": 22,
            "grade": "优",
            "feedback": "书写工整，第 5 题再想想进位",
        }
    )

    assignment_id: AssignmentId
    school_subject: Subject
    kind: Kind
    on: On
    due_on: DueOn
    instructions: Instructions
    estimated_minutes: Estimated
    status: Literal["not_recorded", "done", "not_done"] = Field(
        description="HW-7: whether the child's result is recorded, and whether they finished"
    )
    actual_minutes: int | None = Field(description="the minutes the child took; null until recorded")
    grade: Grade
    feedback: Feedback
