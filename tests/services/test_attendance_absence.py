"""Leave and unexcused absence through an afternoon on the real stack (AT-3): FakeClock drives the timers."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import httpx
import pytest

from chassis.app import Runtime
from chassis.auth import Role
from chassis.clock import SCHOOL_TZ, FakeClock
from contracts.enrollment import PolicyProfileSet
from contracts.policy import PolicySettings
from services.attendance.absence.timers import ABSENCE_CHECK
from services.attendance.timers import store as timers
from services.attendance.timers.timers import fire_due
from tests.conftest import ServiceClient, auth, eventually
from tests.services.conftest import publish_as_producer, read_topic
from tests.services.test_attendance_reference import CHESS, CLASS_A, CLASS_B, DAY, HOMEWORK, school

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

HOMEWORK_SESSION = f"{HOMEWORK}:{DAY}"
CHESS_SESSION = f"{CHESS}:{DAY}"
ADMIN = auth(Role.SCHOOL_ADMIN, "admin-1", school="s1")
TEACHER_A = auth(Role.CLASS_TEACHER, "t-class-a", school="s1")
TEACHER_B = auth(Role.CLASS_TEACHER, "t-class-b", school="s1")
SERVICE = auth(Role.SERVICE_TEACHER, "t-service", school="s1")
CHESS_TEACHER = auth(Role.SERVICE_TEACHER, "t-chess", school="s1")
KIOSK = auth(Role.KIOSK, "s1-gate", school="s1")
OTHER_ADMIN = auth(Role.SCHOOL_ADMIN, "admin-2", school="s2")
OTHER_TEACHER = auth(Role.CLASS_TEACHER, "t-class-a", school="s2")
OTHER_SERVICE = auth(Role.SERVICE_TEACHER, "t-service", school="s2")


def guardian(student: str, school_id: str = "s1") -> dict[str, str]:
    return auth(Role.GUARDIAN, f"g-{student}", school=school_id)


def local(hour: int, minute: int) -> datetime:
    return datetime(DAY.year, DAY.month, DAY.day, hour, minute, tzinfo=SCHOOL_TZ)


async def ask_leave(client: ServiceClient, student: str, **extra: object) -> httpx.Response:
    body = {"student_id": student, "day": DAY.isoformat(), "reason": "看病"} | extra
    return await client.post("/attendance/v1/leave-requests", json=body, headers=guardian(student))


async def test_an_afternoon_of_leave_and_one_unexcused_absence(pg_url: str, topic_prefix: str) -> None:
    clock = FakeClock(local(13, 0))
    async with school(pg_url, topic_prefix, clock) as client:
        runtime: Runtime = client.runtime
        # AT-3: hong's guardian asks for the day, li's for the homework session.
        assert (await ask_leave(client, "hong", note="typo")).status_code == 422  # unknown field: nothing stored
        hong = await client.post(
            "/attendance/v1/leave-requests",
            json={"student_id": "hong", "day": DAY.isoformat(), "reason": "看病"},
            headers={**guardian("hong"), "Idempotency-Key": "hong-1"},
        )
        retry = await client.post(
            "/attendance/v1/leave-requests",
            json={"student_id": "hong", "day": DAY.isoformat(), "reason": "看病"},
            headers={**guardian("hong"), "Idempotency-Key": "hong-1"},
        )
        assert hong.status_code == 201
        assert retry.json()["leave_id"] == hong.json()["leave_id"]  # a retry never asks twice
        clock.advance(timedelta(minutes=1))
        li = await ask_leave(client, "li", session_id=HOMEWORK_SESSION)
        assert li.status_code == 201
        assert li.json()["class_id"] == CLASS_B
        assert li.json()["status"] == "requested"

        # Nobody asks for another family's child, another school's child, a past day or a session not theirs.
        assert (
            await client.post(
                "/attendance/v1/leave-requests",
                json={"student_id": "hong", "day": DAY.isoformat(), "reason": "x"},
                headers=guardian("ming"),
            )
        ).status_code == 404
        assert (
            await client.post(
                "/attendance/v1/leave-requests",
                json={"student_id": "hong", "day": DAY.isoformat(), "reason": "x"},
                headers=auth(Role.GUARDIAN, "g-hong", school="s2"),
            )
        ).status_code == 404
        assert (await ask_leave(client, "gang", day=(DAY - timedelta(days=1)).isoformat())).status_code == 422
        assert (await ask_leave(client, "gang", session_id=CHESS_SESSION)).status_code == 422  # not in chess
        assert (
            await client.post(
                "/attendance/v1/leave-requests",
                json={"student_id": "hong", "day": DAY.isoformat(), "reason": "x"},
                headers=TEACHER_A,
            )
        ).status_code == 403

        # The class teacher of the child's class decides; another class's or school's teacher cannot.
        hong_id, li_id = hong.json()["leave_id"], li.json()["leave_id"]
        approve = f"/attendance/v1/leave-requests/{hong_id}/approve"
        assert (await client.post(approve, json={}, headers=TEACHER_B)).status_code == 403
        assert (await client.post(approve, json={}, headers=OTHER_TEACHER)).status_code == 404
        assert (await client.post(approve, json={}, headers=guardian("hong"))).status_code == 403
        approved = await client.post(approve, json={"note": "已核实"}, headers=TEACHER_A)
        assert approved.status_code == 200
        assert approved.json()["status"] == "approved"
        assert approved.json()["decided_by"] == "t-class-a"
        assert (await client.post(approve, json={}, headers=TEACHER_A)).status_code == 409  # once
        refuse = f"/attendance/v1/leave-requests/{li_id}/refuse"
        assert (await client.post(refuse, json={}, headers=TEACHER_B)).status_code == 422  # a refusal says why
        assert (await client.post(refuse, json={"note": "x"}, headers=TEACHER_A)).status_code == 403
        assert (await client.post(refuse, json={"note": "x"}, headers=OTHER_TEACHER)).status_code == 404
        assert (await client.post(refuse, json={"note": "请家长来电"}, headers=TEACHER_B)).json()["status"] == "refused"

        # The service teacher sees the leave of their session; others see only what is theirs.
        leave = "/attendance/v1/leave-requests"
        seen = await client.get(leave, params={"session_id": HOMEWORK_SESSION}, headers=SERVICE)
        assert [(x["student_id"], x["status"]) for x in seen.json()["items"]] == [
            ("hong", "approved"),
            ("li", "refused"),
        ]
        assert (
            await client.get(leave, params={"session_id": HOMEWORK_SESSION}, headers=CHESS_TEACHER)
        ).status_code == 403
        assert (await client.get(leave, headers=SERVICE)).status_code == 403
        assert (
            await client.get(leave, params={"session_id": HOMEWORK_SESSION}, headers=OTHER_SERVICE)
        ).status_code == 404
        assert [x["student_id"] for x in (await client.get(leave, headers=guardian("hong"))).json()["items"]] == [
            "hong"
        ]
        assert (await client.get(leave, headers=guardian("ming"))).json()["items"] == []
        assert [x["student_id"] for x in (await client.get(leave, headers=TEACHER_B)).json()["items"]] == ["li"]
        assert (await client.get(leave, headers=OTHER_ADMIN)).json()["items"] == []
        first = (await client.get(leave, params={"limit": 1}, headers=ADMIN)).json()
        rest = (await client.get(leave, params={"after": first["next"]}, headers=ADMIN)).json()
        assert [x["student_id"] for x in first["items"] + rest["items"]] == ["hong", "li"]

        # Ming and fang arrive at the gate before four; gang does not; hong is on leave; li's leave was refused.
        clock.advance(local(15, 56) - clock.now())
        for student in ("ming", "fang"):
            body = {
                "student_id": student,
                "occurred_at": local(15, 55).isoformat(),
                "device_id": "s1-gate",
                "method": "card",
            }
            assert (await client.post("/attendance/v1/check-ins", json=body, headers=KIOSK)).status_code == 201
        clock.advance(local(16, 9) - clock.now())
        await fire_due(runtime)
        assert (await client.get("/attendance/v1/absences", headers=ADMIN)).json()["items"] == []
        clock.advance(timedelta(minutes=2))  # AT-3: 10 minutes after the 16:00 start
        await fire_due(runtime)
        await fire_due(runtime)  # a second pass opens nothing twice
        cases = (await client.get("/attendance/v1/absences", headers=ADMIN)).json()["items"]
        assert [(c["student_id"], c["session_id"]) for c in cases] == [
            ("gang", HOMEWORK_SESSION),
            ("li", HOMEWORK_SESSION),
        ]

        # Open cases per class teacher, per session for its teacher; nobody else's.
        absences = "/attendance/v1/absences"
        assert [c["student_id"] for c in (await client.get(absences, headers=TEACHER_A)).json()["items"]] == ["gang"]
        assert [c["student_id"] for c in (await client.get(absences, headers=TEACHER_B)).json()["items"]] == ["li"]
        assert (await client.get(absences, params={"class_id": CLASS_B}, headers=TEACHER_A)).status_code == 403
        assert (await client.get(absences, params={"class_id": CLASS_A}, headers=ADMIN)).json()["items"][0][
            "student_id"
        ] == "gang"
        mine = await client.get(absences, params={"session_id": HOMEWORK_SESSION}, headers=SERVICE)
        assert len(mine.json()["items"]) == 2
        assert (
            await client.get(absences, params={"session_id": HOMEWORK_SESSION}, headers=CHESS_TEACHER)
        ).status_code == 403
        assert (await client.get(absences, headers=OTHER_ADMIN)).json()["items"] == []
        assert (await client.get(absences, headers=guardian("gang"))).status_code == 403

        # AT-3: the case stays open until someone responsible resolves it with a note.
        gang_case = cases[0]["case_id"]
        resolve = f"/attendance/v1/absences/{gang_case}/resolve"
        assert (await client.post(resolve, json={"note": "x"}, headers=TEACHER_B)).status_code == 403
        assert (await client.post(resolve, json={"note": "x"}, headers=OTHER_ADMIN)).status_code == 404
        assert (await client.post(resolve, json={"note": "x"}, headers=CHESS_TEACHER)).status_code == 403
        assert (await client.post(resolve, json={}, headers=TEACHER_A)).status_code == 422
        done = await client.post(resolve, json={"note": "家长已接回, 忘记请假"}, headers=TEACHER_A)
        assert done.status_code == 200
        assert done.json()["resolved_by"] == "t-class-a"
        assert (await client.post(resolve, json={"note": "again"}, headers=TEACHER_A)).status_code == 409
        still_open = (await client.get(absences, headers=ADMIN)).json()["items"]
        assert [c["student_id"] for c in still_open] == ["li"]
        resolved = (await client.get(absences, params={"status": "resolved"}, headers=ADMIN)).json()["items"]
        assert [c["note"] for c in resolved] == ["家长已接回, 忘记请假"]

        published = await read_topic(topic_prefix, "attendance.events", count=9)
    by_type = Counter(e.type for e in published)
    assert by_type == {
        "attendance.leave_requested.v1": 2,
        "attendance.leave_approved.v1": 1,
        "attendance.leave_refused.v1": 1,
        "attendance.student_checked_in.v1": 2,
        "attendance.unexcused_absence.v1": 2,
        "attendance.absence_resolved.v1": 1,
    }
    for envelope in published:  # every student event is keyed by its student
        assert envelope.subject == envelope.data["student_id"]
        assert envelope.schoolid == "s1"
    alerts = [e.data for e in published if e.type == "attendance.unexcused_absence.v1"]
    assert sorted((a["student_id"], a["class_teacher_id"], a["urgent"]) for a in alerts) == [
        ("gang", "t-class-a", True),
        ("li", "t-class-b", True),
    ]


async def test_a_policy_change_mid_day_moves_the_sessions_absence_check(pg_url: str, topic_prefix: str) -> None:
    """AT-3: N minutes is the policy in force that day; a profile published at noon moves the one timer."""
    clock = FakeClock(local(12, 0))
    async with school(pg_url, topic_prefix, clock) as client:
        runtime: Runtime = client.runtime

        async def due_at() -> datetime | None:
            async with runtime.db.sessions() as session:
                timer = await timers.timer(session, kind=ABSENCE_CHECK, key=HOMEWORK_SESSION)
            return timer.due_at if timer is not None else None

        await fire_due(runtime)
        assert await due_at() == local(16, 10)
        later = PolicyProfileSet(
            school_id="s1", effective_from=DAY, version=2, settings=PolicySettings(absence_after_minutes=30)
        )
        await publish_as_producer(topic_prefix, [later], school_id="s1")

        async def moved() -> bool:
            await fire_due(runtime)
            return await due_at() == local(16, 30)

        await eventually(moved)
        clock.advance(local(16, 20) - clock.now())
        await fire_due(runtime)
        assert (await client.get("/attendance/v1/absences", headers=ADMIN)).json()["items"] == []
        clock.advance(timedelta(minutes=11))
        await fire_due(runtime)
        cases = await client.get("/attendance/v1/absences", params={"session_id": HOMEWORK_SESSION}, headers=ADMIN)
        assert [c["student_id"] for c in cases.json()["items"]] == ["fang", "gang", "hong", "li", "ming"]
