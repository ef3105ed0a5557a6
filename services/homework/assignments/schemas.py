"""An assignment as a subject teacher sets it (HW-5, HW-6) and as teachers see it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field
from pydantic.config import JsonDict

from chassis.auth import Principal
from chassis.http import Body, Id
from chassis.openapi import examples
from chassis.records import from_fields
from contracts.fields import CLASS, AssignmentId, ClassId, StaffId
from contracts.homework import Tier, WrittenLayer
from services.homework.assignments import handlers
from services.homework.domain import caps
from services.homework.fields import Counted, DueOn, Instructions, Kind, Layer, On, Subject, Version

TIERS = "one tier for everyone, or 分层作业: a tier per group of children (HW-5)"
BODY: JsonDict = {
    "class_id": "g3c1",
    "school_subject": "数学",
    "kind": "written",
    "layer": "basic",
    "tiers": [
        {"name": "基础", "estimated_minutes": 20, "student_ids": []},
        {"name": "提高", "estimated_minutes": 25, "student_ids": ["xiaoming"]},
    ],
    "on": "2026-11-25",
    "due_on": "2026-11-26",
    "instructions": "练习册第 12 页 1–6 题",
}


class AssignmentBody(Body):
    """HW-5: homework for a class's day; the HW-6 flags say what the request asks of parents and phones."""

    model_config = examples(
        {**BODY, "for_parents": False, "graded_by_parents": False, "via_phone": False, "punitive": False}
    )

    class_id: Annotated[Id, Field(description=CLASS)]
    school_subject: Annotated[Subject, Field(min_length=1, max_length=64)]
    kind: Kind
    layer: Annotated[
        WrittenLayer | None, Field(description="HW-5: the layer of written homework; leave out otherwise")
    ] = None
    tiers: list[Tier] = Field(min_length=1, max_length=10, description=TIERS)
    on: On
    due_on: DueOn
    instructions: Annotated[Instructions, Field(min_length=1, max_length=2000)]
    for_parents: bool = Field(default=False, description="HW-6: refused when true")
    graded_by_parents: bool = Field(default=False, description="HW-6: refused when true")
    via_phone: bool = Field(default=False, description="HW-6: set or done through phones or chat groups; refused")
    punitive: bool = Field(default=False, description="HW-6: repetitive or punitive; refused")

    def command(self, principal: Principal) -> handlers.SetHomework:
        """The command this request asks for, on behalf of the calling teacher."""
        forbidden = caps.Forbidden(self.for_parents, self.graded_by_parents, self.via_phone, self.punitive)
        return from_fields(
            handlers.SetHomework, self, school_id=principal.school(), teacher_id=principal.subject, forbidden=forbidden
        )


class AssignmentPublic(BaseModel):
    """An assignment as teachers see it."""

    model_config = examples(
        {
            "assignment_id": "4b5c6d7e-8f9a-4b0c-9d1e-2f3a4b5c6d7e",
            **BODY,
            "teacher_id": "chen",
            "counted_minutes": 25,
            "withdrawn": False,
            "version": 1,
            "after_plan_published": False,
            "updated_at": "2026-11-24T10:15:00Z",
        }
    )

    assignment_id: AssignmentId
    class_id: ClassId
    teacher_id: StaffId
    school_subject: Subject
    kind: Kind
    layer: Layer
    tiers: list[Tier] = Field(description=TIERS)
    counted_minutes: Counted
    on: On
    due_on: DueOn
    instructions: Instructions
    withdrawn: bool = Field(description="withdrawn by its teacher: its minutes no longer count")
    version: Version
    after_plan_published: bool = Field(
        description="HW-8: set or changed after the week's plan was published, so guardians were told again"
    )
    updated_at: datetime = Field(description="when it was last set, changed or withdrawn (UTC)")
