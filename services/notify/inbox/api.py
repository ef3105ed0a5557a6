"""HTTP routes under `/notify/v1`: a guardian's notifications, listed, live and read; listed as a keyset page
under `/notify/v2`."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime

from chassis.app import Runtime, RuntimeDep
from chassis.auth import Principal
from chassis.http import Guardian, Paging, superseded_by
from chassis.pagination import Page, PageParams, page_of
from chassis.problems import Problem
from services.notify.inbox import handlers, store
from services.notify.inbox.schemas import NotificationPage, NotificationPublic, public_view
from services.notify.settings import NotifySettings

router = APIRouter(prefix="/notify", tags=["notifications"])


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


@router.get(
    "/v1/notifications/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "server-sent events, one per notification"}},
)
async def stream_notifications(request: Request, runtime: RuntimeDep, principal: Guardian) -> StreamingResponse:
    """Server-sent events: each new notification for the calling guardian as it is stored; at most
    `stream_cap_per_person` at once per guardian on this process (each holds a subscription), else 429."""
    return await live_stream(request, runtime, principal, f"guardian:{principal.subject}")


@router.post("/v1/notifications/{notification_id}/read", status_code=204)
async def read_notification(
    runtime: RuntimeDep, principal: Guardian, notification_id: Annotated[str, Path(max_length=64)]
) -> None:
    """The guardian read it: its deliveries become read, and an urgent alert stops falling back (NT-2)."""
    async with runtime.uow() as uow:
        await handlers.read_notification(uow, principal, notification_id)
        await uow.commit()


async def live_stream(request: Request, runtime: Runtime, principal: Principal, channel: str) -> StreamingResponse:
    """A capped server-sent-events stream of one broadcaster channel, for one person."""
    settings = runtime.settings_as(NotifySettings)
    streams = open_streams(request)
    key = f"{principal.school_id}/{principal.role}/{principal.subject}"
    if streams[key] >= settings.stream_cap_per_person:
        raise TooManyStreams(
            f"at most {settings.stream_cap_per_person} live streams per person; close one first",
            limit=settings.stream_cap_per_person,
        )
    messages = await runtime.broadcaster.listen(channel)
    streams[key] += 1
    return StreamingResponse(
        _counted(_sse(messages, settings.stream_keepalive_seconds), streams, key),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


class TooManyStreams(Problem):
    """One person holding more live streams than the cap (a stream costs a subscription on this process)."""

    status, title = 429, "Too many streams"


def open_streams(request: Request) -> Counter[str]:
    """Live streams open on this app, per school and person."""
    state = request.app.state
    if not hasattr(state, "notify_open_streams"):
        state.notify_open_streams = Counter()
    streams: Counter[str] = state.notify_open_streams
    return streams


async def _counted(frames: AsyncIterator[bytes], streams: Counter[str], key: str) -> AsyncIterator[bytes]:
    """Pass the frames on; the stream stops counting against the person's cap when it ends, however it ends."""
    try:
        async for frame in frames:
            yield frame
    finally:
        streams[key] -= 1
        if streams[key] <= 0:
            del streams[key]
        aclose = getattr(frames, "aclose", None)
        if aclose is not None:
            await aclose()


async def _sse(messages: AsyncIterator[bytes], keepalive: float) -> AsyncIterator[bytes]:
    """Frame messages as SSE, with comment lines to keep proxies from closing an idle stream."""
    yield b": connected\n\n"
    pending = asyncio.ensure_future(anext(messages))
    try:
        while True:
            done, _ = await asyncio.wait({pending}, timeout=keepalive)
            if not done:
                yield b": keepalive\n\n"
                continue
            yield b"event: notification\ndata: " + pending.result() + b"\n\n"
            pending = asyncio.ensure_future(anext(messages))
    finally:
        pending.cancel()
        with contextlib.suppress(BaseException):
            await pending
        aclose = getattr(messages, "aclose", None)
        if aclose is not None:
            await aclose()
