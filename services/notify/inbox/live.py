"""A person's live notification stream: capped per person, resumable with `Last-Event-ID` (issue 10).

Each event's `id` is the notification's sort key written by the chassis cursor codec, the same value a v2 page
hands out as its cursor. A client reconnecting with `Last-Event-ID` first gets its stored notifications after that
key, oldest first, then the live ones: the stream listens before it reads the backlog, and skips a live message it
has already sent from the backlog (or that is not after the key), so there is no gap and no duplicate.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import Depends, Header, Request
from fastapi.sse import ServerSentEvent

from chassis.app import Runtime, RuntimeDep
from chassis.auth import CurrentPrincipal, Principal
from chassis.pagination import decode_cursor, encode_cursor
from chassis.problems import Problem
from services.notify.inbox import store
from services.notify.inbox.schemas import public_view
from services.notify.settings import NotifySettings

Key = tuple[datetime, str]
BACKLOG_PAGE = 200
SSE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/event-stream": {}},
        "description": "server-sent `notification` events, each with an `id` to resume from (`Last-Event-ID`)",
    }
}


class TooManyStreams(Problem):
    """One person holding more live streams than the cap (each holds a listener on this process)."""

    status, title = 429, "Too many streams"


def open_streams(request: Request) -> Counter[str]:
    """Live streams open on this app, per school, role and person."""
    state = request.app.state
    if not hasattr(state, "notify_open_streams"):
        state.notify_open_streams = Counter()
    streams: Counter[str] = state.notify_open_streams
    return streams


async def stream_seat(request: Request, runtime: RuntimeDep, principal: CurrentPrincipal) -> AsyncIterator[None]:
    """Dependency: a place among the caller's `stream_cap_per_person` streams on this process, else a 429 problem;
    the place is freed when the stream ends, however it ends (a dependency, so the 429 comes before the stream)."""
    principal.school()  # a stream is of one school's inbox: refused here, before the stream opens
    cap = runtime.settings_as(NotifySettings).stream_cap_per_person
    streams = open_streams(request)
    key = f"{principal.school_id}/{principal.role}/{principal.subject}"
    if streams[key] >= cap:
        raise TooManyStreams(f"at most {cap} live streams per person; close one first", limit=cap)
    streams[key] += 1
    try:
        yield
    finally:
        streams[key] -= 1
        if streams[key] <= 0:
            del streams[key]


def resume_key(
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=200)] = None,
) -> Key | None:
    """Dependency: the sort key a reconnecting client's `Last-Event-ID` names; one this stream did not write is a
    422 problem (a client that resumed from it would silently get the wrong backlog)."""
    return None if last_event_id is None else decode_cursor(last_event_id, datetime, str)


StreamSeat = Annotated[None, Depends(stream_seat)]
ResumeKey = Annotated[Key | None, Depends(resume_key)]


def sort_key(view: dict[str, Any]) -> Key:
    """A notification's (created_at, id) sort key (SQLite, in the embedded mode, hands instants back without their
    zone; they are UTC)."""
    created = datetime.fromisoformat(view["created_at"])
    return (created if created.tzinfo else created.replace(tzinfo=UTC)), view["notification_id"]


def event_id(view: dict[str, Any]) -> str:
    """A notification's event id: its sort key, as a v2 page cursor writes it."""
    return encode_cursor(*sort_key(view))


def _event(data: str, view: dict[str, Any]) -> ServerSentEvent:
    return ServerSentEvent(event="notification", raw_data=data, id=event_id(view))


async def notification_events(
    runtime: Runtime, principal: Principal, *, channel: str, audience: str, resume: Key | None
) -> AsyncIterator[ServerSentEvent]:
    """The stream's events: a `connected` comment, the backlog after `resume` (when given), then live ones, with
    a comment line whenever `stream_keepalive_seconds` pass idle so proxies keep the stream open."""
    keepalive = runtime.settings_as(NotifySettings).stream_keepalive_seconds
    listener = await runtime.broadcaster.listen(channel)  # before the backlog: nothing stored meanwhile is missed
    try:
        yield ServerSentEvent(comment="connected")
        sent: set[str] = set()
        after = resume
        while after is not None:
            async with runtime.db.sessions() as session:
                rows = await store.notifications_since(
                    session,
                    recipient_id=principal.subject,
                    school_id=principal.school(),
                    audience=audience,
                    after=after,
                    limit=BACKLOG_PAGE,
                )
            for row in rows:
                view = public_view(row)
                sent.add(row.notification_id)
                yield _event(orjson.dumps(view).decode(), view)
            after = (rows[-1].created_at, rows[-1].notification_id) if len(rows) == BACKLOG_PAGE else None
        while True:
            try:
                async with asyncio.timeout(keepalive):
                    message = await anext(listener)
            except TimeoutError:
                yield ServerSentEvent(comment="keepalive")
                continue
            except StopAsyncIteration:
                return  # dropped for falling behind: the client reconnects with its last id and misses nothing
            view = orjson.loads(message)
            if view["notification_id"] in sent or (resume is not None and sort_key(view) <= resume):
                continue
            yield _event(message.decode(), view)
    finally:
        await listener.aclose()
