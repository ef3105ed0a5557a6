"""Completions, grades, guardians' reports and the burden as requested and answered (HW-7, HW-9)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from chassis.http import Body, Id
from contracts.enrollment import DayKind
from contracts.homework import HomeworkKind


class ResultBody(Body):
    """One present child's result."""

    student_id: Id
    done: bool
    actual_minutes: int = Field(ge=0, le=600)


class CompletionsBody(Body):
    """HW-7: results of the children present in a supervised session (default: today's)."""

    session_date: date | None = None
    results: list[ResultBody] = Field(min_length=1, max_length=100)


class GradeBody(Body):
    """HW-7: a grade with feedback (the grader is the caller, never a field)."""

    grade: Annotated[str, Field(min_length=1, max_length=20)]
    feedback: Annotated[str, Field(min_length=1, max_length=2000)]


class ReportBody(Body):
    """HW-9: how long the child took at home, and whether they finished (no grade: HW-6)."""

    done: bool
    actual_minutes: int = Field(ge=0, le=600)


class CompletionPublic(BaseModel):
    """A child's recorded result for an assignment, and its grading."""

    assignment_id: str
    student_id: str
    class_id: str
    on: date
    done: bool
    actual_minutes: int
    estimated_minutes: int
    recorded_by: str
    grade: str | None
    feedback: str | None
    graded_by: str | None
    graded_at: datetime | None


class StrugglingPublic(BaseModel):
    """HW-9: a child listed for individual help."""

    student_id: str
    class_id: str
    struggles: int
    window: int
    flagged_at: datetime


class BurdenDay(BaseModel):
    """HW-9: estimated against actual minutes of a class's day, and the cap it went over."""

    on: date
    day_kind: DayKind
    estimated_minutes: int
    actual_minutes: int | None
    over_cap_rule: str | None
    cap: int | None


class ChildHomework(BaseModel):
    """HW-7: one piece of homework as the child's guardian sees it."""

    assignment_id: str
    school_subject: str
    kind: HomeworkKind
    on: date
    due_on: date
    instructions: str
    estimated_minutes: int
    status: Literal["not_recorded", "done", "not_done"]
    actual_minutes: int | None
    grade: str | None
    feedback: str | None
