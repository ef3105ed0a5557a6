"""The sensitive-read log's answer model."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from chassis.openapi import examples
from services.enrollment.fields import StudentId


class SensitiveReadPublic(BaseModel):
    """One entry: who was shown which child's unmasked fields, when, and where."""

    model_config = examples(
        {
            "read_id": "rd-0f3a9c",
            "student_id": "st-xiaoming",
            "reader_id": "s-admin",
            "reader_role": "school_admin",
            "fields": ["id_number", "note"],
            "route": "/enrollment/v1/students/{student_id}/pickups",
            "read_at": "2026-11-25T08:31:00Z",
        }
    )

    read_id: str = Field(description="the entry's id; entries are never changed or deleted (append-only)")
    student_id: StudentId
    reader_id: str = Field(description="the token's subject")
    reader_role: str = Field(description="the role the reader's token held (e.g. school_admin)")
    fields: list[str] = Field(description="what was shown unmasked, e.g. id_number, note")
    route: str = Field(description="the route template that showed them")
    read_at: datetime = Field(description="when they were shown, an instant with its UTC offset")
