"""HTTP routes of a staff member's own inbox, listed and live (issue 10, "staff recipients"); listed as a keyset
page under `/notify/v2/staff`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from chassis.app import RuntimeDep
from chassis.auth import Principal, Role, require
from chassis.http import Paging, superseded_by
from chassis.lean import served_lean
from chassis.live import LiveStream
from chassis.pagination import Page
from services.notify.inbox.api import SSE_RESPONSES, LastEventId, V1Before, V1Limit, inbox_before, inbox_page
from services.notify.inbox.schemas import NotificationPage, NotificationPublic
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
    runtime: RuntimeDep, principal: AnyStaff, limit: V1Limit = 50, before: V1Before = None
) -> NotificationPage:
    """The calling staff member's own notifications in their school, newest first (deprecated: use
    `/notify/v2/staff/notifications`)."""
    return await inbox_before(runtime, principal, limit, before, audience="staff")


@router.get("/v2/staff/notifications", response_model=Page[NotificationPublic])
async def page_staff_notifications(runtime: RuntimeDep, principal: AnyStaff, page: Paging) -> Page[NotificationPublic]:
    """The calling staff member's own notifications in their school, newest first."""
    return await inbox_page(runtime, principal, page, audience="staff")


@router.get("/v1/staff/notifications/stream", response_class=LiveStream, responses=SSE_RESPONSES)
@served_lean(staff_stream)
async def stream_staff_notifications(principal: AnyStaff, last_event_id: LastEventId = None) -> None:
    """Server-sent events: each new notification for the calling staff member, each with an `id` to resume from
    with `Last-Event-ID` (capped per person, else 429)."""
