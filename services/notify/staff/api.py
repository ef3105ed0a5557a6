"""HTTP routes of a staff member's own inbox, listed and live (issue 10, "staff recipients"); listed as a keyset
page under `/notify/v2/staff`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from chassis.app import RuntimeDep
from chassis.auth import Principal, Role, require
from chassis.http import Paging, superseded_by
from chassis.lean import served_lean
from chassis.live import LiveStream
from chassis.pagination import Page
from services.notify.inbox import store as inbox
from services.notify.inbox.api import SSE_RESPONSES, LastEventId, inbox_page
from services.notify.inbox.schemas import NotificationPage, NotificationPublic, public_view
from services.notify.staff.handlers import staff_stream

router = APIRouter(prefix="/notify", tags=["staff"])

AnyStaff = Annotated[
    Principal,
    require(Role.CLASS_TEACHER, Role.SERVICE_TEACHER, Role.SUBJECT_TEACHER, Role.DUTY_LEADER, Role.SCHOOL_ADMIN),
]


@router.get(
    "/v1/staff/notifications", response_model=NotificationPage, **superseded_by("/notify/v2/staff/notifications")
)
async def list_staff_notifications(
    runtime: RuntimeDep,
    principal: AnyStaff,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[AwareDatetime | None, Query()] = None,
) -> NotificationPage:
    """The calling staff member's own notifications in their school, newest first (deprecated: use
    `/notify/v2/staff/notifications`)."""
    async with runtime.db.sessions() as session:
        rows = await inbox.notifications_for(
            session,
            guardian_id=principal.subject,
            school_id=principal.school(),
            limit=limit,
            before=before,
            audience="staff",
        )
    items = [NotificationPublic.model_validate(public_view(r)) for r in rows]
    return NotificationPage(items=items, next_before=items[-1].created_at if len(items) == limit else None)


@router.get("/v2/staff/notifications", response_model=Page[NotificationPublic])
async def page_staff_notifications(runtime: RuntimeDep, principal: AnyStaff, page: Paging) -> Page[NotificationPublic]:
    """The calling staff member's own notifications in their school, newest first."""
    return await inbox_page(runtime, principal, page, audience="staff")


@router.get("/v1/staff/notifications/stream", response_class=LiveStream, responses=SSE_RESPONSES)
@served_lean(staff_stream)
async def stream_staff_notifications(principal: AnyStaff, last_event_id: LastEventId = None) -> None:
    """Server-sent events: each new notification for the calling staff member, each with an `id` to resume from
    with `Last-Event-ID` (capped per person, else 429)."""
