"""The latest published plan of a class's week, and what changed since it was published (HW-8)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chassis.records import from_fields
from services.homework.assignments.store import Assignment
from services.homework.plans.schemas import PlanChange, PlannedHomework, PlanView
from services.homework.store import latest_plan


async def plan_view(session: AsyncSession, *, class_id: str, monday: date) -> PlanView | None:
    """HW-8: the latest published version, with what was added, changed or withdrawn after it."""
    plan = await latest_plan(session, class_id=class_id, week_start=monday)
    if plan is None:
        return None
    query = select(Assignment).where(
        Assignment.class_id == class_id,
        Assignment.on >= monday,
        Assignment.on <= monday + timedelta(days=6),
    )
    changes, current = [], []
    for row in (await session.execute(query.order_by(Assignment.on, Assignment.assignment_id))).scalars():
        if not row.withdrawn:
            current.append(PlannedHomework.model_validate(row, from_attributes=True))
        planned = row.assignment_id in plan.assignment_ids
        if row.withdrawn and planned:
            changes.append(PlanChange(assignment_id=row.assignment_id, change="withdrawn"))
        elif not row.withdrawn and not planned:
            changes.append(PlanChange(assignment_id=row.assignment_id, change="added"))
        elif not row.withdrawn and row.version != plan.versions.get(row.assignment_id):
            changes.append(PlanChange(assignment_id=row.assignment_id, change="changed"))
    return from_fields(
        PlanView, plan, class_id=class_id, week_start=monday, homework=current, changed_since_publication=changes
    )
