"""A weekly plan as requested and as published (HW-8)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel

from chassis.http import Body, SchoolDate
from contracts.homework import HomeworkKind, WrittenLayer


class PlanBody(Body):
    """HW-8: the week (its Monday) whose plan is published."""

    week_start: SchoolDate


class PlanChange(BaseModel):
    """HW-8: an assignment of the week that changed since the plan was published."""

    assignment_id: str
    change: Literal["added", "changed", "withdrawn"]


class PlannedHomework(BaseModel):
    """HW-8: one piece of the week's homework as the school publishes it (公示), in its current version."""

    assignment_id: str
    school_subject: str
    kind: HomeworkKind
    layer: WrittenLayer | None
    on: date
    due_on: date
    counted_minutes: int
    instructions: str
    version: int


class PlanView(BaseModel):
    """HW-8: the latest published plan of a week, and what changed since."""

    plan_id: str
    class_id: str
    week_start: SchoolDate
    version: int
    published_by: str
    published_at: datetime
    late: bool
    assignment_ids: list[str]
    homework: list[PlannedHomework]
    changed_since_publication: list[PlanChange]
