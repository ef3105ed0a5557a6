"""Request and answer models of the roster routes: schools, classes, students and guardians."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from chassis.http import Body, Create, Id, Name
from chassis.openapi import examples
from contracts.enrollment import PriorityGroup
from services.enrollment.domain import roster
from services.enrollment.fields import (
    ChildName,
    ClassId,
    ClassRef,
    DistrictId,
    ExternalId,
    GuardianId,
    GuardianRef,
    Language,
    LeftOn,
    Phone,
    PriorityGroups,
    RelationText,
    SchoolId,
    StudentId,
    StudentStatus,
)
from services.enrollment.pickups.schemas import Relation


class SchoolCreate(Create):
    """A school to register in the caller's district."""

    model_config = examples({"id": "sy-xiaoxue", "name": "实验小学"})

    id: Annotated[
        Id | None,
        Field(
            description="the school's id, global: the district registers it under its national school code "
            "(全国中小学校标识码), which is public; drawn when absent"
        ),
    ] = None
    name: Annotated[str, Field(min_length=1, max_length=200, description="the school's name (e.g. 实验小学)")]


class ClassCreate(Create):
    """A class of the caller's school."""

    model_config = examples({"id": "c3-1", "grade": 3, "name": "三年级1班"})

    grade: int = Field(description="1–6 primary, 7–9 middle school")
    name: Name = Field(description="the class's name as the school writes it (e.g. 三年级1班)")


class StudentCreate(Create):
    """A child to enroll in a class of the caller's school."""

    model_config = examples(
        {"id": "st-xiaoming", "class_id": "c3-1", "name": "王小明", "priority_groups": ["left_behind"]}
    )

    class_id: ClassRef
    name: Annotated[Name, Field(description="the child's name as the school's roster spells it (e.g. 王小明)")]
    priority_groups: list[PriorityGroup] = Field(default_factory=list, description="EN-3 priority groups")


class GuardianCreate(Create):
    """A guardian of children of the caller's school."""

    model_config = examples(
        {"id": "g-wang-ma", "name": "李丽", "phone": "+86 138 0013 8000", "preferred_language": "zh"}
    )

    name: Annotated[Name, Field(description="the guardian's name (e.g. 李丽)")]
    phone: Annotated[Phone, Field(pattern=r"^\+?[0-9 -]{5,20}$")]
    preferred_language: Literal["zh", "en"] = Field(default="zh", description="the language of the guardian's messages")


class GuardianLinkCreate(Body):
    """Link a guardian to the child."""

    model_config = examples({"guardian_id": "g-wang-ma", "relation": "母亲"})

    guardian_id: GuardianRef
    relation: Relation


class TransferCreate(Body):
    """EN-8: move the child to another class of the same school."""

    model_config = examples({"to_class_id": "c3-2", "effective_on": "2026-11-30"})

    to_class_id: Annotated[ClassRef, Field(description="the class of the same school the child moves to")]
    effective_on: date | None = Field(default=None, description="defaults to today (school time)")


class LeavingCreate(Body):
    """EN-8: the child leaves the school's roster."""

    model_config = examples({"effective_on": "2026-11-30"})

    effective_on: date | None = Field(default=None, description="defaults to today (school time)")


class PriorityGroupsSet(Body):
    """EN-3: the priority groups the child belongs to (replaces the earlier list)."""

    model_config = examples({"priority_groups": ["left_behind", "single_parent"]})

    priority_groups: list[PriorityGroup] = Field(description="every group that applies; an empty list clears them")


class SchoolPublic(BaseModel):
    """A registered school."""

    model_config = examples(
        {"school_id": "sy-xiaoxue", "district_id": "haidian", "name": "实验小学", "timezone": "Asia/Shanghai"}
    )

    school_id: SchoolId
    district_id: DistrictId
    name: str = Field(description="the school's name")
    timezone: str = Field(description="IANA time zone of the school's clock; school dates and times are read in it")


class ClassPublic(BaseModel):
    """A class."""

    model_config = examples(
        {"class_id": "c3-1", "school_id": "sy-xiaoxue", "grade": 3, "name": "三年级1班", "external_id": "0301"}
    )

    class_id: ClassId
    school_id: SchoolId
    grade: int = Field(description="1–6 primary, 7–9 middle school")
    name: str = Field(description="the class's name (e.g. 三年级1班)")
    external_id: ExternalId = None


class StudentPublic(BaseModel):
    """A child on the roster, with their guardians' ids."""

    model_config = examples(
        {
            "student_id": "st-xiaoming",
            "school_id": "sy-xiaoxue",
            "class_id": "c3-1",
            "name": "王小明",
            "external_id": "2023030115",
            "priority_groups": ["left_behind"],
            "status": "active",
            "left_on": None,
            "guardian_ids": ["g-wang-ma"],
        }
    )

    student_id: StudentId
    school_id: SchoolId
    class_id: ClassId
    name: ChildName
    external_id: ExternalId = None  # 学籍号
    priority_groups: PriorityGroups = []
    status: StudentStatus = roster.ACTIVE
    left_on: LeftOn = None
    guardian_ids: list[str] = Field(default=[], description="ids of the child's linked guardians")


class GuardianPublic(BaseModel):
    """A guardian."""

    model_config = examples(
        {"guardian_id": "g-wang-ma", "school_id": "sy-xiaoxue", "name": "李丽", "preferred_language": "zh"}
    )

    guardian_id: GuardianId
    external_id: ExternalId = None
    school_id: SchoolId
    name: str = Field(description="the guardian's name")
    preferred_language: Language


class GuardianLinkPublic(BaseModel):
    """A guardian linked to a child."""

    model_config = examples({"student_id": "st-xiaoming", "guardian_id": "g-wang-ma", "relation": "母亲"})

    student_id: StudentId
    guardian_id: GuardianId
    relation: RelationText


class GuardianDetail(GuardianPublic):
    """A guardian as the school admin and the guardian themself see them: phone and children."""

    model_config = examples(
        {
            "guardian_id": "g-wang-ma",
            "school_id": "sy-xiaoxue",
            "name": "李丽",
            "preferred_language": "zh",
            "phone": "+86 138 0013 8000",
            "external_id": None,
            "children": [{"student_id": "st-xiaoming", "guardian_id": "g-wang-ma", "relation": "母亲"}],
        }
    )

    phone: Phone
    children: list[GuardianLinkPublic] = Field(default=[], description="the children the guardian is linked to")
