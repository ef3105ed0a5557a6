"""A guardian's export of their family's data."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class ExportedGuardian(BaseModel):
    """What enrollment holds of the guardian."""

    guardian_id: str
    name: str
    phone: str
    preferred_language: str


class ExportedPickup(BaseModel):
    """An adult who may (or must never) collect the child: other people's data, so the ID number masked, no note."""

    person_id: str
    name: str
    relation: str
    status: str
    id_number: str | None = Field(default=None, description="masked: the last four digits")


class ExportedApplication(BaseModel):
    """An application for the after-school service (EN-1) and its club choices (EN-4)."""

    application_id: str
    term_id: str
    stage: str
    club_choices: list[str]
    options: list[str]
    created_at: datetime


class ExportedChild(BaseModel):
    """One of the guardian's children and what enrollment holds of them."""

    student_id: str
    school_id: str
    class_id: str
    name: str
    relation: str = Field(description="the guardian's relation to the child, as the school records it")
    status: str
    left_on: date | None = None
    priority_groups: list[str]
    walk_home_allowed: bool | None = Field(default=None, description="AT-5: the latest statement, if any")
    pickups: list[ExportedPickup]
    applications: list[ExportedApplication]


class FamilyExport(BaseModel):
    """PIPL Art. 45: a guardian's copy of their family's data held by enrollment, with where the rest is read."""

    exported_at: datetime
    guardian: ExportedGuardian
    children: list[ExportedChild]
    elsewhere: dict[str, list[str]] = Field(
        description="the other services' routes where the guardian reads the rest (attendance, homework, fees, alerts)"
    )
