"""Request and answer models of the pickup routes: who may collect a child, who must never, walking home."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, Field

from chassis.http import Body, Create, Id, Name

Relation = Annotated[
    str, Field(min_length=1, max_length=32, description="母亲, 父亲, 祖父母, … as the school records it")
]

Credential = Annotated[
    str, Field(min_length=1, max_length=128, description="card/QR/face id reference the kiosk reports")
]
IdNumber = Annotated[str, Field(min_length=4, max_length=32, description="identity document number (EN-8); stays here")]


class PickupCreate(Create):
    """BX-2/AT-5: an adult authorised to collect the child, with their own kiosk credential."""

    name: Name
    relation: Relation
    credential_ref: Credential
    id_number: IdNumber | None = None
    guardian_id: Id | None = Field(default=None, description="set when the adult is one of the child's guardians")


class RestrictionCreate(Create):
    """BX-2: a person who must never collect the child; the court-order note stays in enrollment."""

    name: Name
    relation: Relation
    note: Annotated[str, Field(min_length=1, max_length=2000, description="the custody order (court, date, number)")]
    credential_ref: Credential | None = None
    id_number: IdNumber | None = None


class WalkHomeSet(Body):
    """AT-5: the guardian's standing permission for the child to leave alone (or its withdrawal)."""

    allowed: bool
    effective_from: date | None = Field(default=None, description="defaults to today (school time)")
    guardian_id: Id | None = Field(default=None, description="an admin acting on a guardian's written word names them")


class PickupPublic(BaseModel):
    """A person who may (authorised) or must never (restricted) collect the child."""

    person_id: str
    student_id: str
    name: str
    relation: str
    status: str
    credential_ref: str | None = None
    guardian_id: str | None = None
    id_number: str | None = Field(default=None, description="masked except for the school admin")
    note: str | None = Field(default=None, description="the custody order; only the school admin sees it")


class WalkHomePublic(BaseModel):
    """AT-5: the latest walk-home statement."""

    allowed: bool
    guardian_id: str
    effective_from: date
    set_by: str


class PickupsPublic(BaseModel):
    """Who may collect the child, who must never, and whether the child may walk home alone."""

    student_id: str
    authorised: list[PickupPublic]
    restricted: list[PickupPublic]
    walk_home: WalkHomePublic | None = None
