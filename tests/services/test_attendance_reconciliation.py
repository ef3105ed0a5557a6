"""Roster reconciliation on the real stack (BX-4): a child present in regular classes but missing from their
after-school session is alerted once, by the session's timer or at once when the register comes in late."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from chassis.auth import Role
from contracts.enrollment import PolicyProfileSet
from contracts.policy import PolicySettings
from services.attendance.reconciliation import store
from services.attendance.reference.store import policy_on
from services.attendance.timers.timers import fire_due
from tests.conftest import ServiceClient, auth, eventually
from tests.services.conftest import publish_as_producer
from tests.services.test_attendance_board import grant_leave
from tests.services.test_attendance_reference import CHESS, CLASS_A, CLASS_B, DAY, HOMEWORK, school_at
from tests.services.test_attendance_staff import at, move_to, read_types, rows, runtime_of

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

MISSING = ("attendance.student_missing_from_session.v1",)
HOMEWORK_SESSION, CHESS_SESSION = (f"{p}:{DAY.isoformat()}" for p in (HOMEWORK, CHESS))
ADMIN = auth(Role.SCHOOL_ADMIN, "s1-office", school="s1")
TEACHER_A = auth(Role.CLASS_TEACHER, "t-class-a", school="s1")
TEACHER_B = auth(Role.CLASS_TEACHER, "t-class-b", school="s1")
KIOSK = auth(Role.KIOSK, "s1-gate", school="s1")
REGISTER = "/attendance/v1/school-days/{day}/classes/{class_id}/register"
CSV = f"/attendance/v1/school-days/{DAY.isoformat()}/register.csv"
ALERTS, TODAY = "/attendance/v1/missing-from-session", {"date": DAY.isoformat()}


def register(class_id: str) -> str:
    return REGISTER.format(day=DAY.isoformat(), class_id=class_id)


def marks(**statuses: str) -> dict[str, Any]:
    return {"marks": [{"student_id": s, "status": status} for s, status in statuses.items()]}


async def check_in(client: ServiceClient, student_id: str) -> None:
    body = {
        "student_id": student_id,
        "occurred_at": runtime_of(client).clock.now().isoformat(),
        "device_id": "s1-gate",
        "method": "card",
    }
    response = await client.post("/attendance/v1/check-ins", json=body, headers=KIOSK)
    assert response.status_code == 201, response.text


def alerts(events: list[Any]) -> list[tuple[str, str, str | None]]:
    return sorted((e.subject, e.data["session_id"], e.data["class_id"]) for e in events)


async def test_bx4_children_at_school_but_not_in_their_session_are_alerted_once_by_the_sessions_check(
    pg_url: str, topic_prefix: str
) -> None:
    async with school_at(pg_url, topic_prefix) as (clock, client):
        move_to(clock, at(15, 30))
        await grant_leave(client, "gang", "t-class-a", HOMEWORK_SESSION)  # at school, excused from homework
        class_a = marks(ming="present", hong="present", gang="present")
        saved = await client.put(register(CLASS_A), json=class_a, headers=TEACHER_A)
        assert saved.status_code == 200
        assert (saved.json()["present"], saved.json()["absent"], saved.json()["alerts_raised"]) == (3, 0, 0)
        upload = "class_id,student_id,status\ns1-g3-c2,li,出勤\ns1-g3-c2,fang,present\n"
        csv = await client.post(CSV, content=upload.encode(), headers={**ADMIN, "Content-Type": "text/csv"})
        assert (csv.status_code, csv.json()["classes"], csv.json()["present"]) == (200, [CLASS_B], 2)
        move_to(clock, at(16, 2))
        await check_in(client, "hong")
        await check_in(client, "li")
        move_to(clock, at(16, 9))
        await fire_due(runtime_of(client))  # not yet: the policy says 10 minutes
        move_to(clock, at(16, 11))
        await fire_due(runtime_of(client))
        await fire_due(runtime_of(client))
        listed = await client.get(
            "/attendance/v1/missing-from-session", params={"date": DAY.isoformat()}, headers=ADMIN
        )
        events = await read_types(client.prefix, MISSING, count=3)
    # 小明 is expected in homework and in the chess club, 小芳 in homework; 小刚 has leave from homework
    assert alerts(events) == [
        ("fang", HOMEWORK_SESSION, CLASS_B),
        ("ming", CHESS_SESSION, CLASS_A),
        ("ming", HOMEWORK_SESSION, CLASS_A),
    ]
    assert {datetime.fromisoformat(e.data["due_at"]) for e in events} == {at(16, 10)}
    teachers = {CLASS_A: "t-class-a", CLASS_B: "t-class-b"}  # named, so notify tells the class teacher (issue 10)
    assert all(e.data["class_teacher_id"] == teachers[e.data["class_id"]] for e in events)
    assert [(a["student_id"], a["session_id"]) for a in listed.json()["items"]] == [
        ("ming", CHESS_SESSION),
        ("fang", HOMEWORK_SESSION),
        ("ming", HOMEWORK_SESSION),
    ]


async def test_bx4_a_register_arriving_after_the_check_alerts_at_once_and_a_correction_changes_nothing_twice(
    pg_url: str, topic_prefix: str
) -> None:
    async with school_at(pg_url, topic_prefix) as (clock, client):
        move_to(clock, at(16, 20))
        await fire_due(runtime_of(client))  # no register yet: no check was even scheduled
        await check_in(client, "li")
        late = await client.put(register(CLASS_B), json=marks(li="present", fang="present"), headers=TEACHER_B)
        assert late.json()["alerts_raised"] == 1
        again = await client.put(register(CLASS_B), json=marks(li="present", fang="present"), headers=TEACHER_B)
        assert again.json()["alerts_raised"] == 0
        corrected = await client.put(register(CLASS_B), json=marks(fang="absent"), headers=TEACHER_B)
        assert corrected.status_code == 200
        shown = await client.get(register(CLASS_B), headers=TEACHER_B)
        events = await read_types(client.prefix, MISSING, count=1)
    assert alerts(events) == [("fang", HOMEWORK_SESSION, CLASS_B)]
    assert [(m["student_id"], m["status"]) for m in shown.json()["items"]] == [("fang", "absent"), ("li", "present")]


async def test_bx4_a_policy_change_after_the_registers_moves_the_sessions_check(pg_url: str, topic_prefix: str) -> None:
    async with school_at(pg_url, topic_prefix) as (clock, client):
        move_to(clock, at(15, 30))
        await client.put(register(CLASS_B), json=marks(li="present", fang="present"), headers=TEACHER_B)
        later = PolicySettings(absence_after_minutes=20)
        await publish_as_producer(
            topic_prefix,
            [PolicyProfileSet(school_id="s1", effective_from=DAY, version=2, settings=later)],
            school_id="s1",
        )

        async def moved() -> bool:
            async with runtime_of(client).db.sessions() as session:
                return (await policy_on(session, school_id="s1", day=DAY)).absence_after_minutes == 20

        await eventually(moved)
        move_to(clock, at(16, 2))
        await check_in(client, "li")
        move_to(clock, at(16, 11))
        await fire_due(runtime_of(client))  # the 16:10 check finds the policy now says 16:20
        assert (await client.get(ALERTS, params=TODAY, headers=ADMIN)).json()["items"] == []
        move_to(clock, at(16, 21))
        await fire_due(runtime_of(client))
        await fire_due(runtime_of(client))
        events = await read_types(client.prefix, MISSING, count=1)
    assert alerts(events) == [("fang", HOMEWORK_SESSION, CLASS_B)]
    assert {datetime.fromisoformat(e.data["due_at"]) for e in events} == {at(16, 20)}


async def test_bx4_a_register_with_errors_is_refused_row_by_row_and_saves_nothing(
    pg_url: str, topic_prefix: str
) -> None:
    async with school_at(pg_url, topic_prefix) as (_clock, client):
        upload = "class_id,student_id,status\ns1-g3-c1,ming,present\ns1-g3-c1,hong,迟到\ns1-g3-c1,ming,absent\n"
        bad = await client.post(CSV, content=upload.encode(), headers={**ADMIN, "Content-Type": "text/csv"})
        assert bad.status_code == 422
        assert bad.json()["errors"] == [
            {"row": 2, "error": "status '迟到' is not present or absent"},
            {"row": 3, "error": "student 'ming' is listed twice"},
        ]
        wrong_class = "class_id,student_id,status\ns1-g3-c1,ming,present\ns1-g3-c1,li,present\n"
        refused = await client.post(CSV, content=wrong_class.encode(), headers={**ADMIN, "Content-Type": "text/csv"})
        assert refused.json()["errors"] == [{"row": 2, "error": "student 'li' is not in class 's1-g3-c1'"}]
        stranger = await client.put(register(CLASS_A), json=marks(**{"s2-wei": "present"}), headers=TEACHER_A)
        assert stranger.status_code == 422
        tomorrow = REGISTER.format(day=(DAY + timedelta(days=1)).isoformat(), class_id=CLASS_A)
        assert (await client.put(tomorrow, json=marks(ming="present"), headers=TEACHER_A)).status_code == 422
        assert await rows(client, store.SchoolDayMarkRow) == 0


async def test_bx4_another_school_another_class_teacher_and_a_guardian_get_nothing(
    pg_url: str, topic_prefix: str
) -> None:
    csv_body = b"class_id,student_id,status\ns1-g3-c1,ming,present\n"
    async with school_at(pg_url, topic_prefix) as (clock, client):
        move_to(clock, at(16, 30))
        for headers in (
            auth(Role.SCHOOL_ADMIN, "s2-office", school="s2"),
            auth(Role.CLASS_TEACHER, "t-class-a", school="s2"),
        ):
            assert (await client.put(register(CLASS_A), json=marks(ming="present"), headers=headers)).status_code == 404
            assert (await client.get(register(CLASS_A), headers=headers)).status_code == 404
            csv = await client.post(CSV, content=csv_body, headers={**headers, "Content-Type": "text/csv"})
            assert csv.status_code == 404
        other_class = await client.put(register(CLASS_A), json=marks(ming="present"), headers=TEACHER_B)
        assert other_class.status_code == 403
        csv = await client.post(CSV, content=csv_body, headers={**TEACHER_B, "Content-Type": "text/csv"})
        assert csv.status_code == 403
        assert (await client.get(register(CLASS_A), headers=TEACHER_B)).status_code == 403
        for role, subject in ((Role.GUARDIAN, "g-ming"), (Role.SERVICE_TEACHER, "t-service"), (Role.KIOSK, "s1-gate")):
            headers = auth(role, subject, school="s1")
            assert (await client.put(register(CLASS_A), json=marks(ming="present"), headers=headers)).status_code == 403
            listed = await client.get(
                "/attendance/v1/missing-from-session", params={"date": DAY.isoformat()}, headers=headers
            )
            assert listed.status_code == 403
        assert await rows(client, store.SchoolDayMarkRow) == 0
        ok = await client.put(register(CLASS_A), json=marks(ming="present"), headers=TEACHER_A)
        assert ok.json()["alerts_raised"] == 2  # homework and chess are both past their check
        s2 = auth(Role.SCHOOL_ADMIN, "s2-office", school="s2")
        other = await client.get(ALERTS, params=TODAY, headers=s2)
        assert other.json()["items"] == []
