"""The class teacher's day and week as the API answers them (HW-4)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field
from pydantic.config import JsonDict

from chassis.openapi import examples
from contracts.enrollment import DayKind
from contracts.fields import ClassId, StaffId
from services.homework.fields import Subject

DAY: JsonDict = {
    "class_id": "g3c1",
    "on": "2026-11-25",
    "day_kind": "school_day",
    "subjects": [
        {
            "school_subject": "数学",
            "minutes": 25,
            "written_minutes": 25,
            "assignment_ids": ["4b5c6d7e-8f9a-4b0c-9d1e-2f3a4b5c6d7e"],
        },
        {
            "school_subject": "语文",
            "minutes": 20,
            "written_minutes": 20,
            "assignment_ids": ["5c6d7e8f-9a0b-4c1d-8e2f-3a4b5c6d7e8f"],
        },
    ],
    "room": {
        "written_cap": 60,
        "written_left": 15,
        "subjects_cap": 2,
        "subjects_left": 0,
        "total_cap": None,
        "total_left": None,
    },
    "not_yet_assigned": [{"staff_id": "zhao", "school_subject": "英语"}],
}
FREE: JsonDict = {
    "written_cap": 60,
    "written_left": 60,
    "subjects_cap": 2,
    "subjects_left": 2,
    "total_cap": None,
    "total_left": None,
}
WEEKEND: JsonDict = {**FREE, "subjects_cap": 3, "subjects_left": 3, "total_cap": 120, "total_left": 120}
WEEK: JsonDict = {
    "class_id": "g3c1",
    "week_start": "2026-11-23",
    "days": [
        DAY
        if on == "2026-11-25"
        else {
            **DAY,
            "on": on,
            "day_kind": "weekend" if on >= "2026-11-28" else "school_day",
            "subjects": [],
            "room": WEEKEND if on >= "2026-11-28" else FREE,
            "not_yet_assigned": [
                {"staff_id": "chen", "school_subject": "数学"},
                {"staff_id": "liu", "school_subject": "语文"},
                {"staff_id": "zhao", "school_subject": "英语"},
            ],
        }
        for on in (f"2026-11-{day}" for day in range(23, 30))
    ],
}
DAY_KIND = "school day, weekend, holiday or vacation (EN-5): the HW-3 caps differ by it"


class SubjectLoad(BaseModel):
    """One subject's homework on the day."""

    school_subject: Subject
    minutes: int = Field(description="the subject's counted minutes that day, written and practical")
    written_minutes: int = Field(description="of which written (书面) minutes, what the HW-2 cap counts")
    assignment_ids: list[str] = Field(description="the subject's assignments that day")


class TeacherToAssign(BaseModel):
    """A subject teacher of the class who has set nothing for the day yet."""

    staff_id: StaffId
    school_subject: Subject


class CapRoom(BaseModel):
    """What is left under each cap (null: the cap does not apply that day)."""

    written_cap: int = Field(description="HW-1/HW-2: written minutes allowed that day (0 in grades 1–2)")
    written_left: int = Field(description="written minutes still free under that cap")
    subjects_cap: int = Field(description="HW-3: subjects that may set homework that day")
    subjects_left: int = Field(description="subjects that may still set homework")
    total_cap: int | None = Field(description="HW-3: minutes of all homework allowed; null on school days")
    total_left: int | None = Field(description="minutes still free under that cap; null on school days")


class DayView(BaseModel):
    """HW-4: the class teacher's view of one day."""

    model_config = examples(DAY)

    class_id: ClassId
    on: date = Field(description="the day shown")
    day_kind: DayKind = Field(description=DAY_KIND)
    subjects: list[SubjectLoad] = Field(description="each subject with homework that day")
    room: CapRoom = Field(description="HW-4: what is left under each cap")
    not_yet_assigned: list[TeacherToAssign] = Field(description="the class's subject teachers who set nothing yet")


class WeekView(BaseModel):
    """HW-4: the seven days of a week."""

    model_config = examples(WEEK)

    class_id: ClassId
    week_start: date = Field(description="the Monday the week starts on")
    days: list[DayView] = Field(description="Monday to Sunday, one view per day")
