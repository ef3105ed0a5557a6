"""Request and response bodies of the school's set-up routes (`services.enrollment.setup.api`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, Field

from chassis.http import Body, Id, Name
from contracts.enrollment import DayKind, StaffRole

Days = Annotated[list[date], Field(max_length=366)]
Subject = Annotated[str, Field(min_length=1, max_length=50)]


class TermFields(Body):
    """A term's name and calendar (EN-5)."""

    name: Name
    starts_on: date
    ends_on: date
    holidays: Days = Field(default_factory=list, description="weekdays without school (节假日)")
    makeup_days: Days = Field(default_factory=list, description="weekend days with school (调休补课)")
    winter_from: date | None = Field(default=None, description="winter timetable from (inclusive)")
    winter_to: date | None = Field(default=None, description="winter timetable to (inclusive)")


class TermCreate(TermFields):
    """A new term of the caller's school."""

    id: Id | None = None


class TermPublic(BaseModel):
    """A term and its calendar."""

    term_id: str
    school_id: str
    name: str
    starts_on: date
    ends_on: date
    holidays: list[date]
    makeup_days: list[date]
    winter_from: date | None
    winter_to: date | None


class CalendarDayPublic(BaseModel):
    """One day: its kind and whether the winter timetable (earlier extended-care end) applies."""

    day: date
    kind: DayKind
    winter: bool


class TermCalendar(BaseModel):
    """A term's days from `from` to `to`."""

    term_id: str
    days: list[CalendarDayPublic]


class BandFields(Body):
    """A grade band (e.g. 低年级 = grades 1–2)."""

    name: Name
    grades: Annotated[list[int], Field(min_length=1, max_length=9)]


class BandCreate(BandFields):
    """A new grade band."""

    id: Id | None = None


class BandPublic(BaseModel):
    """A grade band."""

    band_id: str
    school_id: str
    name: str
    grades: list[int]


class RoomFields(Body):
    """A room; the reception room (接待室) is where uncollected children wait (AT-6)."""

    name: Name
    capacity: Annotated[int, Field(ge=1, le=2000)]
    is_reception: bool = False


class RoomCreate(RoomFields):
    """A new room."""

    id: Id | None = None


class RoomPublic(BaseModel):
    """A room."""

    room_id: str
    school_id: str
    name: str
    capacity: int
    is_reception: bool


class StaffFields(Body):
    """A member of staff, or an external provider's teacher (`external`)."""

    name: Name
    roles: Annotated[list[StaffRole], Field(min_length=1, max_length=6)]
    external: bool = False


class StaffCreate(StaffFields):
    """A new member of staff; `id` is the subject of their token."""

    id: Id | None = None


class StaffPublic(BaseModel):
    """A member of staff."""

    staff_id: str
    school_id: str
    name: str
    roles: list[StaffRole]
    external: bool


class ClassTeacherBody(Body):
    """Who is the class teacher."""

    staff_id: Id


class ClassTeacherPublic(BaseModel):
    """The class teacher of a class."""

    class_id: str
    staff_id: str


class TeachingBody(Body):
    """A subject a subject teacher teaches the class."""

    staff_id: Id
    school_subject: Subject


class TeachingPublic(BaseModel):
    """Who teaches which subject to a class."""

    class_id: str
    staff_id: str
    school_subject: str
