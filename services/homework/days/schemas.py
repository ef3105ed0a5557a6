"""The class teacher's day and week as the API answers them (HW-4)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from contracts.enrollment import DayKind


class SubjectLoad(BaseModel):
    """One subject's homework on the day."""

    school_subject: str
    minutes: int
    written_minutes: int
    assignment_ids: list[str]


class TeacherToAssign(BaseModel):
    """A subject teacher of the class who has set nothing for the day yet."""

    staff_id: str
    school_subject: str


class CapRoom(BaseModel):
    """What is left under each cap (null: the cap does not apply that day)."""

    written_cap: int
    written_left: int
    subjects_cap: int
    subjects_left: int
    total_cap: int | None
    total_left: int | None


class DayView(BaseModel):
    """HW-4: the class teacher's view of one day."""

    class_id: str
    on: date
    day_kind: DayKind
    subjects: list[SubjectLoad]
    room: CapRoom
    not_yet_assigned: list[TeacherToAssign]


class WeekView(BaseModel):
    """HW-4: the seven days of a week."""

    class_id: str
    week_start: date
    days: list[DayView]
