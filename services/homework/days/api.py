"""HTTP routes under `/homework/v1` of the class teacher's day and week (HW-4)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter

from chassis.app import RuntimeDep
from chassis.http import SchoolDate
from chassis.problems import Unprocessable
from services.homework.days.schemas import DayView, WeekView
from services.homework.days.store import day_view, week_view
from services.homework.reference.schemas import TeacherOrAdmin
from services.homework.reference.store import class_for

router = APIRouter(prefix="/homework/v1", tags=["homework"])


@router.get("/classes/{class_id}/days/{on}", response_model=DayView)
async def class_day_view(on: date, class_id: str, runtime: RuntimeDep, principal: TeacherOrAdmin) -> DayView:
    """HW-4: each subject's minutes, the room left under each cap, and who still wants to assign."""
    async with runtime.db.sessions() as session:
        return await day_view(session, await class_for(session, principal, class_id), on)


@router.get("/classes/{class_id}/weeks/{week_start}", response_model=WeekView)
async def class_week_view(
    week_start: SchoolDate, class_id: str, runtime: RuntimeDep, principal: TeacherOrAdmin
) -> WeekView:
    """HW-4: the day view of each day of the week starting on `week_start` (a Monday)."""
    if week_start.weekday() != 0:
        raise Unprocessable(f"{week_start} is not a Monday")
    async with runtime.db.sessions() as session:
        return await week_view(session, await class_for(session, principal, class_id), week_start)
