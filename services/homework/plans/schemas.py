"""A weekly plan as requested and as published (HW-8)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from chassis.http import Body, SchoolDate
from chassis.openapi import examples
from contracts.fields import AssignmentId, ClassId
from services.homework.fields import Counted, DueOn, Instructions, Kind, Layer, On, Subject, Version

WEEK_START = "the Monday of the week planned"


class PlanBody(Body):
    """HW-8: the week (its Monday) whose plan is published."""

    model_config = examples({"week_start": "2026-11-23"})

    week_start: Annotated[SchoolDate, Field(description=WEEK_START)]


class PlanChange(BaseModel):
    """HW-8: an assignment of the week that changed since the plan was published."""

    assignment_id: AssignmentId
    change: Literal["added", "changed", "withdrawn"] = Field(description="what became of it since publication")


class PlannedHomework(BaseModel):
    """HW-8: one piece of the week's homework as the school publishes it (公示), in its current version."""

    assignment_id: AssignmentId
    school_subject: Subject
    kind: Kind
    layer: Layer
    on: On
    due_on: DueOn
    counted_minutes: Counted
    instructions: Instructions
    version: Version


class PlanView(BaseModel):
    """HW-8: the latest published plan of a week, and what changed since."""

    model_config = examples(
        {
            "plan_id": "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b",
            "class_id": "g3c1",
            "week_start": "2026-11-23",
            "version": 1,
            "published_by": "zhang",
            "published_at": "2026-11-20T08:00:00Z",
            "late": False,
            "assignment_ids": ["4b5c6d7e-8f9a-4b0c-9d1e-2f3a4b5c6d7e"],
            "homework": [
                {
                    "assignment_id": "4b5c6d7e-8f9a-4b0c-9d1e-2f3a4b5c6d7e",
                    "school_subject": "数学",
                    "kind": "written",
                    "layer": "basic",
                    "on": "2026-11-25",
                    "due_on": "2026-11-26",
                    "counted_minutes": 25,
                    "instructions": "练习册第 12 页 1–6 题",
                    "version": 1,
                }
            ],
            "changed_since_publication": [],
        }
    )

    plan_id: str = Field(description="the plan's id, given by the server")
    class_id: ClassId
    week_start: Annotated[SchoolDate, Field(description=WEEK_START)]
    version: int = Field(description="1 when first published, one more for each re-publication")
    published_by: str = Field(description="the class teacher or admin who published it (staff id)")
    published_at: datetime = Field(description="when it was published (UTC)")
    late: bool = Field(description="HW-8: published after the policy's cutoff weekday of the week before")
    assignment_ids: list[str] = Field(description="the week's assignments when it was published")
    homework: list[PlannedHomework] = Field(description="the week's homework as published (公示), current versions")
    changed_since_publication: list[PlanChange] = Field(
        description="assignments added, changed or withdrawn since; empty when the plan is up to date"
    )
