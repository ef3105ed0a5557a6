"""The commands of an inbox: a guardian reads a notification; a person's live stream of it, resumable.

A live event's `id` is the notification's sort key written by the chassis cursor codec, the same value a v2 page
hands out as its cursor. A client reconnecting with `Last-Event-ID` first gets its stored notifications after that
key, oldest first, then the live ones: the stream listens before it reads the backlog, and skips a live message it
has already sent from the backlog (or that is not after the key), so there is no gap and no duplicate.

A live message is the event already formatted (`live_frame`), once by whoever stores the notification: a stream
writes it as it came, so a whole school's broadcast formats 10,000 events once each, not once per stream and again
after a JSON round trip.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi.sse import format_sse_event
from starlette.datastructures import State
from starlette.types import Receive, Send

from chassis.app import Runtime
from chassis.auth import Principal
from chassis.broadcast import Listener
from chassis.lean import LeanRequest
from chassis.live import LiveStream
from chassis.pagination import decode_cursor, encode_cursor
from chassis.problems import NotFound, Problem
from chassis.uow import UnitOfWork
from services.notify.deliveries.store import mark_read
from services.notify.inbox import store
from services.notify.inbox.schemas import public_view
from services.notify.settings import NotifySettings
from services.notify.store import Notification

Key = tuple[datetime, str]
BACKLOG_PAGE = 200


async def read_notification(uow: UnitOfWork, principal: Principal, notification_id: str) -> None:
    """The guardian read it: its deliveries become read, and an urgent alert stops falling back (NT-2)."""
    notification = await uow.session.get(Notification, notification_id)
    if (
        notification is None
        or notification.audience != "guardian"
        or notification.guardian_id != principal.subject
        or notification.school_id != principal.school()
    ):
        raise NotFound("no such notification")
    now = uow.clock.now()
    notification.read_at = notification.read_at or now
    await mark_read(uow.session, notification_id=notification_id, now=now)


def _cursor(created: datetime, notification_id: str) -> str:
    """A notification's sort key as a v2 page cursor writes it (SQLite, in the embedded mode, hands instants back
    without their zone; they are UTC)."""
    return encode_cursor(created if created.tzinfo else created.replace(tzinfo=UTC), notification_id)


def event_id(view: dict[str, Any]) -> str:
    """A notification's event id, from its public view: its sort key, as a v2 page cursor writes it."""
    return _cursor(datetime.fromisoformat(view["created_at"]), view["notification_id"])


def live_frame(notification: Notification | Mapping[str, Any]) -> bytes:
    """A notification's (stored, or its row about to be) `notification` event as every stream writes it, with its
    sort key as the event id: taken from its own instant, not parsed back from the view's text (a broadcast makes
    10,000 of these before any stream is told)."""
    view = public_view(notification)
    created = notification["created_at"] if isinstance(notification, Mapping) else notification.created_at
    return format_sse_event(
        data_str=orjson.dumps(view).decode(), event="notification", id=_cursor(created, str(view["notification_id"]))
    )


def frame_key(frame: bytes) -> Key:
    """The sort key a `live_frame` names in its `id:` line (its last)."""
    cursor = frame.rstrip(b"\n").rpartition(b"\nid: ")[2].decode()
    return decode_cursor(cursor, datetime, str)


CONNECTED = format_sse_event(comment="connected")
KEEPALIVE = format_sse_event(comment="keepalive")


LAST_EVENT_ID_MAX = 200


class TooManyStreams(Problem):
    """One person holding more live streams than the cap (each holds a listener on this process)."""

    status, title = 429, "Too many streams"


def open_streams(state: State) -> Counter[str]:
    """Live streams open on this app, per school, role and person."""
    if not hasattr(state, "notify_open_streams"):
        state.notify_open_streams = Counter()
    streams: Counter[str] = state.notify_open_streams
    return streams


class StreamSeat:
    """A place among the caller's `stream_cap_per_person` streams on this process, else a 429 problem (before the
    stream opens); the place is freed when the stream ends, however it ends. A class with slots, not a generator
    context manager: it lives as long as the stream, and a process holds 10,000 of them."""

    __slots__ = ("_key", "_streams")

    def __init__(self, request: LeanRequest) -> None:
        principal = request.principal
        cap = request.runtime.settings_as(NotifySettings).stream_cap_per_person
        self._streams = open_streams(request.state)
        self._key = f"{principal.school_id}/{principal.role}/{principal.subject}"
        if self._streams[self._key] >= cap:
            raise TooManyStreams(f"at most {cap} live streams per person; close one first", limit=cap)

    def __enter__(self) -> None:
        self._streams[self._key] += 1

    def __exit__(self, *_: object) -> None:
        self._streams[self._key] -= 1
        if self._streams[self._key] <= 0:
            del self._streams[self._key]


def resume_key(last_event_id: str | None) -> Key | None:
    """The sort key a reconnecting client's `Last-Event-ID` names; one this stream did not write is a 422 problem
    (a client that resumed from it would silently get the wrong backlog)."""
    return None if last_event_id is None else decode_cursor(last_event_id, datetime, str)


async def serve_stream(request: LeanRequest, receive: Receive, send: Send, *, channel: str, audience: str) -> None:
    """A person's live stream of their inbox (a lean route, chassis/lean.py): refused before it opens for a
    `Last-Event-ID` it did not write (422), a token without a school (403) or one stream over the cap (429)."""
    resume = resume_key(request.header("Last-Event-ID", max_length=LAST_EVENT_ID_MAX))
    runtime, principal = request.runtime, request.principal
    principal.school()
    with StreamSeat(request):
        stream = await live_stream(runtime, principal, channel=channel, audience=audience, resume=resume)
        await stream(request.scope, receive, send)


async def guardian_stream(request: LeanRequest, receive: Receive, send: Send) -> None:
    """The calling guardian's live stream."""
    channel = f"guardian:{request.principal.subject}"
    await serve_stream(request, receive, send, channel=channel, audience="guardian")


async def live_stream(
    runtime: Runtime, principal: Principal, *, channel: str, audience: str, resume: Key | None
) -> LiveStream:
    """The person's live stream: listening from now on (before the backlog is read: nothing stored meanwhile is
    missed), its events written from the request's own task."""
    listener = await runtime.broadcaster.listen(channel)
    events = notification_events(runtime, principal, listener, audience=audience, resume=resume)
    return LiveStream(events, stop=listener.aclose)


async def notification_events(
    runtime: Runtime, principal: Principal, listener: Listener, *, audience: str, resume: Key | None
) -> AsyncIterator[bytes]:
    """The stream's events, formatted: a `connected` comment, the backlog after `resume` (when given), then live
    ones from `listener`, with a comment line whenever `stream_keepalive_seconds` pass idle so proxies keep the
    stream open. They end when the listener is closed (the client went) or dropped (it fell behind)."""
    keepalive = runtime.settings_as(NotifySettings).stream_keepalive_seconds
    try:
        yield CONNECTED
        sent: set[str] = set()
        if resume is not None:
            async for row in _backlog(runtime, principal, audience, resume):
                sent.add(row.notification_id)
                yield live_frame(row)
        while True:
            try:
                message = await listener.next_within(keepalive)
            except StopAsyncIteration:
                return  # dropped for falling behind: the client reconnects with its last id and misses nothing
            if message is None:
                yield KEEPALIVE
                continue
            if resume is not None:  # only a resumed stream can have sent it already
                key = frame_key(message)
                if key[1] in sent or key <= resume:
                    continue
            yield message
    finally:
        await listener.aclose()


async def _backlog(runtime: Runtime, principal: Principal, audience: str, after: Key) -> AsyncIterator[Notification]:
    """The person's stored notifications after the key, oldest first, read a page at a time."""
    school, page = principal.school(), BACKLOG_PAGE
    while True:
        async with runtime.db.sessions() as session:
            rows = await store.notifications_since(
                session, recipient_id=principal.subject, school_id=school, audience=audience, after=after, limit=page
            )
        for row in rows:
            yield row
        if len(rows) < page:
            return
        after = (rows[-1].created_at, rows[-1].notification_id)
