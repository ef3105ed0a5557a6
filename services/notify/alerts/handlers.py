"""How an event becomes guardians' alerts (NT-1, NT-3): one in-app notification per guardian, queued on their
chosen channels and to the school's webhooks, pushed live after commit. Which events and which messages are the
`*_alerts` slices'."""

from __future__ import annotations

import itertools
import operator
import uuid
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
from sqlalchemy import JSON, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from chassis.broadcast import Broadcaster
from chassis.uow import UnitOfWork
from contracts.envelope import Envelope
from services.notify import store
from services.notify.deliveries import handlers as queueing
from services.notify.domain.messages import Language, Message
from services.notify.inbox.handlers import live_frame
from services.notify.preferences.store import GuardianPreference, language_of, preferences_in, preferences_of
from services.notify.reference import store as ref

SERVICE = "notify"
IN_APP = "in_app"
NOTIFICATIONS: Table = store.Notification.__table__  # type: ignore[assignment]
DELIVERIES: Table = store.Delivery.__table__  # type: ignore[assignment]
BULK_ROWS = 1000
"""Rows a multi-row INSERT: at 19 columns a row, under PostgreSQL's 32,767 parameters a statement."""
COPY_FROM_ROWS = 200
"""Fewer rows than this go in as one INSERT: a COPY's extra protocol exchanges cost more than binding a few rows."""


class AboutAStudent(Protocol):
    """An event about one child of a school (check-ins, application steps, club places)."""

    @property
    def student_id(self) -> str: ...

    @property
    def school_id(self) -> str: ...


Compose = Callable[[Any, str, Language], Message]
Recipient = Callable[[Any, str], bool]
StudentHandler = Callable[[UnitOfWork, Any, Envelope], Awaitable[None]]


def alert_guardians(compose: Compose, only: Recipient | None = None) -> StudentHandler:
    """NT-1/NT-3: each linked guardian (or those `only` picks) gets one in-app notification per event, pushed
    live after commit."""

    async def handle(uow: UnitOfWork, event: AboutAStudent, envelope: Envelope) -> None:
        student = (await ref.students_in(uow, [event.student_id]))[event.student_id]
        name = student.name if student is not None else event.student_id
        links = (await ref.links_of(uow, [event.student_id]))[event.student_id]
        chosen = [link for link in links if only is None or only(event, link.guardian_id)] or links
        preferences = await preferences_in(uow, (link.guardian_id for link in chosen))
        batch = _Batch(uow, envelope)
        for link in chosen:
            preference = preferences.get(link.guardian_id)
            language = language_of(preference, link.language)
            message = compose(event, name, language)
            batch.notify(link.guardian_id, event.school_id, event.student_id, message, preference, language)
        await batch.store()
        if chosen:
            school_message = compose(event, name, "zh")
            await queueing.queue_webhooks(
                uow, school_id=event.school_id, student_id=event.student_id, envelope=envelope, message=school_message
            )
        await uow.flush()  # the webhooks queued; the notifications themselves are written at the commit

    return handle


class _Batch:
    """An event's notifications and their deliveries, stored in one COPY (or multi-row INSERT) per table for the
    consumer's whole transaction (a whole school's broadcast is 10,000 of each: one ORM object and one statement
    each held the stream's alert back seconds) and pushed live after commit, all in one go. The rows are made as
    the COPY sends them (`rows`), so PostgreSQL writes the first ones while notify makes the rest."""

    def __init__(self, uow: UnitOfWork, envelope: Envelope) -> None:
        self._uow, self._envelope, self._now = uow, envelope, uow.clock.now()
        self._wanted: list[tuple[str, str, str, Message, GuardianPreference | None, Language]] = []
        self.deliveries: list[dict[str, Any]] = []
        self.live: list[tuple[str, bytes]] = []

    def notify(
        self,
        guardian_id: str,
        school_id: str,
        student_id: str,
        message: Message,
        preference: GuardianPreference | None,
        language: Language,
    ) -> None:
        """The guardian's in-app notification and the deliveries on their channels (NT-2), to store."""
        self._wanted.append((guardian_id, school_id, student_id, message, preference, language))

    def rows(self) -> Iterator[dict[str, Any]]:
        """The notification rows, each made as it is asked for; its deliveries and its live event are kept beside."""
        envelope, now = self._envelope, self._now
        for guardian_id, school_id, student_id, message, preference, language in self._wanted:
            row: dict[str, Any] = {
                "notification_id": str(uuid.uuid4()),
                "guardian_id": guardian_id,
                "school_id": school_id,
                "student_id": student_id,
                "event_id": envelope.id,
                "event_type": envelope.type,
                "channel": IN_APP,
                "status": "delivered",
                "title": message.title,
                "body": message.body,
                "urgent": message.urgent,
                "created_at": now,
                "audience": "guardian",
            }
            self.deliveries += queueing.guardian_deliveries(row, preference, message, language, now)
            self.live.append((f"guardian:{guardian_id}", live_frame(row)))
            yield row

    async def store(self) -> None:
        """Hand the batch to the transaction's pending rows: written at its commit, pushed live once committed."""
        if self._wanted:
            (await pending_rows(self._uow)).batches.append(self)


class PendingRows:
    """A transaction's guardian notifications and their deliveries, written at its commit: one COPY (or INSERT) a
    table for a consumer's whole batch, not two statements an event (issue 13); then their live events pushed in
    one go, a Redis round trip per 1,000 (one per event held a 2,000-event batch's commit back by 2,000 round trips).
    A handler that reads or deletes those rows before the commit (erasure) writes them first."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self.batches: list[_Batch] = []
        self.live: list[tuple[str, bytes]] = []

    async def write(self) -> None:
        """Insert what is pending now."""
        batches, self.batches = self.batches, []
        await insert_rows(
            self._session, NOTIFICATIONS, itertools.chain.from_iterable(batch.rows() for batch in batches)
        )
        await insert_rows(self._session, DELIVERIES, [delivery for batch in batches for delivery in batch.deliveries])
        self.live += itertools.chain.from_iterable(batch.live for batch in batches)  # made as the rows were

    async def push(self, broadcaster: Broadcaster) -> None:
        """Push every written notification live, in the order they were stored (after the commit)."""
        await broadcaster.publish_many(self.live)
        queueing.NOTIFICATIONS.labels(SERVICE, IN_APP, "delivered").inc(len(self.live))


async def pending_rows(uow: UnitOfWork) -> PendingRows:
    """The transaction's pending rows, written when it commits and pushed live once it has."""

    async def start() -> PendingRows:
        pending = PendingRows(uow.session)
        uow.before_commit(pending.write)
        uow.after_commit(lambda: pending.push(uow.broadcaster))
        return pending

    return await uow.read_once("notify:pending-rows", start)


async def insert_rows(session: AsyncSession, table: Table, rows: Iterable[dict[str, Any]]) -> None:
    """Plain rows (all with the same keys) in the session's transaction: many (a broadcast's 10,000) on PostgreSQL by
    one binary COPY through the driver (multi-row INSERTs spent most of their time binding 19 parameters a row), a
    few (one child's guardians) or on SQLite by multi-row INSERTs of `BULK_ROWS` each. Only the first
    `COPY_FROM_ROWS` are taken before choosing: a COPY's others are made as it sends them."""
    given = iter(rows)
    head = list(itertools.islice(given, COPY_FROM_ROWS))
    if not head:
        return
    await session.flush()  # what the unit of work holds goes first, as a Core statement's autoflush would send it
    connection = await session.connection()
    if connection.dialect.name != "postgresql" or len(head) < COPY_FROM_ROWS:
        statement, listed = insert(table), head + list(given)
        for start in range(0, len(listed), BULK_ROWS):
            await session.execute(statement, listed[start : start + BULK_ROWS])
        return
    driver: Any = (await connection.get_raw_connection()).driver_connection
    if not driver.is_in_transaction():  # the session begins lazily: never COPY outside its transaction (NT-3)
        await session.execute(select(1))
    columns = list(head[0])
    as_json = [at for at, name in enumerate(columns) if isinstance(table.columns[name].type, JSON)]
    # A row's values in one C call (a generator expression a row was a fifth of notify's CPU in a broadcast's COPY).
    pick = operator.itemgetter(*columns, *columns[:1])  # twice the first: a tuple even for a one-column table

    def record(row: dict[str, Any]) -> tuple[Any, ...]:
        values: tuple[Any, ...] = pick(row)[:-1]
        if not as_json:
            return values
        listed = list(values)
        for at in as_json:
            listed[at] = orjson.dumps(listed[at]).decode()
        return tuple(listed)

    # Made as the COPY sends them, a buffer at a time: PostgreSQL writes a broadcast's first rows while the rest are
    # made (and its 10,000 tuples are never all held at once).
    records = map(record, itertools.chain(head, given))
    await driver.copy_records_to_table(table.name, records=records, columns=columns, schema_name=table.schema)


def alert_school_guardians(compose: Callable[[Any, Language], Message]) -> StudentHandler:
    """AT-7/BX-7: a school-wide (or some grades') broadcast: one notification per guardian, however many of
    their children it concerns (NT-3)."""

    async def handle(uow: UnitOfWork, event: Any, envelope: Envelope) -> None:
        grades = list(getattr(event, "grades", []))
        recipients = await ref.guardians_of_school(uow.session, school_id=event.school_id, grades=grades)
        preferences = await preferences_of(uow.session, (guardian_id for guardian_id, _, _ in recipients))
        batch = _Batch(uow, envelope)
        messages: dict[Language, Message] = {}  # one text per language, however many guardians read it
        for guardian_id, linked_language, student_id in recipients:
            preference = preferences.get(guardian_id)
            language = language_of(preference, linked_language)
            message = messages.get(language) or messages.setdefault(language, compose(event, language))
            batch.notify(guardian_id, event.school_id, student_id, message, preference, language)
        await batch.store()
        if recipients:
            await queueing.queue_webhooks(
                uow, school_id=event.school_id, student_id="", envelope=envelope, message=compose(event, "zh")
            )
        await uow.session.flush()

    return handle


@dataclass(frozen=True)
class _ForChild:
    """A class-wide homework event (HW-8), as it concerns one child of the class."""

    student_id: str
    school_id: str
    event: Any


def alert_guardians_of_each_child(compose: Compose) -> StudentHandler:
    """NT-1 for class-wide events naming the class's children in `student_ids`: one notification per child.

    Each child's notification has its own stable id derived from the event's, so the per-event uniqueness (NT-3)
    holds for a guardian of two children in the class, and a redelivery still adds nothing.
    """
    per_child = alert_guardians(lambda child, name, language: compose(child.event, name, language))

    async def handle(uow: UnitOfWork, event: Any, envelope: Envelope) -> None:
        for student_id in event.student_ids:
            child_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{envelope.id}/{student_id}"))
            child = _ForChild(student_id, event.school_id, event)
            await per_child(uow, child, envelope.model_copy(update={"id": child_id}))

    return handle
