"""HTTP routes under `/notify/v1`: a guardian's notifications, listed, live and read; listed as a keyset page
under `/notify/v2`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Query
from pydantic import AwareDatetime

from chassis.app import Runtime, RuntimeDep
from chassis.auth import Principal
from chassis.http import Guardian, Paging, superseded_by
from chassis.lean import served_lean
from chassis.live import LiveStream
from chassis.openapi import model_examples
from chassis.pagination import Page, PageParams, page_of
from services.notify.fields import PathId
from services.notify.inbox import handlers, store
from services.notify.inbox.schemas import NotificationPage, NotificationPublic, public_view

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


LastEventId = Annotated[str | None, Header(alias="Last-Event-ID", max_length=handlers.LAST_EVENT_ID_MAX)]
"""The header a reconnecting client resumes from (declared here for the OpenAPI; `handlers.serve_stream` reads it)."""


V1Limit = Annotated[int, Query(ge=1, le=200)]
"""A v1 list's page size (`?limit=`; v2 pages are `Paging`)."""
V1Before = Annotated[AwareDatetime | None, Query()]
"""A v1 list's `?before=`: the `next_before` of the page before."""


@router.get("/v1/notifications", response_model=NotificationPage, **superseded_by("/notify/v2/notifications"))
async def list_notifications(
    runtime: RuntimeDep, principal: Guardian, limit: V1Limit = 50, before: V1Before = None
) -> NotificationPage:
    """The calling guardian's own notifications (never anyone else's), newest first (deprecated: two stored in the
    same instant can be skipped or repeated at a page's edge; use `/notify/v2/notifications`)."""
    return await inbox_before(runtime, principal, limit, before, audience="guardian")


async def inbox_before(
    runtime: Runtime, principal: Principal, limit: int, before: datetime | None, *, audience: str
) -> NotificationPage:
    """A v1 page of the caller's own inbox in their school: up to `limit`, newest first, stored before `before`."""
    async with runtime.db.sessions() as session:
        rows = await store.notifications_for(
            session,
            guardian_id=principal.subject,
            school_id=principal.school(),
            limit=limit,
            before=before,
            audience=audience,
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
@served_lean(handlers.guardian_stream)
async def stream_notifications(principal: Guardian, last_event_id: LastEventId = None) -> None:
    """Server-sent events: each new notification for the calling guardian as it is stored, each with an `id`; a
    client reconnecting with `Last-Event-ID` first gets what it missed. At most `stream_cap_per_person` at once per
    guardian on this process, else 429."""


@router.post("/v1/notifications/{notification_id}/read", status_code=204)
async def read_notification(runtime: RuntimeDep, principal: Guardian, notification_id: PathId) -> None:
    """The guardian read it: its deliveries become read, and an urgent alert stops falling back (NT-2)."""
    async with runtime.uow() as uow:
        await handlers.read_notification(uow, principal, notification_id)
        await uow.commit()
