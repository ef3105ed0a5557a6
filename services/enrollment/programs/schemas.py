"""Request and answer models of the program routes (`services.enrollment.programs.api`, EN-4, EN-5, EN-6)."""

from __future__ import annotations

from datetime import date, time
from typing import Annotated

from pydantic import BaseModel, Field
from pydantic.config import JsonDict

from chassis.http import Body, Id, NewId
from chassis.openapi import examples
from contracts.enrollment import ProgramKind
from services.enrollment.fields import ExternalId, OnDay, ProgramId, SchoolId, TermId, TermRef

LowestGrade = Annotated[int, Field(description="the lowest grade the program admits (EN-4: 1–9)")]
HighestGrade = Annotated[int, Field(description="the highest grade the program admits (EN-4: 1–9)")]
Starts = Annotated[time, Field(description="the school's local wall-clock time the session starts (HH:MM[:SS])")]
ProgramName = Annotated[str, Field(description="the program's name (e.g. 围棋社)")]
RoomRef = Field(description="the room it meets in; null: not set")
CHESS: JsonDict = {
    "name": "围棋社",
    "capacity": 20,
    "room_id": "r-301",
    "teacher_ids": ["s-chen"],
    "weekdays": [1, 3],
    "starts_at": "16:30:00",
    "class_hours": 2,
    "min_grade": 3,
    "max_grade": 6,
    "specialty": False,
}


class ProgramFields(Body):
    """What a school sets about a program (EN-4, EN-5)."""

    name: Annotated[ProgramName, Field(min_length=1, max_length=100)]
    capacity: int = Field(ge=1, le=2000, description="places (a club never holds more children, BX-1)")
    room_id: Annotated[Id | None, RoomRef] = None
    teacher_ids: list[Id] = Field(default_factory=list, max_length=20, description="school staff or provider ids")
    weekdays: list[int] = Field(min_length=1, max_length=5, description="0 = Monday … 4 = Friday (EN-5)")
    starts_at: Starts
    class_hours: int = Field(ge=1, le=8, description="length in class-hours of the school's length (EN-5)")
    min_grade: Annotated[LowestGrade, Field(ge=1, le=9)]
    max_grade: Annotated[HighestGrade, Field(ge=1, le=9)]
    specialty: bool = Field(default=False, description="ST-2: a specialty program earns the supplement")


class ProgramCreate(ProgramFields):
    """A new program of a term: the base service, a club, or an optional service the policy offers (EN-6)."""

    model_config = examples({"id": "pg-chess", "term_id": "t-2026-1", "kind": "club", **CHESS})

    id: NewId = None
    term_id: TermRef
    kind: ProgramKind = Field(description="the base service (homework_supervision), a club (EN-4) or an EN-6 option")


class ProgramChange(ProgramFields):
    """The program's new details; its kind and term stay."""

    model_config = examples({**CHESS, "capacity": 24})


class CancellationCreate(Body):
    """When the program stops (today when not given)."""

    model_config = examples({"effective_on": "2026-12-01"})

    effective_on: OnDay = None


class ProgramPublic(BaseModel):
    """A program, with its places held and waitlist length."""

    model_config = examples(
        {
            "program_id": "pg-chess",
            "school_id": "sy-xiaoxue",
            "term_id": "t-2026-1",
            "kind": "club",
            **CHESS,
            "cancelled_on": None,
            "places_taken": 20,
            "waitlisted": 3,
        }
    )

    program_id: ProgramId
    external_id: ExternalId = None
    school_id: SchoolId
    term_id: TermId
    kind: ProgramKind = Field(description="homework_supervision, club (EN-4), or early_arrival, noon_care, bus (EN-6)")
    name: ProgramName
    capacity: int = Field(description="places; a club never holds more children (BX-1)")
    room_id: Annotated[str | None, RoomRef]
    teacher_ids: list[str] = Field(description="the staff or provider teachers who run it")
    weekdays: list[int] = Field(description="the days it meets, 0 = Monday … 4 = Friday (EN-5)")
    starts_at: Starts
    class_hours: int = Field(description="its length in class-hours, each of the policy's length (EN-5: 40 min)")
    min_grade: LowestGrade
    max_grade: HighestGrade
    specialty: bool = Field(description="ST-2: a specialty program earns the teacher a supplement")
    cancelled_on: date | None = Field(description="the school day it stopped on; null while it runs")
    places_taken: int = Field(default=0, description="places held now (BX-1)")
    waitlisted: int = Field(default=0, description="children on its waitlist now (BX-1)")
