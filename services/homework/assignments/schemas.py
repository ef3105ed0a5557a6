"""An assignment as a subject teacher sets it (HW-5, HW-6) and as teachers see it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field

from chassis.auth import Principal
from chassis.http import Body, Id
from contracts.homework import HomeworkKind, Tier, WrittenLayer
from services.homework.assignments import handlers
from services.homework.domain import caps


class AssignmentBody(Body):
    """HW-5: homework for a class's day; the HW-6 flags say what the request asks of parents and phones."""

    class_id: Id
    school_subject: Annotated[str, Field(min_length=1, max_length=64)]
    kind: HomeworkKind
    layer: WrittenLayer | None = Field(default=None, description="written homework only")
    tiers: list[Tier] = Field(min_length=1, max_length=10, description="one tier for everyone, or 分层作业")
    on: date = Field(description="the day the homework is to be done: the caps' day")
    due_on: date
    instructions: Annotated[str, Field(min_length=1, max_length=2000)]
    for_parents: bool = Field(default=False, description="HW-6: refused when true")
    graded_by_parents: bool = Field(default=False, description="HW-6: refused when true")
    via_phone: bool = Field(default=False, description="HW-6: set or done through phones or chat groups; refused")
    punitive: bool = Field(default=False, description="HW-6: repetitive or punitive; refused")

    def command(self, principal: Principal) -> handlers.SetHomework:
        """The command this request asks for, on behalf of the calling teacher."""
        return handlers.SetHomework(
            school_id=principal.school(),
            teacher_id=principal.subject,
            class_id=self.class_id,
            school_subject=self.school_subject,
            kind=self.kind,
            layer=self.layer,
            tiers=self.tiers,
            on=self.on,
            due_on=self.due_on,
            instructions=self.instructions,
            forbidden=caps.Forbidden(self.for_parents, self.graded_by_parents, self.via_phone, self.punitive),
        )


class AssignmentPublic(BaseModel):
    """An assignment as teachers see it."""

    assignment_id: str
    class_id: str
    teacher_id: str
    school_subject: str
    kind: HomeworkKind
    layer: WrittenLayer | None
    tiers: list[Tier]
    counted_minutes: int
    on: date
    due_on: date
    instructions: str
    withdrawn: bool
    version: int
    after_plan_published: bool
    updated_at: datetime
