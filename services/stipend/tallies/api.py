"""HTTP routes under `/stipend/v1`: attended class-hours (tallies) of the school's children."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from chassis.app import RuntimeDep
from chassis.auth import CurrentPrincipal
from chassis.http import SchoolAdmin
from chassis.openapi import examples, model_examples
from contracts.fields import SchoolId, StudentId
from services.stipend.access import api as access
from services.stipend.facts import store as facts
from services.stipend.fields import ClassHours, Day, EventIds, ProgramKind
from services.stipend.fields import Month as MonthField

router = APIRouter(prefix="/stipend/v1", tags=["tallies"])

T = TypeVar("T")
Month = Annotated[str, Query(pattern=access.MONTH_PATTERN, description="YYYY-MM")]


class StudentTally(BaseModel):
    """A child's attended sessions and class-hours in a month."""

    model_config = examples({"student_id": "xiaoming", "sessions": 18, "class_hours": 36})

    student_id: StudentId
    sessions: int = Field(description="the sessions the child attended this month")
    class_hours: ClassHours


class SessionTally(BaseModel):
    """A session's children present and the class-hours they attended."""

    model_config = examples({"session_date": "2026-11-25", "students": 38, "class_hours": 76})

    session_date: Day
    students: int = Field(description="the children present")
    class_hours: int = Field(description="the class-hours the children present attended, summed over them")


class Tallies(BaseModel, Generic[T]):
    """A month's tallies of the caller's school."""

    school_id: SchoolId = Field(examples=["shiyan"])
    month: MonthField = Field(examples=["2026-11"])
    items: list[T] = Field(description="one tally per child or per session, with at least one attendance")


class AttendedLine(BaseModel):
    """SR-1: class-hours of one program line on one day, why, and the events behind them."""

    model_config = examples(
        {
            "day": "2026-11-25",
            "program_id": "pg-homework-g3",
            "kind": "homework",
            "class_hours": 2,
            "reason": "SR-1: 2 of 2 class-hours attended",
            "event_ids": ["at-7f3a91", "at-7f3a92"],
        }
    )

    day: Day
    program_id: str | None = Field(description="the program's id in enrollment; null for a line with no program")
    kind: ProgramKind
    class_hours: ClassHours
    reason: str = Field(description="SR-1: why these class-hours, for a person to read")
    event_ids: EventIds


class StudentLines(BaseModel):
    """A child's month line by line (EN-4..EN-6: base service, clubs, early arrival, noon care, bus)."""

    model_config = examples(
        {
            "school_id": "shiyan",
            "student_id": "xiaoming",
            "month": "2026-11",
            "class_hours": 2,
            "lines": model_examples(AttendedLine),
        }
    )

    school_id: SchoolId
    student_id: StudentId
    month: MonthField
    class_hours: int = Field(description="the month's class-hours over every line")
    lines: list[AttendedLine] = Field(description="one line per program and day attended")


@router.get("/tallies/students", response_model=Tallies[StudentTally])
async def tallies_by_student(runtime: RuntimeDep, principal: SchoolAdmin, month: Month) -> Tallies[StudentTally]:
    """Attended class-hours per student for a month (SR-1; the basis of family fees, ST-6)."""
    async with runtime.db.sessions() as session:
        by_student = await facts.attended(session, school_id=principal.school(), month=month)
    items = [
        StudentTally(
            student_id=student,
            sessions=len({line.day for line in lines if line.class_hours > 0}),
            class_hours=sum(line.class_hours for line in lines),
        )
        for student, lines in sorted(by_student.items())
    ]
    return Tallies[StudentTally](school_id=principal.school(), month=month, items=items)


@router.get("/tallies/sessions", response_model=Tallies[SessionTally])
async def tallies_by_session(runtime: RuntimeDep, principal: SchoolAdmin, month: Month) -> Tallies[SessionTally]:
    """Children present and class-hours per session day for a month."""
    async with runtime.db.sessions() as session:
        by_student = await facts.attended(session, school_id=principal.school(), month=month)
    days: dict[str, tuple[set[str], int]] = {}
    for student, lines in by_student.items():
        for line in lines:
            if line.class_hours > 0:
                present, hours = days.get(line.day.isoformat(), (set(), 0))
                days[line.day.isoformat()] = (present | {student}, hours + line.class_hours)
    items = [SessionTally(session_date=d, students=len(s), class_hours=h) for d, (s, h) in sorted(days.items())]
    return Tallies[SessionTally](school_id=principal.school(), month=month, items=items)


@router.get("/tallies/students/{student_id}", response_model=StudentLines)
async def student_lines(
    runtime: RuntimeDep, principal: CurrentPrincipal, student_id: str, month: Month
) -> StudentLines:
    """A child's attended class-hours line by line with the events behind each (admin, or the child's guardian)."""
    async with runtime.db.sessions() as session:
        school = await access.family_reader(session, principal, student_id)
        lines = (await facts.attended(session, school_id=school, month=month, student_ids=[student_id])).get(
            student_id, []
        )
    shown = [
        AttendedLine(
            day=line.day.isoformat(),
            program_id=line.program_id,
            kind=line.kind,
            class_hours=line.class_hours,
            reason=line.reason,
            event_ids=list(line.event_ids),
        )
        for line in lines
    ]
    total = sum(line.class_hours for line in lines)
    return StudentLines(school_id=school, student_id=student_id, month=month, class_hours=total, lines=shown)
