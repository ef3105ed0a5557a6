"""Request and response bodies of the school's set-up routes (`services.enrollment.setup.api`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, Field
from pydantic.config import JsonDict

from chassis.http import Body, Name, NewId
from chassis.openapi import examples
from contracts.enrollment import DayKind, StaffRole
from services.enrollment.fields import ClassId, ExternalId, SchoolId, StaffId, StaffRef, TermId

Days = Annotated[list[date], Field(max_length=366)]
SubjectName = Annotated[str, Field(description="the subject as the school names it (e.g. 数学)")]
Subject = Annotated[SubjectName, Field(min_length=1, max_length=50)]
TermName = Annotated[str, Field(description="the term's name (e.g. 2026-2027学年第一学期)")]
FirstDay = Annotated[date, Field(description="the term's first day (inclusive)")]
LastDay = Annotated[date, Field(description="the term's last day (inclusive)")]
Grades = Annotated[list[int], Field(description="the grades in the band, 1–9")]
Capacity = Annotated[int, Field(description="how many children the room holds")]
Reception = Annotated[bool, Field(description="the reception room (接待室) where uncollected children wait (AT-6)")]
Roles = Annotated[list[StaffRole], Field(description="what the person does at the school; each is a token role")]
External = Annotated[bool, Field(description="an external provider's teacher (校外机构), not school staff")]
Named = Annotated[str, Field(description="its name as the school writes it")]

TERM: JsonDict = {
    "name": "2026-2027学年第一学期",
    "starts_on": "2026-09-01",
    "ends_on": "2027-01-22",
    "holidays": ["2026-10-01", "2026-10-02"],
    "makeup_days": ["2026-09-27"],
    "winter_from": "2026-11-09",
    "winter_to": "2027-01-22",
}


class TermFields(Body):
    """A term's name and calendar (EN-5)."""

    model_config = examples(TERM)

    name: Annotated[TermName, Field(min_length=1, max_length=100)]
    starts_on: FirstDay
    ends_on: LastDay
    holidays: Days = Field(default_factory=list, description="weekdays without school (节假日)")
    makeup_days: Days = Field(default_factory=list, description="weekend days with school (调休补课)")
    winter_from: date | None = Field(default=None, description="winter timetable from (inclusive)")
    winter_to: date | None = Field(default=None, description="winter timetable to (inclusive)")


class TermCreate(TermFields):
    """A new term of the caller's school."""

    model_config = examples({"id": "t-2026-1", **TERM})

    id: NewId = None


class TermPublic(BaseModel):
    """A term and its calendar."""

    model_config = examples({"term_id": "t-2026-1", "school_id": "sy-xiaoxue", **TERM})

    term_id: TermId
    external_id: ExternalId = None
    school_id: SchoolId
    name: TermName
    starts_on: FirstDay
    ends_on: LastDay
    holidays: list[date] = Field(description="weekdays without school (节假日)")
    makeup_days: list[date] = Field(description="weekend days with school (调休补课)")
    winter_from: date | None = Field(description="winter timetable from (inclusive); null: no winter timetable")
    winter_to: date | None = Field(description="winter timetable to (inclusive); null: no winter timetable")


class CalendarDayPublic(BaseModel):
    """One day: its kind and whether the winter timetable (earlier extended-care end) applies."""

    model_config = examples({"day": "2026-11-25", "kind": "school_day", "winter": True})

    day: date = Field(description="the school day (Asia/Shanghai)")
    kind: DayKind = Field(description="school_day, weekend, holiday or vacation (EN-5: no sessions but on school days)")
    winter: bool = Field(description="the winter timetable applies: extended care ends earlier (EN-5)")


class TermCalendar(BaseModel):
    """A term's days from `from` to `to`."""

    model_config = examples(
        {
            "term_id": "t-2026-1",
            "days": [
                {"day": "2026-11-25", "kind": "school_day", "winter": True},
                {"day": "2026-11-28", "kind": "weekend", "winter": True},
            ],
        }
    )

    term_id: TermId
    days: list[CalendarDayPublic] = Field(description="each day from `from` to `to`, in order")


class BandFields(Body):
    """A grade band (e.g. 低年级 = grades 1–2)."""

    model_config = examples({"name": "低年级", "grades": [1, 2]})

    name: Annotated[Name, Field(description="the band's name (e.g. 低年级)")]
    grades: Annotated[Grades, Field(min_length=1, max_length=9)]


class BandCreate(BandFields):
    """A new grade band."""

    model_config = examples({"id": "b-low", "name": "低年级", "grades": [1, 2]})

    id: NewId = None


class BandPublic(BaseModel):
    """A grade band."""

    model_config = examples({"band_id": "b-low", "school_id": "sy-xiaoxue", "name": "低年级", "grades": [1, 2]})

    band_id: str = Field(description="the band's id; AT-4's staggered dismissal times are set per band")
    external_id: ExternalId = None
    school_id: SchoolId
    name: Named
    grades: Grades


class RoomFields(Body):
    """A room; the reception room (接待室) is where uncollected children wait (AT-6)."""

    model_config = examples({"name": "三楼阅览室", "capacity": 40, "is_reception": False})

    name: Annotated[Name, Field(description="the room's name (e.g. 三楼阅览室)")]
    capacity: Annotated[Capacity, Field(ge=1, le=2000)]
    is_reception: Reception = False


class RoomCreate(RoomFields):
    """A new room."""

    model_config = examples({"id": "r-301", "name": "三楼阅览室", "capacity": 40, "is_reception": False})

    id: NewId = None


class RoomPublic(BaseModel):
    """A room."""

    model_config = examples(
        {
            "room_id": "r-301",
            "school_id": "sy-xiaoxue",
            "name": "三楼阅览室",
            "capacity": 40,
            "is_reception": False,
        }
    )

    room_id: str = Field(description="the room's id; programs name it (EN-4)")
    external_id: ExternalId = None
    school_id: SchoolId
    name: Named
    capacity: Capacity
    is_reception: Reception


class StaffFields(Body):
    """A member of staff, or an external provider's teacher (`external`)."""

    model_config = examples({"name": "张老师", "roles": ["class_teacher", "service_teacher"], "external": False})

    name: Annotated[Name, Field(description="the person's name (e.g. 张老师)")]
    roles: Annotated[Roles, Field(min_length=1, max_length=6)]
    external: External = False


class StaffCreate(StaffFields):
    """A new member of staff; `id` is the subject of their token."""

    model_config = examples(
        {"id": "s-zhang", "name": "张老师", "roles": ["class_teacher", "service_teacher"], "external": False}
    )

    id: NewId = None


class StaffPublic(BaseModel):
    """A member of staff."""

    model_config = examples(
        {
            "staff_id": "s-zhang",
            "school_id": "sy-xiaoxue",
            "name": "张老师",
            "roles": ["class_teacher", "service_teacher"],
            "external": False,
        }
    )

    staff_id: StaffId
    external_id: ExternalId = None
    school_id: SchoolId
    name: Named
    roles: Roles
    external: External


class ClassTeacherBody(Body):
    """Who is the class teacher."""

    model_config = examples({"staff_id": "s-zhang"})

    staff_id: Annotated[StaffRef, Field(description="a member of the school's staff with the class_teacher role")]


class ClassTeacherPublic(BaseModel):
    """The class teacher of a class."""

    model_config = examples({"class_id": "c3-1", "staff_id": "s-zhang"})

    class_id: ClassId
    staff_id: StaffId


class TeachingBody(Body):
    """A subject a subject teacher teaches the class."""

    model_config = examples({"staff_id": "s-liu", "school_subject": "数学"})

    staff_id: Annotated[StaffRef, Field(description="a member of the school's staff with the subject_teacher role")]
    school_subject: Subject


class MyClass(BaseModel):
    """A class the calling teacher leads or teaches: whether they are its class teacher, and their subjects there."""

    model_config = examples({"class_id": "c3-1", "grade": 3, "name": "三年级1班", "leads": True, "subjects": ["数学"]})

    class_id: ClassId
    grade: int = Field(description="the class's grade, 1 to 9")
    name: str = Field(description="the class's name as the school writes it")
    leads: bool = Field(description="the caller is its class teacher (班主任: hands it over, decides its leave)")
    subjects: list[SubjectName] = Field(description="the subjects the caller teaches it (HW-4), alphabetically")


class TeachingPublic(BaseModel):
    """Who teaches which subject to a class."""

    model_config = examples({"class_id": "c3-1", "staff_id": "s-liu", "school_subject": "数学"})

    class_id: ClassId
    staff_id: StaffId
    school_subject: SubjectName
