"""Check-in commands → rules → store + events, inside one unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from prometheus_client import Counter

from chassis.broadcast import Broadcaster
from chassis.clock import Clock
from chassis.problems import NotFound, Unprocessable
from chassis.records import from_fields
from chassis.shortcut import Shortcut
from chassis.uow import UnitOfWork
from contracts.attendance import CheckInMethod, StudentCheckedIn
from services.attendance.checkins import store
from services.attendance.checkins.schemas import BatchAnswer, BatchResultPublic, CheckInPublic
from services.attendance.domain.check_in import (
    DeviceEvent,
    DeviceTimeRefused,
    DeviceWindow,
    Outcome,
    as_utc,
    batch_counts,
    first_sightings,
    identity,
    in_device_order,
    session_date_for,
)
from services.attendance.live.handlers import announce, wake_board

SERVICE = "attendance"

CHECK_INS = Counter("afterschool_check_ins", "Check-ins stored, by method and school", ["service", "method", "school"])


@dataclass(frozen=True)
class CheckInStudent:
    """Command: record that a student arrived, as a device or a teacher reports it."""

    school_id: str
    recorded_by: str
    event: DeviceEvent


def _accepted_row(command: CheckInStudent, window: DeviceWindow, now: datetime) -> store.CheckIn:
    """The row to store, once the device time is inside the window (AT-8)."""
    event = command.event
    try:
        occurred_at = window.accept(event.occurred_at, now)
    except DeviceTimeRefused as error:
        raise Unprocessable(str(error), rule="AT-8") from error
    return _row(command.school_id, command.recorded_by, replace(event, occurred_at=occurred_at), now)


async def check_in_student(
    uow: UnitOfWork, command: CheckInStudent, *, window: DeviceWindow
) -> tuple[store.CheckIn, bool]:
    """Store the check-in and publish `StudentCheckedIn`; a repeated device event returns the first one."""
    event = command.event
    row = _accepted_row(command, window, uow.clock.now())
    occurred_at = row.occurred_at
    if not await store.insert_check_in_for_rostered_student(uow.session, row):
        existing = await store.find_check_in(
            uow.session,
            school_id=command.school_id,
            device_id=event.device_id,
            student_id=event.student_id,
            occurred_at=occurred_at,
        )
        if existing is None:
            raise NotFound(f"no student '{event.student_id}' in this school")
        return existing, False
    await _publish(uow, row)
    wake_board(uow, command.school_id)
    uow.after_commit(lambda: CHECK_INS.labels(SERVICE, event.method, command.school_id).inc())
    return row, True


async def answer_check_in(uow: UnitOfWork, *, command: CheckInStudent, window: DeviceWindow) -> tuple[int, Any]:
    """The route's answer: 201 and the new check-in, or 200 and the first one for a repeated device event."""
    row, created = await check_in_student(uow, command, window=window)
    return (201 if created else 200), CheckInPublic.of(row).model_dump(mode="json")


def check_in_at_once(
    command: CheckInStudent, *, window: DeviceWindow, clock: Clock, broadcaster: Broadcaster
) -> Shortcut:
    """A new check-in as one statement with its event and answer (`chassis/shortcut.py`): the same row, event,
    answer and notices as `check_in_student` and `answer_check_in` when it takes effect."""
    row = _accepted_row(command, window, clock.now())
    school_id, method = command.school_id, command.event.method
    return Shortcut(
        effect_sql=store.INSERT_IF_ROSTERED_ON_POSTGRESQL,
        effect_args=store.insert_args(row),
        event=_checked_in(row),
        school_id=school_id,
        status=201,
        body=CheckInPublic.of(row).model_dump(mode="json"),
        after=(lambda: CHECK_INS.labels(SERVICE, method, school_id).inc(), lambda: announce(broadcaster, school_id)),
    )


@dataclass(frozen=True)
class CheckInBatch:
    """Command: a kiosk's (or teacher app's) batch of device events, e.g. uploaded after being offline."""

    school_id: str
    recorded_by: str
    events: Sequence[DeviceEvent]


Refusal = tuple[str, str]
"""Why an event of a batch was refused, and the rule that refuses it."""


def _result(
    index: int, event: DeviceEvent, outcome: Outcome, check_in_id: str | None = None, refusal: Refusal | None = None
) -> BatchResultPublic:
    """What became of the event at `index` of the upload: its check-in, or the refusal's reason and rule."""
    reason, rule = refusal or (None, None)
    return from_fields(
        BatchResultPublic, event, index=index, outcome=outcome, check_in_id=check_in_id, reason=reason, rule=rule
    )


async def check_in_batch(uow: UnitOfWork, command: CheckInBatch, *, window: DeviceWindow) -> list[BatchResultPublic]:
    """AT-8: apply a batch in device-time order; each event is created, a duplicate (of a stored event or of an
    earlier one in the batch), or refused with a reason; nothing is stored twice. A few statements per batch."""
    events = list(command.events)
    now = uow.clock.now()
    results: dict[int, BatchResultPublic] = {}
    roster = await store.rostered(uow.session, school_id=command.school_id, student_ids={e.student_id for e in events})
    acceptable: list[DeviceEvent] = []
    for index, event in enumerate(events):
        refusal = _refusal(event, now, window, event.student_id in roster)
        if refusal is not None:
            results[index] = _result(index, event, Outcome.REFUSED, refusal=refusal)
        else:
            # Device times are kept in UTC, so one event has one stored form whatever offset the device reported
            # (converted only once inside the window: year 0001 at +08:00 has no UTC form).
            events[index] = replace(event, occurred_at=as_utc(event.occurred_at))
            acceptable.append(events[index])
    positions = [i for i in range(len(events)) if i not in results]
    order = [positions[i] for i in in_device_order(acceptable)]
    firsts, repeats = first_sightings(events, order)
    rows = {position: _row(command.school_id, command.recorded_by, events[position], now) for position in firsts}
    created = await store.insert_new_check_ins(uow.session, list(rows.values()))
    stored = await _already_stored(uow, command, [events[p] for p in firsts if rows[p].check_in_id not in created])
    for position in order:
        event = events[position]
        first = repeats.get(position, position)
        row_id = rows[first].check_in_id
        if position == first and row_id in created:
            results[position] = _result(position, event, Outcome.CREATED, row_id)
        else:
            existing = row_id if row_id in created else stored[identity(event)].check_in_id
            results[position] = _result(position, event, Outcome.DUPLICATE, existing)
    # One outbox statement for the batch: `publish_many` takes every child's outbox lock in key order (so
    # concurrent batches cannot deadlock), and the rows go in (child, device time) order, so each child's events
    # keep their device-time order.
    fresh = sorted((r for r in rows.values() if r.check_in_id in created), key=_publish_order)
    await uow.publish_many([_checked_in(row) for row in fresh], school_id=command.school_id)
    if created:
        wake_board(uow, command.school_id)
        uow.after_commit(lambda: CHECK_INS.labels(SERVICE, "batch", command.school_id).inc(len(created)))
    return [results[i] for i in range(len(events))]


async def answer_batch(uow: UnitOfWork, *, command: CheckInBatch, window: DeviceWindow) -> tuple[int, Any]:
    """The route's answer: each event's result in upload order, and the counts."""
    results = await check_in_batch(uow, command, window=window)
    answer = BatchAnswer(results=results, **batch_counts(r.outcome for r in results))
    return 200, answer.model_dump(mode="json")


def _publish_order(row: store.CheckIn) -> tuple[str, datetime]:
    return row.student_id, row.occurred_at


def _refusal(event: DeviceEvent, now: datetime, window: DeviceWindow, on_roster: bool) -> Refusal | None:
    if not on_roster:
        return f"no student '{event.student_id}' in this school", "AT-2"
    try:
        window.accept(event.occurred_at, now)
    except DeviceTimeRefused as error:
        return str(error), "AT-8"
    return None


def _row(school_id: str, recorded_by: str, event: DeviceEvent, now: datetime) -> store.CheckIn:
    """The one shape of a check-in from command to event: the stored row (its event is `_publish`'s)."""
    return from_fields(
        store.CheckIn,
        event,
        check_in_id=str(uuid.uuid4()),
        school_id=school_id,
        recorded_at=now,
        recorded_by=recorded_by,
        session_date=session_date_for(event),
    )


async def _already_stored(
    uow: UnitOfWork, command: CheckInBatch, events: Sequence[DeviceEvent]
) -> dict[tuple[str, str, datetime], store.CheckIn]:
    found: dict[tuple[str, str, datetime], store.CheckIn] = {}
    for device_id in {e.device_id for e in events}:
        keys = {(e.student_id, e.occurred_at) for e in events if e.device_id == device_id}
        rows = await store.stored_events(uow.session, school_id=command.school_id, device_id=device_id, keys=keys)
        found |= {(device_id, student_id, as_utc(at)): row for (student_id, at), row in rows.items()}
    return found


async def _publish(uow: UnitOfWork, row: store.CheckIn) -> None:
    await uow.publish(_checked_in(row), school_id=row.school_id)


def _checked_in(row: store.CheckIn) -> StudentCheckedIn:
    return from_fields(StudentCheckedIn, row, method=CheckInMethod(row.method))
