"""HW-8: publishing a class's weekly homework plan (a new version each time), and announcing it."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from chassis.clock import school_today
from chassis.problems import Forbidden, NotFound, Unprocessable
from chassis.records import from_fields
from chassis.uow import UnitOfWork
from contracts.homework import WeeklyPlanPublished
from contracts.policy import policy_on
from services.homework.assignments import store as assignments
from services.homework.domain.plan import PlanRefused, publish
from services.homework.reference import store as ref
from services.homework.store import WeeklyPlan, latest_plan, lock_class_day


async def publish_plan(
    uow: UnitOfWork, *, school_id: str, class_id: str, week_start: date, by: str, as_class_teacher: bool
) -> WeeklyPlan:
    """HW-8: snapshot the week's homework as the next plan version and publish `WeeklyPlanPublished`."""
    school_class = await ref.get_class(uow.session, school_id=school_id, class_id=class_id)
    if school_class is None:
        raise NotFound(f"no class '{class_id}' in this school")
    if as_class_teacher and school_class.class_teacher_id != by:
        raise Forbidden("only this class's class teacher (or the school) publishes its plan", rule="HW-8")
    today = school_today(uow.clock)
    profiles = await ref.policies(uow.session, school_id=school_id)
    try:
        publication = publish(week_start, today, policy_on(profiles, today).weekly_plan_cutoff_weekday)
    except PlanRefused as error:
        raise Unprocessable(str(error), rule="HW-8") from error
    # Plans of one class-week are versioned one after another: lock the week's Monday like an assignment would.
    await lock_class_day(uow.session, school_id=school_id, class_id=class_id, on=week_start)
    previous = await latest_plan(uow.session, class_id=class_id, week_start=week_start)
    rows = await assignments.range_assignments(
        uow.session, class_id=class_id, first=week_start, last=week_start + timedelta(days=6)
    )
    plan = WeeklyPlan(
        class_id=class_id,
        week_start=week_start,
        version=1 if previous is None else previous.version + 1,
        plan_id=str(uuid.uuid4()),
        school_id=school_id,
        assignment_ids=[row.assignment_id for row in rows],
        versions={row.assignment_id: row.version for row in rows},
        published_by=by,
        published_at=uow.clock.now(),
        late=publication.late,
    )
    uow.session.add(plan)
    await uow.session.flush()
    event = from_fields(WeeklyPlanPublished, plan, student_ids=await ref.students_of(uow.session, class_id=class_id))
    await uow.publish(event, school_id=school_id)
    return plan
