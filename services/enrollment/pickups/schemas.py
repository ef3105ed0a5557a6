"""Request and answer models of the pickup routes: who may collect a child, who must never, walking home."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, Field
from pydantic.config import JsonDict

from chassis.http import Body, Create, Id, Name
from chassis.openapi import examples
from services.enrollment.fields import ExternalId, GuardianId, PersonId, PickupStatus, RelationText, StudentId

Relation = Annotated[
    str, Field(min_length=1, max_length=32, description="母亲, 父亲, 祖父母, … as the school records it")
]

CREDENTIAL = "card/QR/face id reference the kiosk reports (BX-2: each adult has their own)"
Credential = Annotated[str, Field(min_length=1, max_length=128, description=CREDENTIAL)]
IdNumber = Annotated[
    str | None,
    Field(min_length=4, max_length=32, description="identity document number (身份证, EN-8); stored encrypted"),
]
AdultName = Annotated[Name, Field(description="the adult's name as on their identity document")]

AUTHORISED: JsonDict = {
    "person_id": "p-wang-ye",
    "student_id": "st-xiaoming",
    "name": "王建国",
    "relation": "祖父",
    "status": "authorised",
    "credential_ref": "card-00451",
    "guardian_id": None,
    "id_number": "****0034",
    "note": None,
}
RESTRICTED: JsonDict = {
    "person_id": "p-zhao",
    "student_id": "st-xiaoming",
    "name": "赵某",
    "relation": "父亲",
    "status": "restricted",
    "credential_ref": None,
    "guardian_id": None,
    "id_number": None,
    "note": "(2026)京0108民初1234号: 不得接走孩子",
}
WALK_HOME: JsonDict = {
    "allowed": True,
    "guardian_id": "g-wang-ma",
    "effective_from": "2026-11-25",
    "set_by": "g-wang-ma",
}


class PickupCreate(Create):
    """BX-2/AT-5: an adult authorised to collect the child, with their own kiosk credential."""

    model_config = examples(
        {
            "name": "王建国",
            "relation": "祖父",
            "credential_ref": "card-00451",
            "id_number": "110108195203040034",
        }
    )

    name: AdultName
    relation: Relation
    credential_ref: Credential
    id_number: IdNumber = None
    guardian_id: Id | None = Field(default=None, description="set when the adult is one of the child's guardians")


class RestrictionCreate(Create):
    """BX-2: a person who must never collect the child; the court-order note stays in enrollment."""

    model_config = examples({"name": "赵某", "relation": "父亲", "note": "(2026)京0108民初1234号: 不得接走孩子"})

    name: AdultName
    relation: Relation
    note: Annotated[str, Field(min_length=1, max_length=2000, description="the custody order (court, date, number)")]
    credential_ref: Credential | None = Field(default=None, description=CREDENTIAL + ", so the kiosk refuses it")
    id_number: IdNumber = None


class WalkHomeSet(Body):
    """AT-5: the guardian's standing permission for the child to leave alone (or its withdrawal)."""

    model_config = examples({"allowed": True, "effective_from": "2026-11-25"})

    allowed: bool = Field(description="true: the child may leave alone at dismissal; false withdraws the permission")
    effective_from: date | None = Field(default=None, description="defaults to today (school time)")
    guardian_id: Id | None = Field(default=None, description="an admin acting on a guardian's written word names them")


class PickupPublic(BaseModel):
    """A person who may (authorised) or must never (restricted) collect the child."""

    model_config = examples(AUTHORISED, RESTRICTED)

    person_id: PersonId
    external_id: ExternalId = None
    student_id: StudentId
    name: str = Field(description="the adult's name")
    relation: RelationText
    status: PickupStatus
    credential_ref: str | None = Field(default=None, description=CREDENTIAL + "; null when none is known")
    guardian_id: str | None = Field(default=None, description="the guardian the adult is, if they are one")
    id_number: str | None = Field(default=None, description="masked except for the school admin")
    note: str | None = Field(default=None, description="the custody order; only the school admin sees it")


class WalkHomePublic(BaseModel):
    """AT-5: the latest walk-home statement."""

    model_config = examples(WALK_HOME)

    allowed: bool = Field(description="whether the child may leave alone at dismissal (AT-5)")
    guardian_id: Annotated[GuardianId, Field(description="the guardian whose statement it is")]
    effective_from: date = Field(description="the school day the statement applies from")
    set_by: str = Field(description="who recorded it: the guardian, or the admin acting on their written word")


class PickupsPublic(BaseModel):
    """Who may collect the child, who must never, and whether the child may walk home alone."""

    model_config = examples(
        {
            "student_id": "st-xiaoming",
            "authorised": [AUTHORISED],
            "restricted": [RESTRICTED],
            "walk_home": WALK_HOME,
        }
    )

    student_id: StudentId
    authorised: list[PickupPublic] = Field(description="adults who may collect the child at the gate (AT-5)")
    restricted: list[PickupPublic] = Field(description="people who must never collect the child (BX-2)")
    walk_home: WalkHomePublic | None = Field(default=None, description="the latest walk-home statement; null: none")
