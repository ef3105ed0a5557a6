"""BX-3: a handover nobody accepted escalates, step by step, until a teacher of the session acknowledges it."""

from __future__ import annotations

from sqlalchemy import update

from chassis.records import from_fields
from chassis.uow import UnitOfWork
from contracts.attendance.handover import EscalateTo, HandoverUnacceptedEscalated
from services.attendance.domain import handover as rules
from services.attendance.handover import store
from services.attendance.handover.handlers import UNACCEPTED, unaccepted_key
from services.attendance.reference import store as ref
from services.attendance.timers import store as timers
from services.attendance.timers.store import DueTimer
from services.attendance.timers.timers import on_timer


@on_timer(UNACCEPTED)
async def escalate_unaccepted(uow: UnitOfWork, timer: DueTimer) -> None:
    """Publish this step's escalation (unless acknowledged meanwhile) and schedule the next step."""
    handover_id, step = str(timer.payload["handover_id"]), int(timer.payload["step"])
    row = await store.handover(uow.session, school_id=timer.school_id, handover_id=handover_id)
    target = rules.escalate_to(step)
    if row is None or row.acknowledged_at is not None or target is None or row.escalation_step >= step:
        return
    await uow.session.execute(
        update(store.Handover).where(store.Handover.handover_id == handover_id).values(escalation_step=step)
    )
    await uow.publish(
        from_fields(
            HandoverUnacceptedEscalated,
            row,
            step=step,
            escalate_to=EscalateTo(target),
            service_teacher_ids=list(row.teacher_ids),
        ),
        school_id=row.school_id,
    )
    if rules.escalate_to(step + 1) is None:
        return
    policy = await ref.policy_on(uow.session, school_id=row.school_id, day=row.day)
    due = rules.escalation_due(
        row.given_at,
        step + 1,
        unaccepted_minutes=policy.handover_unaccepted_minutes,
        step_minutes=policy.escalation_step_minutes,
    )
    await timers.schedule(
        uow,
        kind=UNACCEPTED,
        key=unaccepted_key(handover_id, step + 1),
        due_at=due,
        school_id=row.school_id,
        payload={"handover_id": handover_id, "step": step + 1},
    )
