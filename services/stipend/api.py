"""HTTP routes under `/stipend/v1`: tallies for the school's administration."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import APIRouter, Query
from pydantic import BaseModel

from chassis.app import RuntimeDep
from chassis.auth import Principal, Role, require
from services.stipend import store

router = APIRouter(prefix="/stipend/v1", tags=["tallies"])

SchoolAdmin = Annotated[Principal, require(Role.SCHOOL_ADMIN)]
T = TypeVar("T")
Month = Annotated[str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")]


class StudentTally(BaseModel):
    """A child's attended sessions and class-hours in a month."""

    student_id: str
    sessions: int
    class_hours: int


class SessionTally(BaseModel):
    """A session's children present and the class-hours they attended."""

    session_date: str
    students: int
    class_hours: int


class Tallies(BaseModel, Generic[T]):
    """A month's tallies of the caller's school."""

    school_id: str
    month: str
    items: list[T]


@router.get("/tallies/students", response_model=Tallies[StudentTally])
async def tallies_by_student(runtime: RuntimeDep, principal: SchoolAdmin, month: Month) -> Tallies[StudentTally]:
    """Attended class-hours per student for a month (the basis of family fees, ST-6)."""
    async with runtime.db.sessions() as session:
        rows = await store.student_tallies(session, school_id=principal.school(), month=month)
    items = [StudentTally(student_id=s, sessions=n, class_hours=h) for s, n, h in rows]
    return Tallies[StudentTally](school_id=principal.school(), month=month, items=items)


@router.get("/tallies/sessions", response_model=Tallies[SessionTally])
async def tallies_by_session(runtime: RuntimeDep, principal: SchoolAdmin, month: Month) -> Tallies[SessionTally]:
    """Children present and class-hours per session for a month."""
    async with runtime.db.sessions() as session:
        rows = await store.session_tallies(session, school_id=principal.school(), month=month)
    items = [SessionTally(session_date=d, students=n, class_hours=h) for d, n, h in rows]
    return Tallies[SessionTally](school_id=principal.school(), month=month, items=items)
