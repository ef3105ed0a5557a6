"""Events published by the homework service on `homework.events`.

Keys: a class's assignments, refusals, plans and cap flags by `class_id` (so one class-day's decisions stay in
order); a child's completion, grading and struggle flags by `student_id`. Ids only, never names or phone numbers.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import Event

TOPIC = "homework.events"


class HomeworkKind(StrEnum):
    """HW-5: written (书面) homework, or one of the practical kinds (实践)."""

    WRITTEN = "written"
    READING = "reading"
    SPORT = "sport"
    LABOUR = "labour"
    INQUIRY = "inquiry"


class WrittenLayer(StrEnum):
    """HW-5: the layer of written homework (基础型, 拓展型, 综合型)."""

    BASIC = "basic"
    EXTENDED = "extended"
    COMPREHENSIVE = "comprehensive"


class Tier(BaseModel):
    """HW-5 分层作业: one tier's estimated load; `student_ids` empty = the tier for everyone not named elsewhere."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={"examples": [{"name": "基础", "estimated_minutes": 20, "student_ids": []}]},
    )

    name: str = Field(min_length=1, max_length=40, description="the tier's name as the class knows it, e.g. 基础, 提高")
    estimated_minutes: int = Field(ge=1, le=600, description="HW-5: the minutes a child of this tier should need")
    student_ids: list[str] = Field(
        default_factory=list, description="the children of this tier; empty = everyone not named in another tier"
    )


_GUARDIANS_TOLD: list[str] = Field(
    default_factory=list, description="HW-8: when after_plan_published, the class's children whose guardians are told"
)


class _ClassEvent(Event, topic=TOPIC, key_field="class_id"):
    """An event about one class's homework (keyed by class)."""


class _StudentEvent(Event, topic=TOPIC, key_field="student_id"):
    """An event about one child's homework (keyed by student)."""


class _AssignmentEvent(_ClassEvent):
    """An event about one assignment of a class, set by one subject teacher."""

    assignment_id: str
    school_id: str
    class_id: str
    teacher_id: str


class _AssignmentFacts(_AssignmentEvent):
    """What an assignment is, as set or changed by a subject teacher."""

    school_subject: str
    kind: HomeworkKind
    layer: WrittenLayer | None = None
    tiers: list[Tier]
    counted_minutes: int = Field(description="HW-5: the heaviest tier, what the caps count")
    on: date = Field(description="the day the homework is to be done (the caps' day)")
    due_on: date
    version: int = Field(ge=1)
    after_plan_published: bool = Field(
        default=False, description="HW-8: the week's plan was already published, so guardians must be told again"
    )
    student_ids: list[str] = _GUARDIANS_TOLD


class HomeworkAssigned(_AssignmentFacts):
    """HW-5: a subject teacher set homework for a class (it passed every cap of HW-1..HW-4 and HW-6)."""

    type: ClassVar[str] = "homework.homework_assigned.v1"


class HomeworkChanged(_AssignmentFacts):
    """An assignment was changed (and passed the caps again); `version` increased."""

    type: ClassVar[str] = "homework.homework_changed.v1"


class HomeworkWithdrawn(_AssignmentEvent):
    """An assignment was withdrawn; its minutes no longer count."""

    type: ClassVar[str] = "homework.homework_withdrawn.v1"

    on: date
    after_plan_published: bool = False
    school_subject: str = ""
    student_ids: list[str] = _GUARDIANS_TOLD


class HomeworkRefused(_ClassEvent):
    """HW-4/HW-6: an attempt to set or change homework was refused, with the rule and the numbers."""

    type: ClassVar[str] = "homework.homework_refused.v1"

    attempt_id: str
    assignment_id: str | None = Field(default=None, description="set when a change was refused")
    school_id: str
    class_id: str
    teacher_id: str
    school_subject: str
    on: date
    rule: str = Field(description="HW-1, HW-2, HW-3 or HW-6")
    reason: str
    cap: int = Field(description="the cap that would break (minutes or subjects)")
    requested_minutes: int
    assigned_minutes: int = Field(description="already assigned that day, measured as the cap measures")
    minutes_by_subject: dict[str, int] = Field(default_factory=dict)


class WeeklyPlanPublished(_ClassEvent):
    """HW-8: the school published (or re-published, `version` > 1) a class's homework plan for a week."""

    type: ClassVar[str] = "homework.weekly_plan_published.v1"

    plan_id: str
    school_id: str
    class_id: str
    week_start: date = Field(description="the Monday of the week planned")
    version: int = Field(ge=1)
    assignment_ids: list[str]
    published_by: str
    late: bool = Field(description="published after the policy's cutoff weekday of the week before")
    student_ids: list[str] = Field(default_factory=list, description="the class's children, whose guardians are told")


class _StudentWork(_StudentEvent):
    """An event about one child's work on one assignment."""

    assignment_id: str
    student_id: str
    school_id: str
    class_id: str


class CompletionRecorded(_StudentWork):
    """HW-7: in a supervised session the service teacher recorded whether a child finished, and how long it took."""

    type: ClassVar[str] = "homework.completion_recorded.v1"

    on: date
    done: bool
    actual_minutes: int
    estimated_minutes: int
    recorded_by: str


class SubmissionGraded(_StudentWork):
    """HW-7: a teacher graded a child's submission, with feedback (never the child, never a parent)."""

    type: ClassVar[str] = "homework.submission_graded.v1"

    grade: str
    feedback: str
    graded_by: str


class ClassOverCap(_ClassEvent):
    """HW-9: the minutes a class actually spent on a day's homework went over a cap."""

    type: ClassVar[str] = "homework.class_over_cap.v1"

    school_id: str
    class_id: str
    on: date
    rule: str
    cap: int
    actual_minutes: int
    estimated_minutes: int


class StrugglingStudentFlagged(_StudentEvent):
    """HW-9: a child repeatedly did not finish or took much longer than estimated (学困生), for individual help."""

    type: ClassVar[str] = "homework.struggling_student_flagged.v1"

    student_id: str
    school_id: str
    class_id: str
    struggles: int = Field(description="struggles among the recent recorded completions")
    window: int = Field(description="how many recent completions were looked at")


EVENTS: tuple[type[Event], ...] = (
    HomeworkAssigned,
    HomeworkChanged,
    HomeworkWithdrawn,
    HomeworkRefused,
    WeeklyPlanPublished,
    CompletionRecorded,
    SubmissionGraded,
    ClassOverCap,
    StrugglingStudentFlagged,
)
