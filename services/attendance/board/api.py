"""Live board routes under `/attendance/v1` (BX-6): per session, per school, per district; HTTP and SSE.

A school admin or duty leader sees their school, a service teacher the sessions they teach, a district operator
(a token with a district and no school) the district's schools. Streams send the board at once, then again
whenever it changes: woken by a ping on the school's channel (`live/handlers.py`) or, at the latest, every
`interval` seconds (changes made by slices that do not ping still show within the interval).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel, Field
from pydantic.config import JsonDict

from chassis.app import Runtime, RuntimeDep
from chassis.auth import Principal, Role, require
from chassis.broadcast import Broadcaster, Listener
from chassis.clock import SCHOOL_TZ
from chassis.http import DistrictOperator, Paging
from chassis.openapi import examples
from chassis.pagination import PageParams, encode_cursor
from chassis.problems import Forbidden, NotFound, Problem
from chassis.records import from_fields
from contracts.fields import SchoolId, SessionId
from services.attendance.board import handlers
from services.attendance.board.store import schools_of_district
from services.attendance.domain import board as rules
from services.attendance.domain.sessions import parse_session_id
from services.attendance.fields import EndsAt, Kind, RoomId, StartsAt, TeacherIds
from services.attendance.live.handlers import channel

router = APIRouter(prefix="/attendance/v1", tags=["board"])

AdminOrDutyLeader = Annotated[Principal, require(Role.SCHOOL_ADMIN, Role.DUTY_LEADER)]
AdminDutyLeaderOrServiceTeacher = Annotated[
    Principal, require(Role.SCHOOL_ADMIN, Role.DUTY_LEADER, Role.SERVICE_TEACHER)
]
Day = Annotated[date | None, Query(alias="date", description="school-local date; today when left out")]
Interval = Annotated[float, Query(ge=0.2, le=60, description="seconds between checks for changes")]

MIN_GAP = 0.25
"""Seconds between two recomputations of one stream, however many pings arrive."""
COUNTS: JsonDict = {
    "expected": 28,
    "present": 25,
    "on_leave": 1,
    "awaiting": 0,
    "missing": 1,
    "collected": 1,
    "teachers": 1,
    "students_per_teacher": 25.0,
    "ratio_limit": 30,
    "over_ratio": False,
}
SESSION: JsonDict = {
    "session_id": "homework-g3:2026-11-25",
    "kind": "homework",
    "starts_at": "2026-11-25T07:30:00Z",
    "ends_at": "2026-11-25T09:20:00Z",
    "room_id": "room-301",
    "teacher_ids": ["li"],
    "counts": COUNTS,
}
DAY = "the school's local day shown (today unless asked)"
AS_OF = "when the board was computed (UTC)"
NEXT = "cursor of the following page: pass it as `after`; null on the last page"


def _sse(model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    """A stream's answer: `board` events whose data is `model` as JSON, shown with the model's own example."""
    example = json.dumps(model.model_json_schema()["examples"][0], ensure_ascii=False)
    return {
        200: {
            "content": {"text/event-stream": {"example": f": connected\n\nevent: board\ndata: {example}\n\n"}},
            "description": f"server-sent `board` events, each a {model.__name__}",
        }
    }


class CountsPublic(BaseModel):
    """BX-6: present, on leave, not yet arrived, missing and collected, and present children per teacher."""

    model_config = examples(COUNTS)

    expected: int = Field(description="the children expected (each counted once, in exactly one of the states below)")
    present: int = Field(description="checked in and not yet gone home")
    on_leave: int = Field(description="AT-3: with approved leave, and not come anyway")
    awaiting: int = Field(description="not arrived yet, still within the minutes the start allows")
    missing: int = Field(description="AT-3: not arrived, no leave, and the absence minutes have passed")
    collected: int = Field(description="checked out: gone home, to the bus or to a program")
    teachers: int = Field(description="service teachers on duty (not signed in absent)")
    students_per_teacher: float | None = Field(description="present children per teacher, to one decimal; null: none")
    ratio_limit: int = Field(description="BX-6: the school's most children per teacher (a policy setting)")
    over_ratio: bool = Field(description="BX-6: present children exceed `ratio_limit` per teacher on duty")

    @classmethod
    def of(cls, counts: rules.Counts, ratio_limit: int) -> CountsPublic:
        """From the rule's counts and the policy's ratio."""
        return cls(
            **{name: getattr(counts, name) for name in rules.Counts.__dataclass_fields__},
            students_per_teacher=rules.students_per_teacher(counts),
            ratio_limit=ratio_limit,
        )


class SessionBoard(BaseModel):
    """One session's board."""

    model_config = examples(SESSION)

    session_id: SessionId
    kind: Kind
    starts_at: StartsAt
    ends_at: EndsAt
    room_id: RoomId
    teacher_ids: TeacherIds
    counts: CountsPublic = Field(description="BX-6: the session's numbers now")


class SchoolBoard(BaseModel):
    """A school's board: its totals and a page of its sessions (in start order)."""

    model_config = examples(
        {
            "school_id": "shiyan",
            "day": "2026-11-25",
            "as_of": "2026-11-25T08:00:00Z",
            "totals": COUNTS,
            "sessions": [SESSION],
            "next": None,
        }
    )

    school_id: SchoolId
    day: date = Field(description=DAY)
    as_of: datetime = Field(description=AS_OF)
    totals: CountsPublic = Field(description="BX-6: the school's numbers, each child once over all sessions")
    sessions: list[SessionBoard] = Field(description="this page's sessions, in start order")
    next: str | None = Field(default=None, description=NEXT)


class SchoolTotals(BaseModel):
    """A school's totals on the district's board."""

    school_id: SchoolId
    sessions: int = Field(description="the school's sessions that day")
    totals: CountsPublic = Field(description="BX-6: the school's numbers, each child once over all sessions")


class DistrictBoard(BaseModel):
    """A district's board: a page of its schools' totals (by school id)."""

    model_config = examples(
        {
            "district_id": "haidian",
            "day": "2026-11-25",
            "as_of": "2026-11-25T08:00:00Z",
            "schools": [{"school_id": "shiyan", "sessions": 14, "totals": COUNTS}],
            "next": None,
        }
    )

    district_id: str = Field(description="the district of the operator's token")
    day: date = Field(description=DAY)
    as_of: datetime = Field(description=AS_OF)
    schools: list[SchoolTotals] = Field(description="this page's schools, by school id")
    next: str | None = Field(default=None, description=NEXT)


def _day(runtime: Runtime, day: date | None) -> date:
    return day or runtime.clock.now().astimezone(SCHOOL_TZ).date()


def _session_board(line: handlers.SessionLine, ratio_limit: int) -> SessionBoard:
    view = line.view
    return from_fields(
        SessionBoard, view, teacher_ids=list(view.teacher_ids), counts=CountsPublic.of(line.counts, ratio_limit)
    )


async def _school_board(runtime: Runtime, school_id: str, day: date, params: PageParams) -> SchoolBoard:
    now = runtime.clock.now()
    async with runtime.db.sessions() as session:
        state = await handlers.school_state(session, school_id=school_id, day=day, now=now)
    after = params.after_value(str)
    beyond = [line for line in state.lines if after is None or line.view.session_id > after]
    ordered = sorted(beyond, key=lambda line: line.view.session_id)
    shown = ordered[: params.limit]
    more = len(ordered) > params.limit
    return SchoolBoard(
        school_id=school_id,
        day=day,
        as_of=now,
        totals=CountsPublic.of(state.totals, state.ratio_limit),
        sessions=[_session_board(line, state.ratio_limit) for line in shown],
        next=encode_cursor(shown[-1].view.session_id) if more and shown else None,
    )


async def _one_session(runtime: Runtime, principal: Principal, session_id: str) -> SessionBoard:
    """The caller's school's session (another school's is not found); a service teacher must teach it."""
    parsed = parse_session_id(session_id)
    if parsed is None:
        raise NotFound(f"no session '{session_id}' in this school")
    async with runtime.db.sessions() as session:
        state = await handlers.school_state(
            session, school_id=principal.school(), day=parsed[1], now=runtime.clock.now(), only=session_id
        )
    if not state.lines:
        raise NotFound(f"no session '{session_id}' in this school")
    if principal.role is Role.SERVICE_TEACHER and principal.subject not in state.lines[0].view.teacher_ids:
        raise Forbidden("a service teacher sees the board of their own sessions only")
    return _session_board(state.lines[0], state.ratio_limit)


async def _district_board(runtime: Runtime, district_id: str, day: date, params: PageParams) -> DistrictBoard:
    now = runtime.clock.now()
    schools = []
    async with runtime.db.sessions() as session:
        school_ids = await schools_of_district(
            session, district_id=district_id, after=params.after_value(str), limit=params.limit + 1
        )
        for school_id in school_ids[: params.limit]:
            state = await handlers.school_state(session, school_id=school_id, day=day, now=now)
            totals = CountsPublic.of(state.totals, state.ratio_limit)
            schools.append(SchoolTotals(school_id=school_id, sessions=len(state.lines), totals=totals))
    more = len(school_ids) > params.limit
    return DistrictBoard(
        district_id=district_id,
        day=day,
        as_of=now,
        schools=schools,
        next=encode_cursor(schools[-1].school_id) if more and schools else None,
    )


def _district_of(principal: Principal) -> str:
    if principal.district_id is None or principal.school_id is not None:
        raise Forbidden("the district board needs a district operator's token with a district and no school")
    return principal.district_id


@router.get("/board/school", response_model=SchoolBoard)
async def school_board(
    runtime: RuntimeDep, principal: AdminOrDutyLeader, params: Paging, day: Day = None
) -> SchoolBoard:
    """BX-6: the caller's school: totals and each session's counts."""
    return await _school_board(runtime, principal.school(), _day(runtime, day), params)


@router.get("/board/sessions/{session_id}", response_model=SessionBoard)
async def session_board(
    session_id: str, runtime: RuntimeDep, principal: AdminDutyLeaderOrServiceTeacher
) -> SessionBoard:
    """BX-6: one session's counts (a service teacher: only a session they teach)."""
    return await _one_session(runtime, principal, session_id)


@router.get("/board/district", response_model=DistrictBoard)
async def district_board(
    runtime: RuntimeDep, principal: DistrictOperator, params: Paging, day: Day = None
) -> DistrictBoard:
    """BX-6: the operator's district: each school's totals."""
    return await _district_board(runtime, _district_of(principal), _day(runtime, day), params)


async def _own_school(principal: AdminOrDutyLeader) -> str:
    return principal.school()


async def _session_school(session_id: str, runtime: RuntimeDep, principal: AdminDutyLeaderOrServiceTeacher) -> str:
    await _one_session(runtime, principal, session_id)
    return principal.school()


async def _own_district(principal: DistrictOperator) -> str:
    return _district_of(principal)


# Dependencies, so a refusal is a problem answer: a streaming route's own body runs once the stream has begun.
OwnSchool = Annotated[str, Depends(_own_school)]
SessionSchool = Annotated[str, Depends(_session_school)]
OwnDistrict = Annotated[str, Depends(_own_district)]


@router.get("/board/school/stream", response_class=EventSourceResponse, responses=_sse(SchoolBoard))
async def stream_school_board(
    runtime: RuntimeDep, school_id: OwnSchool, interval: Interval = 2.0
) -> AsyncIterator[ServerSentEvent]:
    """BX-6 live: server-sent `board` events with the school's board (first page) whenever it changes."""

    async def snapshot() -> BaseModel:
        return await _school_board(runtime, school_id, _day(runtime, None), PageParams(limit=500))

    async for event in _events(runtime, [channel(school_id)], snapshot, interval):
        yield event


@router.get("/board/sessions/{session_id}/stream", response_class=EventSourceResponse, responses=_sse(SessionBoard))
async def stream_session_board(
    session_id: str,
    runtime: RuntimeDep,
    principal: AdminDutyLeaderOrServiceTeacher,
    school_id: SessionSchool,
    interval: Interval = 2.0,
) -> AsyncIterator[ServerSentEvent]:
    """BX-6 live: server-sent `board` events with the session's board whenever it changes."""

    async def snapshot() -> BaseModel:
        return await _one_session(runtime, principal, session_id)

    async for event in _events(runtime, [channel(school_id)], snapshot, interval):
        yield event


@router.get("/board/district/stream", response_class=EventSourceResponse, responses=_sse(DistrictBoard))
async def stream_district_board(
    runtime: RuntimeDep, district_id: OwnDistrict, interval: Interval = 5.0
) -> AsyncIterator[ServerSentEvent]:
    """BX-6 live: server-sent `board` events with the district's board (first page) whenever it changes."""

    async def snapshot() -> BaseModel:
        return await _district_board(runtime, district_id, _day(runtime, None), PageParams(limit=500))

    async for event in _events(runtime, [], snapshot, interval):
        yield event


async def _events(
    runtime: Runtime, channels: list[str], snapshot: Callable[[], Awaitable[BaseModel]], interval: float
) -> AsyncIterator[ServerSentEvent]:
    """Send the board, then each changed board; `as_of` alone changing is no change. A burst of pings costs one
    recomputation per `MIN_GAP`; comment lines keep idle proxies from closing the stream; a board that can no
    longer be shown (its session is gone) ends the stream."""
    pings = [await runtime.broadcaster.listen(name) for name in channels]
    waiting: dict[asyncio.Future[bytes], Listener] = {asyncio.ensure_future(anext(p)): p for p in pings}
    last: str | None = None
    yield ServerSentEvent(comment="connected")
    try:
        while True:
            started = asyncio.get_running_loop().time()
            try:
                board = await snapshot()
            except Problem:
                return
            compared = board.model_dump_json(exclude={"as_of"})
            if compared != last:
                last = compared
                yield ServerSentEvent(event="board", raw_data=board.model_dump_json())
            else:
                yield ServerSentEvent(comment="keepalive")
            await _next_change(runtime.broadcaster, waiting, interval)
            await asyncio.sleep(max(0.0, MIN_GAP - (asyncio.get_running_loop().time() - started)))
    finally:
        for future, source in waiting.items():
            future.cancel()
            with contextlib.suppress(BaseException):
                await future
            await source.aclose()


async def _next_change(
    broadcaster: Broadcaster, waiting: dict[asyncio.Future[bytes], Listener], interval: float
) -> None:
    """Until a ping arrives on any channel, or `interval` seconds pass. Pings queued meanwhile are let go (the next
    board is computed whole, so one ping says all they would), and a listener dropped for lagging is renewed."""
    if not waiting:
        await asyncio.sleep(interval)
        return
    done, _ = await asyncio.wait(set(waiting), timeout=interval)
    for future in done:
        source = waiting.pop(future)
        if future.exception() is not None:  # StopAsyncIteration: dropped for lagging
            source = await broadcaster.listen(source.channel)
        source.discard_queued()
        waiting[asyncio.ensure_future(anext(source))] = source
