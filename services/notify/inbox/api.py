"""HTTP routes under `/notify/v1`: a guardian's notifications, listed, live and read; listed as a keyset page
under `/notify/v2`."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Header, Path, Query, Request
from pydantic import AwareDatetime

from chassis.app import Runtime, RuntimeDep
from chassis.auth import CurrentPrincipal, Principal
from chassis.http import Guardian, Paging, superseded_by
from chassis.live import LiveStream
from chassis.openapi import model_examples
from chassis.pagination import Page, PageParams, decode_cursor, page_of
from chassis.problems import Problem
from services.notify.inbox import handlers, store
from services.notify.inbox.handlers import Key, live_stream
from services.notify.inbox.schemas import NotificationPage, NotificationPublic, public_view
from services.notify.settings import NotifySettings

router = APIRouter(prefix="/notify", tags=["notifications"])

_SHOWN = model_examples(NotificationPublic)[0]
SSE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "text/event-stream": {
                "example": f": connected\n\nevent: notification\nid: {handlers.event_id(_SHOWN)}\n"
                f"data: {orjson.dumps(_SHOWN).decode()}\n\n"
            }
        },
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


@router.get("/v1/notifications", response_model=NotificationPage, **superseded_by("/notify/v2/notifications"))
async def list_notifications(
    runtime: RuntimeDep,
    principal: Guardian,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[AwareDatetime | None, Query()] = None,
) -> NotificationPage:
    """The calling guardian's own notifications (never anyone else's), newest first (deprecated: two stored in the
    same instant can be skipped or repeated at a page's edge; use `/notify/v2/notifications`)."""
    async with runtime.db.sessions() as session:
        rows = await store.notifications_for(
            session, guardian_id=principal.subject, school_id=principal.school(), limit=limit, before=before
        )
    items = [NotificationPublic.model_validate(public_view(r)) for r in rows]
    return NotificationPage(items=items, next_before=items[-1].created_at if len(items) == limit else None)


@router.get("/v2/notifications", response_model=Page[NotificationPublic])
async def page_notifications(runtime: RuntimeDep, principal: Guardian, page: Paging) -> Page[NotificationPublic]:
    """The calling guardian's own notifications (never anyone else's), newest first."""
    return await inbox_page(runtime, principal, page, audience="guardian")


async def inbox_page(
    runtime: Runtime, principal: Principal, page: PageParams, *, audience: str
) -> Page[NotificationPublic]:
    """A page of the caller's own inbox in their school, newest first by (created_at, id)."""
    async with runtime.db.sessions() as session:
        rows = await store.notifications_page(
            session,
            recipient_id=principal.subject,
            school_id=principal.school(),
            after=page.after_pair(datetime, str),
            limit=page.limit + 1,
            audience=audience,
        )
    items = [NotificationPublic.model_validate(public_view(r)) for r in rows]
    return page_of(items, page, lambda n: (n.created_at, n.notification_id))


@router.get("/v1/notifications/stream", response_class=LiveStream, responses=SSE_RESPONSES)
async def stream_notifications(
    runtime: RuntimeDep, principal: Guardian, resume: ResumeKey, _seat: StreamSeat
) -> LiveStream:
    """Server-sent events: each new notification for the calling guardian as it is stored, each with an `id`; a
    client reconnecting with `Last-Event-ID` first gets what it missed. At most `stream_cap_per_person` at once per
    guardian on this process, else 429."""
    channel = f"guardian:{principal.subject}"
    return await live_stream(runtime, principal, channel=channel, audience="guardian", resume=resume)


@router.post("/v1/notifications/{notification_id}/read", status_code=204)
async def read_notification(
    runtime: RuntimeDep, principal: Guardian, notification_id: Annotated[str, Path(max_length=64)]
) -> None:
    """The guardian read it: its deliveries become read, and an urgent alert stops falling back (NT-2)."""
    async with runtime.uow() as uow:
        await handlers.read_notification(uow, principal, notification_id)
        await uow.commit()
