"""Request and response bodies of the duty roster's routes."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, Field

from chassis.http import Body, Id


class DutyRosterBody(Body):
    """The duty leaders of the day (each a member of the caller's school holding the duty_leader role)."""

    staff_ids: Annotated[list[Id], Field(min_length=1, max_length=10)]


class DutyDayPublic(BaseModel):
    """A day of a school's duty roster and its duty leaders (empty once cleared)."""

    school_id: str
    day: date
    staff_ids: list[str]
