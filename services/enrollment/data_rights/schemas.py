"""A guardian's export of their family's data."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from chassis.openapi import examples
from services.enrollment.fields import (
    ApplicationId,
    ChildName,
    ClassId,
    ClubChoices,
    Created,
    GuardianId,
    Language,
    LeftOn,
    Options,
    PersonId,
    Phone,
    PickupStatus,
    PriorityGroups,
    RelationText,
    SchoolId,
    Stage,
    StudentId,
    StudentStatus,
    TermId,
)


class ExportedGuardian(BaseModel):
    """What enrollment holds of the guardian."""

    guardian_id: GuardianId
    name: str = Field(description="the guardian's name")
    phone: Phone
    preferred_language: Language


class ExportedPickup(BaseModel):
    """An adult who may (or must never) collect the child: other people's data, so the ID number masked, no note."""

    person_id: PersonId
    name: str = Field(description="the adult's name")
    relation: RelationText
    status: PickupStatus
    id_number: str | None = Field(default=None, description="masked: the last four digits")


class ExportedApplication(BaseModel):
    """An application for the after-school service (EN-1) and its club choices (EN-4)."""

    application_id: ApplicationId
    term_id: TermId
    stage: Stage
    club_choices: ClubChoices
    options: Options
    created_at: Created


class ExportedChild(BaseModel):
    """One of the guardian's children and what enrollment holds of them."""

    student_id: StudentId
    school_id: SchoolId
    class_id: ClassId
    name: ChildName
    relation: str = Field(description="the guardian's relation to the child, as the school records it")
    status: StudentStatus
    left_on: LeftOn = None
    priority_groups: PriorityGroups
    walk_home_allowed: bool | None = Field(default=None, description="AT-5: the latest statement, if any")
    pickups: list[ExportedPickup] = Field(description="the adults on the child's pickup list (BX-2)")
    applications: list[ExportedApplication] = Field(description="the child's applications, every term (EN-1)")


class FamilyExport(BaseModel):
    """PIPL Art. 45: a guardian's copy of their family's data held by enrollment, with where the rest is read."""

    model_config = examples(
        {
            "exported_at": "2026-11-25T09:00:00Z",
            "guardian": {
                "guardian_id": "g-wang-ma",
                "name": "李丽",
                "phone": "+86 138 0013 8000",
                "preferred_language": "zh",
            },
            "children": [
                {
                    "student_id": "st-xiaoming",
                    "school_id": "sy-xiaoxue",
                    "class_id": "c3-1",
                    "name": "王小明",
                    "relation": "母亲",
                    "status": "active",
                    "left_on": None,
                    "priority_groups": ["left_behind"],
                    "walk_home_allowed": False,
                    "pickups": [
                        {
                            "person_id": "p-wang-ye",
                            "name": "王建国",
                            "relation": "祖父",
                            "status": "authorised",
                            "id_number": "****0034",
                        }
                    ],
                    "applications": [
                        {
                            "application_id": "ap-0001",
                            "term_id": "t-2026-1",
                            "stage": "active",
                            "club_choices": ["pg-chess"],
                            "options": [],
                            "created_at": "2026-09-02T10:15:00Z",
                        }
                    ],
                }
            ],
            "elsewhere": {
                "attendance": ["/attendance/v1/leave-requests"],
                "homework": ["/homework/v1/students/{student_id}/homework"],
            },
        }
    )

    exported_at: datetime = Field(description="when the export was made, an instant with its UTC offset")
    guardian: ExportedGuardian = Field(description="the guardian who asked for the export")
    children: list[ExportedChild] = Field(description="every child the guardian is linked to, in any state")
    elsewhere: dict[str, list[str]] = Field(
        description="the other services' routes where the guardian reads the rest (attendance, homework, fees, alerts)"
    )
