"""The sensitive-read log's answer model."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class SensitiveReadPublic(BaseModel):
    """One entry: who was shown which child's unmasked fields, when, and where."""

    read_id: str
    student_id: str
    reader_id: str = Field(description="the token's subject")
    reader_role: str
    fields: list[str] = Field(description="what was shown unmasked, e.g. id_number, note")
    route: str = Field(description="the route template that showed them")
    read_at: datetime
