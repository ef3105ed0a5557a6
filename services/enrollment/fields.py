"""The fields many enrollment models share, described once (issue 11: an OpenAPI that tells the truth).

Each id comes twice: `…Ref` in a request body, where it is an `Id` (1–64 letters, digits and `._:-`), and
`…Id` in an answer, where it is the row's stored id. A `…Ref` may give the row's stored id or the school's own code
for it (issue 11: both resolve only within the caller's school)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import Field

from chassis.http import Id, Reason

_SCHOOL = Field(description="the id of the school (one school of a district, such as 实验小学)")
_DISTRICT = Field(description="the education district's id (区教育局) the school belongs to")
_STUDENT = Field(description="the child's id on the school's roster")
_CLASS = Field(description="the id of a class of the school (e.g. 三年级1班)")
_GUARDIAN = Field(description="the id of a guardian (parent or other carer) of children of the school")
_TERM = Field(description="the id of a term (学期) of the school; enrollment is per term (EN-2)")
_PROGRAM = Field(description="the id of a program of a term: the base service, a club or an optional service (EN-4)")
_STAFF = Field(description="the id of a member of staff, which is also the subject of their token")
_RUN = Field(description="the id of an allocation run (EN-3); null when the place was not given by a run")
_APPLICATION = Field(description="the id of a child's application for a term (EN-1)")
_PERSON = Field(description="the id of an adult on the child's pickup list (authorised or restricted, BX-2)")

ExternalId = Annotated[
    str | None,
    Field(
        description="the school's own code for the row (its spreadsheets' id, EN-8), unique per school and kind; paths "
        "and bodies may name the row by it instead of its stored id, only within the caller's school (issue 11); "
        "null when the school gave none"
    ),
]


def _ref(named: Any) -> Any:
    """The description of a field naming a row in a request (issue 11)."""
    return Field(description=f"{named.description}: {OR_CODE}")


OR_CODE = "its stored id or the school's own code for it, either resolved only within the caller's school"
"""Issue 11: how a path or body names a row of the caller's school."""


# Issue 11: a path parameter naming a row of the caller's school, by its stored id or the school's code for it.
StudentKey = Annotated[str, Path(description=f"the child: {OR_CODE}")]
ClassKey = Annotated[str, Path(description=f"the class: {OR_CODE}")]
GuardianKey = Annotated[str, Path(description=f"the guardian: {OR_CODE}")]
TermKey = Annotated[str, Path(description=f"the term: {OR_CODE}")]
StaffKey = Annotated[str, Path(description=f"the member of staff: {OR_CODE}")]
ProgramKey = Annotated[str, Path(description=f"the program: {OR_CODE}")]
ApplicationKey = Annotated[str, Path(description=f"the application: {OR_CODE}")]
WaiverKey = Annotated[str, Path(description=f"the fee waiver: {OR_CODE}")]
BandKey = Annotated[str, Path(description=f"the grade band: {OR_CODE}")]
RoomKey = Annotated[str, Path(description=f"the room: {OR_CODE}")]
PersonKey = Annotated[
    str, Path(description="the adult on the child's pickup list: their stored id or the school's code for them")
]

SchoolId = Annotated[str, _SCHOOL]
DistrictId = Annotated[str, _DISTRICT]
StudentId = Annotated[str, _STUDENT]
StudentRef = Annotated[Id, _ref(_STUDENT)]
ClassId = Annotated[str, _CLASS]
ClassRef = Annotated[Id, _ref(_CLASS)]
GuardianId = Annotated[str, _GUARDIAN]
GuardianRef = Annotated[Id, _ref(_GUARDIAN)]
TermId = Annotated[str, _TERM]
TermRef = Annotated[Id, _ref(_TERM)]
ProgramId = Annotated[str, _PROGRAM]
StaffId = Annotated[str, _STAFF]
StaffRef = Annotated[Id, _ref(_STAFF)]
RunId = Annotated[str | None, _RUN]
ApplicationId = Annotated[str, _APPLICATION]
PersonId = Annotated[str, _PERSON]

ChildName = Annotated[str, Field(description="the child's name as the school's roster spells it (e.g. 王小明)")]
Language = Annotated[str, Field(description="the language the guardian's messages are written in: zh or en")]
Phone = Annotated[str, Field(description="the guardian's mobile number, digits with an optional + and spaces")]
RelationText = Annotated[
    str, Field(description="the adult's relation to the child as the school records it (母亲, 父亲, …)")
]
PickupStatus = Annotated[
    str, Field(description="authorised: may collect the child; restricted: must never collect them (BX-2)")
]
StudentStatus = Annotated[str, Field(description="active, or left once the child has left the school (EN-8)")]
LeftOn = Annotated[date | None, Field(description="the school day the child left the roster (EN-8); null while active")]
PriorityGroups = Annotated[
    list[str],
    Field(description="the EN-3 priority groups the child belongs to (left_behind, migrant_worker, single_parent, …)"),
]
Stage = Annotated[
    str,
    Field(description="where the application stands in EN-1's workflow: submitted, reviewed, approved, active, …"),
]
ClubChoices = Annotated[list[str], Field(description="club program ids the guardian chose, best first (EN-4)")]
Options = Annotated[list[str], Field(description="optional services asked for: early_arrival, noon_care, bus (EN-6)")]
Created = Annotated[datetime, Field(description="when it was recorded, an instant with its UTC offset")]
WhenFrom = Annotated[date, Field(description="the first school day (Asia/Shanghai) the settings apply on (PL-1)")]
ProfileActor = Annotated[str, Field(description="the token subject (staff or operator id) who made the change")]
OnDay = Annotated[date | None, Field(description="the school day it takes effect (Asia/Shanghai); today when omitted")]
WhyGiven = Annotated[Reason, Field(description="why, in the caller's words; the guardian is told (EN-1)")]
Position = Annotated[int, Field(description="the child's place in the waitlist, 1 = next to be promoted (BX-1)")]
Scope = Annotated[
    Literal["district", "school"], Field(description="whose settings changed: the district's or one school's (PL-1)")
]
