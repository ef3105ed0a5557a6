"""Request and answer models of the roster routes: schools, classes, students and guardians."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from chassis.http import Body, Create, Id, Name
from contracts.enrollment import PriorityGroup
from services.enrollment.domain import roster
from services.enrollment.pickups.schemas import Relation


class SchoolCreate(Create):
    """A school to register in the caller's district."""

    name: Annotated[str, Field(min_length=1, max_length=200)]


class ClassCreate(Create):
    """A class of the caller's school."""

    grade: int = Field(description="1–6 primary, 7–9 middle school")
    name: Name


class StudentCreate(Create):
    """A child to enroll in a class of the caller's school."""

    class_id: Id
    name: Name
    priority_groups: list[PriorityGroup] = Field(default_factory=list, description="EN-3 priority groups")


class GuardianCreate(Create):
    """A guardian of children of the caller's school."""

    name: Name
    phone: Annotated[str, Field(pattern=r"^\+?[0-9 -]{5,20}$")]
    preferred_language: Literal["zh", "en"] = "zh"


class GuardianLinkCreate(Body):
    """Link a guardian to the child."""

    guardian_id: Id
    relation: Relation


class TransferCreate(Body):
    """EN-8: move the child to another class of the same school."""

    to_class_id: Id
    effective_on: date | None = Field(default=None, description="defaults to today (school time)")


class LeavingCreate(Body):
    """EN-8: the child leaves the school's roster."""

    effective_on: date | None = Field(default=None, description="defaults to today (school time)")


class PriorityGroupsSet(Body):
    """EN-3: the priority groups the child belongs to (replaces the earlier list)."""

    priority_groups: list[PriorityGroup]


class SchoolPublic(BaseModel):
    """A registered school."""

    school_id: str
    district_id: str
    name: str
    timezone: str


class ClassPublic(BaseModel):
    """A class."""

    class_id: str
    school_id: str
    grade: int
    name: str
    external_id: str | None = Field(default=None, description="the school's own id of the class (EN-8 imports)")


class StudentPublic(BaseModel):
    """A child on the roster, with their guardians' ids."""

    student_id: str
    school_id: str
    class_id: str
    name: str
    external_id: str | None = None
    priority_groups: list[str] = []
    status: str = roster.ACTIVE
    left_on: date | None = None
    guardian_ids: list[str] = []


class GuardianPublic(BaseModel):
    """A guardian."""

    guardian_id: str
    school_id: str
    name: str
    preferred_language: str


class GuardianLinkPublic(BaseModel):
    """A guardian linked to a child."""

    student_id: str
    guardian_id: str
    relation: str


class GuardianDetail(GuardianPublic):
    """A guardian as the school admin and the guardian themself see them: phone and children."""

    phone: str
    external_id: str | None = None
    children: list[GuardianLinkPublic] = []
