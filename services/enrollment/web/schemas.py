"""Request and answer building blocks every enrollment router uses: id and name types, role guards, bodies."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from chassis.auth import Principal, Role, require

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]
Name = Annotated[str, Field(min_length=1, max_length=100)]
Reason = Annotated[str, Field(min_length=1, max_length=500)]
Relation = Annotated[
    str, Field(min_length=1, max_length=32, description="母亲, 父亲, 祖父母, … as the school records it")
]

DistrictOperator = Annotated[Principal, require(Role.DISTRICT_OPERATOR)]
SchoolAdmin = Annotated[Principal, require(Role.SCHOOL_ADMIN)]
RosterReader = Annotated[Principal, require(Role.SCHOOL_ADMIN, Role.CLASS_TEACHER, Role.GUARDIAN)]
GuardianOrAdmin = Annotated[Principal, require(Role.GUARDIAN, Role.SCHOOL_ADMIN)]


class Body(BaseModel):
    """Request bodies refuse unknown fields, so a typo is a 422 rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")


class Create(Body):
    """Creation bodies; `id` may be given for ids the school already uses (e.g. from its spreadsheets)."""

    id: Id | None = None


def dump(model: type[BaseModel], row: object) -> dict[str, Any]:
    """A row as the JSON of its public model."""
    return model.model_validate(row, from_attributes=True).model_dump(mode="json")
