"""Request and response bodies of the duty roster's routes."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, Field

from chassis.http import Body, Id
from chassis.openapi import examples
from services.enrollment.fields import SchoolId

LEADERS = Field(description="the staff ids of the day's duty leaders (值日领导), who see the whole school's board")


class DutyRosterBody(Body):
    """The duty leaders of the day (each a member of the caller's school holding the duty_leader role)."""

    model_config = examples({"staff_ids": ["s-zhao"]})

    staff_ids: Annotated[list[Id], LEADERS, Field(min_length=1, max_length=10)]


class DutyDayPublic(BaseModel):
    """A day of a school's duty roster and its duty leaders (empty once cleared)."""

    model_config = examples({"school_id": "sy-xiaoxue", "day": "2026-11-25", "staff_ids": ["s-zhao"]})

    school_id: SchoolId
    day: date = Field(description="the school day (Asia/Shanghai)")
    staff_ids: Annotated[list[str], LEADERS]
