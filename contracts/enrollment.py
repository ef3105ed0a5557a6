"""Events published by the enrollment service on `enrollment.events` (keyed by school, class or student)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from contracts.envelope import Event

TOPIC = "enrollment.events"


class SchoolRegistered(Event):
    """A school joined the district's deployment."""

    type: ClassVar[str] = "enrollment.school_registered.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "school_id"

    school_id: str
    district_id: str
    name: str
    timezone: str = "Asia/Shanghai"


class ClassCreated(Event):
    """A class (班级) of a grade was set up in a school."""

    type: ClassVar[str] = "enrollment.class_created.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "class_id"

    class_id: str
    school_id: str
    grade: int = Field(ge=1, le=9)
    name: str


class StudentEnrolled(Event):
    """A student joined a school's roster in a class; the name is what alerts address the child by."""

    type: ClassVar[str] = "enrollment.student_enrolled.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "student_id"

    student_id: str
    school_id: str
    class_id: str
    grade: int = Field(ge=1, le=9)
    name: str = Field(description="given name used in guardian alerts; no id number, no birth date")


class GuardianLinked(Event):
    """A guardian was linked to a student and will be told about the child (NT-1)."""

    type: ClassVar[str] = "enrollment.guardian_linked.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "student_id"

    guardian_id: str
    student_id: str
    school_id: str
    relation: str = Field(description="母亲, 父亲, 祖父母, … as the school records it")
    preferred_language: Literal["zh", "en"] = "zh"


EVENTS: tuple[type[Event], ...] = (SchoolRegistered, ClassCreated, StudentEnrolled, GuardianLinked)
