"""The live board on the real stack (BX-6): per session, school and district, over HTTP and server-sent events;
each viewer sees only what is theirs."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import orjson
import pytest
import uvicorn
from sqlalchemy import select

from chassis.app import Runtime
from chassis.auth import Role
from chassis.clock import FakeClock
from contracts.enrollment import PolicyProfileSet, SchoolRegistered
from contracts.policy import PolicySettings
from services.attendance.app import DEFINITION
from services.attendance.board.store import SchoolDistrict
from tests.conftest import ServiceClient, auth, eventually, stack_settings
from tests.services.conftest import publish_as_producer
from tests.services.test_attendance_reference import (
    CHESS,
    DAY,
    HOMEWORK,
    programs_known,
    roster_size,
    school_at,
    world_events,
)
from tests.services.test_attendance_staff import at, move_to, runtime_of

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

HOMEWORK_SESSION, CHESS_SESSION = (f"{p}:{DAY.isoformat()}" for p in (HOMEWORK, CHESS))
ADMIN = auth(Role.SCHOOL_ADMIN, "s1-office", school="s1")
DUTY = auth(Role.DUTY_LEADER, "t-duty", school="s1")
SERVICE = auth(Role.SERVICE_TEACHER, "t-service", school="s1")
KIOSK = auth(Role.KIOSK, "s1-gate", school="s1")
CHESS_TEACHER = auth(Role.SERVICE_TEACHER, "t-chess", school="s1")
SCHOOL_BOARD = "/attendance/v1/board/school"
HOMEWORK_BOARD, CHESS_BOARD = (f"/attendance/v1/board/sessions/{s}" for s in (HOMEWORK_SESSION, CHESS_SESSION))


async def status(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> int:
    return (await client.get(url, headers=headers)).status_code


async def check_in(client: httpx.AsyncClient, runtime: Runtime, student_id: str) -> None:
    body = {"student_id": student_id, "occurred_at": runtime.clock.now().isoformat(), "device_id": "s1-gate"}
    response = await client.post("/attendance/v1/check-ins", json={**body, "method": "card"}, headers=KIOSK)
    assert response.status_code == 201, response.text


async def check_out(client: ServiceClient, runtime: Runtime, student_id: str) -> None:
    body = {"student_id": student_id, "occurred_at": runtime.clock.now().isoformat()}
    guardian = auth(Role.GUARDIAN, f"g-{student_id}", school="s1")
    response = await client.post("/attendance/v1/check-outs", json=body, headers=guardian)
    assert response.status_code == 201, response.text


async def grant_leave(client: ServiceClient, student_id: str, class_teacher: str, session_id: str | None) -> None:
    """AT-3: the guardian asks for leave (for the day, or one session) and the class teacher approves it."""
    body = {"student_id": student_id, "day": DAY.isoformat(), "session_id": session_id, "reason": "看牙医"}
    guardian = auth(Role.GUARDIAN, f"g-{student_id}", school="s1")
    asked = await client.post("/attendance/v1/leave-requests", json=body, headers=guardian)
    assert asked.status_code == 201, asked.text
    teacher = auth(Role.CLASS_TEACHER, class_teacher, school="s1")
    approved = await client.post(
        f"/attendance/v1/leave-requests/{asked.json()['leave_id']}/approve", json={}, headers=teacher
    )
    assert approved.status_code == 200, approved.text


def counts(board: dict[str, Any], *names: str) -> tuple[Any, ...]:
    return tuple(board["counts"][name] for name in names)


def session_of(board: dict[str, Any], session_id: str) -> dict[str, Any]:
    return next(s for s in board["sessions"] if s["session_id"] == session_id)


async def test_bx6_the_board_counts_present_missing_collected_and_students_per_teacher(
    pg_url: str, topic_prefix: str
) -> None:
    async with school_at(pg_url, topic_prefix) as (clock, client):
        runtime = runtime_of(client)
        move_to(clock, at(15, 40))
        await grant_leave(client, "gang", "t-class-a", None)
        move_to(clock, at(16, 2))
        for student in ("ming", "hong", "li"):
            await check_in(client, runtime, student)
        early = (await client.get(f"/attendance/v1/board/sessions/{HOMEWORK_SESSION}", headers=SERVICE)).json()
        assert counts(early, "expected", "present", "on_leave", "awaiting", "missing") == (5, 3, 1, 1, 0)
        move_to(clock, at(16, 30))
        await check_out(client, runtime, "hong")  # flexible early departure (AT-4)
        board = (await client.get("/attendance/v1/board/school", headers=ADMIN)).json()
        homework = session_of(board, HOMEWORK_SESSION)
        assert counts(homework, "expected", "present", "on_leave", "awaiting", "missing", "collected") == (
            5,
            2,
            1,
            0,
            1,
            1,
        )  # 小红 went home early, 小刚 is on leave, 小芳 is missing
        assert counts(homework, "teachers", "students_per_teacher", "ratio_limit", "over_ratio") == (1, 2.0, 30, False)
        assert counts(session_of(board, CHESS_SESSION), "expected", "present") == (1, 1)
        assert (board["totals"]["expected"], board["totals"]["present"], board["totals"]["collected"]) == (5, 2, 1)
        assert board["day"] == DAY.isoformat()

        tighter = PolicySettings(absence_after_minutes=10, students_per_teacher=1)
        await publish_as_producer(
            client.prefix,
            [PolicyProfileSet(school_id="s1", effective_from=date(2026, 9, 1), version=2, settings=tighter)],
            school_id="s1",
        )

        async def over() -> bool:
            board = (await client.get(f"/attendance/v1/board/sessions/{HOMEWORK_SESSION}", headers=DUTY)).json()
            return bool(board["counts"]["over_ratio"]) and board["counts"]["ratio_limit"] == 1

        await eventually(over)
        patrol = {"teacher_present": False, "activity_running": True, "rules_followed": True}
        assert (
            await client.post(f"/attendance/v1/sessions/{CHESS_SESSION}/patrols", json=patrol, headers=DUTY)
        ).status_code == 201
        chess = (await client.get(f"/attendance/v1/board/sessions/{CHESS_SESSION}", headers=ADMIN)).json()
        assert counts(chess, "teachers", "students_per_teacher", "over_ratio") == (0, None, True)  # nobody on duty
        first = await client.get("/attendance/v1/board/school", params={"limit": 1}, headers=ADMIN)
        second = await client.get(
            "/attendance/v1/board/school", params={"limit": 1, "after": first.json()["next"]}, headers=ADMIN
        )
        ids = [s["session_id"] for s in first.json()["sessions"] + second.json()["sessions"]]
        assert ids == sorted([CHESS_SESSION, HOMEWORK_SESSION])
        assert second.json()["next"] is None


async def test_bx6_a_district_operator_sees_the_districts_schools_and_nobody_sees_another_schools_board(
    pg_url: str, topic_prefix: str
) -> None:
    async with school_at(pg_url, topic_prefix) as (clock, client):
        runtime = runtime_of(client)
        for school_id, district in (("s1", "d1"), ("s2", "d1"), ("s9", "d2")):
            registered = SchoolRegistered(school_id=school_id, district_id=district, name=school_id)
            await publish_as_producer(topic_prefix, [registered], school_id=school_id)

        async def districts_known() -> bool:
            async with runtime.db.sessions() as session:
                return len((await session.execute(select(SchoolDistrict.school_id))).all()) == 3

        await eventually(districts_known)  # the consumer routes SchoolRegistered to the board
        move_to(clock, at(16, 5))
        await check_in(client, runtime, "ming")
        operator = auth(Role.DISTRICT_OPERATOR, "d1-ops", district="d1")
        district = (await client.get("/attendance/v1/board/district", headers=operator)).json()
        assert [(s["school_id"], s["sessions"], s["totals"]["present"]) for s in district["schools"]] == [
            ("s1", 2, 1),  # 小明, expected in homework and in the chess club, counts once
            ("s2", 0, 0),
        ]
        paged = await client.get("/attendance/v1/board/district", params={"limit": 1}, headers=operator)
        assert (len(paged.json()["schools"]), paged.json()["next"]) == (1, "s1")
        other_district = auth(Role.DISTRICT_OPERATOR, "d2-ops", district="d2")
        assert [
            s["school_id"]
            for s in (await client.get("/attendance/v1/board/district", headers=other_district)).json()["schools"]
        ] == ["s9"]

        s2_admin = auth(Role.SCHOOL_ADMIN, "s2-office", school="s2")
        s2_board = (await client.get("/attendance/v1/board/school", headers=s2_admin)).json()
        assert (s2_board["school_id"], s2_board["sessions"], s2_board["totals"]["expected"]) == ("s2", [], 0)
        for headers in (s2_admin, auth(Role.SERVICE_TEACHER, "t-service", school="s2")):
            assert await status(client, HOMEWORK_BOARD, headers) == 404
        assert await status(client, HOMEWORK_BOARD, CHESS_TEACHER) == 403
        guardian = auth(Role.GUARDIAN, "g-ming", school="s1")
        for headers in (SERVICE, guardian, KIOSK, operator):
            assert await status(client, SCHOOL_BOARD, headers) == 403
            assert await status(client, f"{SCHOOL_BOARD}/stream", headers) == 403
        for headers in (ADMIN, auth(Role.DISTRICT_OPERATOR, "d1-ops", school="s1", district="d1")):
            assert await status(client, "/attendance/v1/board/district", headers) == 403
            assert await status(client, "/attendance/v1/board/district/stream", headers) == 403
        for headers in (guardian, KIOSK):
            assert await status(client, HOMEWORK_BOARD, headers) == 403
            assert await status(client, f"{HOMEWORK_BOARD}/stream", headers) == 403
        assert await status(client, f"{HOMEWORK_BOARD}/stream", s2_admin) == 404


@contextlib.asynccontextmanager
async def served(pg_url: str, prefix: str, clock: FakeClock) -> AsyncIterator[tuple[str, Runtime]]:
    """Attendance with the shared school, under a real uvicorn server (streams need one) on a fake clock."""
    await publish_as_producer(prefix, world_events(), school_id="s1")
    app = DEFINITION.create_app(stack_settings(DEFINITION, pg_url, prefix, timer_tick_seconds=30.0), clock=clock)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, access_log=False))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not task.done(), "server failed to start"
            await asyncio.sleep(0.02)
        runtime: Runtime = app.state.runtime
        await eventually(lambda: _loaded(runtime))
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}", runtime
    finally:
        server.should_exit = True
        await task


async def _loaded(runtime: Runtime) -> bool:
    return await roster_size(runtime) == 6 and await programs_known(runtime) == 2


async def boards(lines: AsyncIterator[str]) -> AsyncIterator[dict[str, Any]]:
    """The `board` events of a server-sent event stream, parsed."""
    async for line in lines:
        if line.startswith("data: "):
            yield orjson.loads(line.removeprefix("data: "))


async def test_bx6_the_board_is_pushed_live_when_it_changes(pg_url: str, topic_prefix: str) -> None:
    clock = FakeClock(at(16, 5))
    async with (
        served(pg_url, topic_prefix, clock) as (base, runtime),
        httpx.AsyncClient(base_url=base, timeout=30) as client,
        client.stream("GET", f"{SCHOOL_BOARD}/stream", params={"interval": 60}, headers=ADMIN) as school_stream,
        client.stream("GET", f"{CHESS_BOARD}/stream", params={"interval": 60}, headers=CHESS_TEACHER) as chess_stream,
    ):
        assert school_stream.headers["content-type"].startswith("text/event-stream")
        school_boards, chess_boards = boards(school_stream.aiter_lines()), boards(chess_stream.aiter_lines())
        async with asyncio.timeout(30):
            assert (await anext(school_boards))["totals"]["present"] == 0
            assert (await anext(chess_boards))["counts"]["teachers"] == 1
            await check_in(client, runtime, "ming")
            # a 60 s interval: only the check-in's ping can bring it (BX-6) within the 30 s timeout; another ping
            # (the roster's reference events still landing) may wake the stream once before it
            while (await anext(school_boards))["totals"]["present"] != 1:
                pass
            patrol = {"teacher_present": False, "activity_running": True, "rules_followed": True}
            response = await client.post(f"/attendance/v1/sessions/{CHESS_SESSION}/patrols", json=patrol, headers=DUTY)
            assert response.status_code == 201
            # a 60 s interval: only the patrol's ping can bring it within the timeout (the check-in's may come first)
            while counts(await anext(chess_boards), "teachers", "present", "over_ratio") != (0, 1, True):
                pass
            guardian = auth(Role.GUARDIAN, "g-ming", school="s1")
            out = {"student_id": "ming", "occurred_at": runtime.clock.now().isoformat()}
            response = await client.post("/attendance/v1/check-outs", json=out, headers=guardian)
            assert response.status_code == 201, response.text
            # the patrol's ping may show first; the check-out's own ping must follow before the 30 s timeout
            while (await anext(school_boards))["totals"]["collected"] != 1:
                pass
        assert await status(client, f"{CHESS_BOARD}/stream", SERVICE) == 403
