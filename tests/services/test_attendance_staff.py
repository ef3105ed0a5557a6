"""Staff attendance on the real stack (AT-9, AT-10, QA-1): sign-in, activity records, patrols and incidents are
stored once and published as staff events keyed by teacher, for the stipend to pay from (ST-1, ST-3)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Collection
from datetime import datetime, time
from typing import Any

import pytest
from sqlalchemy import func, select

from chassis.app import Runtime
from chassis.auth import Role
from chassis.bus.kafka import KafkaBus
from chassis.clock import SCHOOL_TZ, FakeClock
from contracts.enrollment import ProgramKind
from contracts.envelope import Envelope
from services.attendance.staff import store
from services.attendance.timers.timers import fire_due
from tests.conftest import KAFKA, ServiceClient, auth, eventually
from tests.events import program_scheduled
from tests.services.conftest import publish_as_producer
from tests.services.test_attendance_reference import AT, CHESS, DAY, HOMEWORK, school_at

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

STAFF_TYPES = (
    "attendance.teacher_signed_in.v1",
    "attendance.activity_record_filed.v1",
    "attendance.patrol_finding_recorded.v1",
    "attendance.staff_incident_reported.v1",
)
NOON = "s1-noon"
HOMEWORK_SESSION, CHESS_SESSION, NOON_SESSION = (f"{p}:{DAY.isoformat()}" for p in (HOMEWORK, CHESS, NOON))
SERVICE = auth(Role.SERVICE_TEACHER, "t-service", school="s1")
CHESS_TEACHER = auth(Role.SERVICE_TEACHER, "t-chess", school="s1")
DUTY = auth(Role.DUTY_LEADER, "t-duty", school="s1")
ADMIN = auth(Role.SCHOOL_ADMIN, "s1-office", school="s1")
NOON_CARE = program_scheduled(NOON, ProgramKind.NOON_CARE, name="午托", teacher_ids=["t-noon"], starts_at=time(12, 0))


async def read_types(
    prefix: str, types: Collection[str], *, count: int, timeout: float = 30.0, quiet: float = 1.0
) -> list[Envelope]:
    """Read the envelopes of `types` on `attendance.events` until `count` arrived, then make sure no more do
    (other slices' events on the same topic are skipped)."""
    bus = KafkaBus(KAFKA, prefix=prefix)
    consumer = bus.consumer(f"reader-{uuid.uuid4().hex[:8]}", ["attendance.events"])
    await consumer.start()
    found: list[Envelope] = []
    loop = asyncio.get_running_loop()

    async def poll() -> None:
        for records in (await consumer.getmany(timeout=0.3, max_records=500)).values():
            envelopes = (Envelope.from_bytes(r.value) for r in records)
            found.extend(e for e in envelopes if e.type in types)

    try:
        deadline = loop.time() + timeout
        while len(found) < count and loop.time() < deadline:
            await poll()
        quiet_until = loop.time() + quiet
        while loop.time() < quiet_until:
            await poll()
    finally:
        await consumer.stop()
    return found


def at(hour: int, minute: int) -> datetime:
    """A school-local time on the test day."""
    return datetime(DAY.year, DAY.month, DAY.day, hour, minute, tzinfo=SCHOOL_TZ)


def move_to(clock: FakeClock, moment: datetime) -> None:
    clock.advance(moment - clock.now())


def runtime_of(client: ServiceClient) -> Runtime:
    runtime: Runtime = client.runtime
    return runtime


async def rows(client: ServiceClient, table: Any) -> int:
    async with runtime_of(client).db.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(table))).scalar_one())


async def test_at9_sign_ins_are_judged_by_the_clock_and_published_once_per_teacher(
    pg_url: str, topic_prefix: str
) -> None:
    async with school_at(pg_url, topic_prefix) as (clock, client):
        move_to(clock, at(15, 55))
        first = await client.post(f"/attendance/v1/sessions/{HOMEWORK_SESSION}/teacher-sign-in", headers=SERVICE)
        again = await client.post(f"/attendance/v1/sessions/{HOMEWORK_SESSION}/teacher-sign-in", headers=SERVICE)
        assert (first.status_code, again.status_code) == (201, 200)
        assert first.json()["status"] == "on_time"
        assert again.json() == first.json()
        move_to(clock, at(16, 7))
        late = await client.post(f"/attendance/v1/sessions/{CHESS_SESSION}/teacher-sign-in", headers=CHESS_TEACHER)
        assert late.status_code == 201
        assert (late.json()["status"], late.json()["minutes_late"]) == ("late", 7)
        events = await read_types(client.prefix, STAFF_TYPES, count=2)
    assert sorted((e.subject, e.data["status"], e.data["minutes_late"], e.schoolid) for e in events) == [
        ("t-chess", "late", 7, "s1"),
        ("t-service", "on_time", 0, "s1"),
    ]
    homework = next(e.data for e in events if e.subject == "t-service")
    assert homework["session_id"] == HOMEWORK_SESSION
    assert (homework["session_kind"], homework["half_session"], homework["decided_by"]) == (
        "homework_supervision",
        False,
        "teacher",
    )


async def test_at9_a_teacher_not_signed_in_by_the_session_end_is_absent_once(pg_url: str, topic_prefix: str) -> None:
    async with school_at(pg_url, topic_prefix) as (clock, client):
        runtime = runtime_of(client)
        move_to(clock, at(15, 58))
        assert (
            await client.post(f"/attendance/v1/sessions/{HOMEWORK_SESSION}/teacher-sign-in", headers=SERVICE)
        ).status_code == 201
        move_to(clock, at(16, 41))  # the chess club (one class-hour) ended at 16:40
        await fire_due(runtime)
        await fire_due(runtime)
        too_late = await client.post(f"/attendance/v1/sessions/{CHESS_SESSION}/teacher-sign-in", headers=CHESS_TEACHER)
        assert too_late.status_code == 409
        assert too_late.json()["rule"] == "AT-9"
        move_to(clock, at(17, 30))  # homework ended at 17:20: its teacher signed in, so nothing more
        await fire_due(runtime)
        sheet = await client.get("/attendance/v1/teacher-sign-ins", params={"date": DAY.isoformat()}, headers=ADMIN)
        first_page = await client.get(
            "/attendance/v1/teacher-sign-ins", params={"date": DAY.isoformat(), "limit": 1}, headers=ADMIN
        )
        second_page = await client.get(
            "/attendance/v1/teacher-sign-ins",
            params={"date": DAY.isoformat(), "limit": 1, "after": first_page.json()["next"]},
            headers=ADMIN,
        )
        events = await read_types(client.prefix, STAFF_TYPES, count=2)
    assert [(r["staff_id"], r["status"], r["decided_by"]) for r in sheet.json()["items"]] == [
        ("t-chess", "absent", "deadline"),  # the roll sheet is by session: s1-chess before s1-homework
        ("t-service", "on_time", "teacher"),
    ]
    pages = first_page.json()["items"] + second_page.json()["items"]
    assert pages == sheet.json()["items"]
    assert second_page.json()["next"] is None
    assert sorted((e.subject, e.data["status"], e.data["decided_by"]) for e in events) == [
        ("t-chess", "absent", "deadline"),
        ("t-service", "on_time", "teacher"),
    ]
    absent = next(e.data for e in events if e.subject == "t-chess")
    assert absent["signed_in_at"] is None


async def test_at9_the_activity_record_is_complete_only_with_every_part_and_amendments_are_revisions(
    pg_url: str, topic_prefix: str
) -> None:
    url = f"/attendance/v1/sessions/{HOMEWORK_SESSION}/activity-record"
    async with school_at(pg_url, topic_prefix) as (clock, client):
        early = await client.put(url, json={"place": "101"}, headers=SERVICE)
        assert early.status_code == 422  # 14:00: the session has not started
        move_to(clock, at(17, 0))
        draft = {"place": "101教室", "content": "数学作业辅导", "student_ids": ["ming", "hong"], "effect": " "}
        first = await client.put(url, json=draft, headers=SERVICE)
        assert first.status_code == 201
        assert (first.json()["complete"], first.json()["missing"], first.json()["revision"]) == (
            False,
            ["effect"],
            1,
        )
        done = await client.put(url, json={**draft, "effect": "全部完成并订正"}, headers=SERVICE)
        same = await client.put(url, json={**draft, "effect": "全部完成并订正"}, headers=SERVICE)
        assert (done.status_code, done.json()["complete"], done.json()["revision"]) == (200, True, 2)
        assert same.json()["revision"] == 2  # an identical filing is no new revision
        stranger = await client.put(url, json={**draft, "student_ids": ["ming", "s2-wei"]}, headers=SERVICE)
        assert stranger.status_code == 422
        assert "s2-wei" in stranger.json()["detail"]
        events = await read_types(client.prefix, STAFF_TYPES, count=2)
    assert [(e.subject, e.data["revision"], e.data["complete"], e.data["missing"]) for e in events] == [
        ("t-service", 1, False, ["effect"]),
        ("t-service", 2, True, []),
    ]
    assert events[0].data["record_id"] == events[1].data["record_id"]
    assert events[1].data["student_count"] == 2


async def test_at9_two_first_filings_at_once_become_two_revisions_not_an_error(pg_url: str, topic_prefix: str) -> None:
    url = f"/attendance/v1/sessions/{CHESS_SESSION}/activity-record"
    async with school_at(pg_url, topic_prefix) as (clock, client):
        move_to(clock, at(16, 30))
        bodies = [{"place": "棋室", "content": content, "student_ids": ["ming"], "effect": "好"} for content in "AB"]
        answers = await asyncio.gather(*(client.put(url, json=b, headers=CHESS_TEACHER) for b in bodies))
        assert sorted(a.status_code for a in answers) == [200, 201]
        assert sorted(a.json()["revision"] for a in answers) == [1, 2]
        events = await read_types(client.prefix, STAFF_TYPES, count=2)
    assert [e.data["revision"] for e in events] == [1, 2]
    assert len({e.data["record_id"] for e in events}) == 1


async def test_at10_qa1_a_patrol_deducts_per_finding_and_finding_no_teacher_marks_them_absent(
    pg_url: str, topic_prefix: str
) -> None:
    url = "/attendance/v1/sessions/{}/patrols"
    async with school_at(pg_url, topic_prefix) as (clock, client):
        calm = {"teacher_present": True, "activity_running": True, "rules_followed": True}
        assert (await client.post(url.format(HOMEWORK_SESSION), json=calm, headers=DUTY)).status_code == 422
        move_to(clock, at(16, 15))
        findings = {
            "teacher_present": True,
            "activity_running": True,
            "rules_followed": False,
            "findings": ["rule_broken", "bad_influence"],
            "note": "学生在走廊追逐",
        }
        patrol = await client.post(url.format(HOMEWORK_SESSION), json=findings, headers=DUTY)
        assert patrol.status_code == 201
        assert (patrol.json()["deduction"], patrol.json()["staff_id"]) == (4, "t-service")
        inconsistent = {**findings, "findings": ["bad_influence"]}
        refused = await client.post(url.format(HOMEWORK_SESSION), json=inconsistent, headers=DUTY)
        assert (refused.status_code, refused.json()["rule"]) == (422, "AT-10")
        empty = {"teacher_present": False, "activity_running": False, "rules_followed": True}
        assert (await client.post(url.format(CHESS_SESSION), json=empty, headers=DUTY)).status_code == 201
        gone = await client.post(f"/attendance/v1/sessions/{CHESS_SESSION}/teacher-sign-in", headers=CHESS_TEACHER)
        assert gone.status_code == 409  # the duty leader judged them absent (AT-9)
        move_to(clock, at(16, 41))
        await fire_due(runtime_of(client))  # the deadline finds the judgement made: no second absence
        sheet = await client.get(f"/attendance/v1/sessions/{CHESS_SESSION}/staff", headers=DUTY)
        events = await read_types(client.prefix, STAFF_TYPES, count=3)
    assert [(s["staff_id"], s["status"], s["decided_by"]) for s in sheet.json()["sign_ins"]] == [
        ("t-chess", "absent", "t-duty")
    ]
    by_teacher = {
        teacher: [(e.type, e.data.get("deduction"), e.data.get("status")) for e in events if e.subject == teacher]
        for teacher in ("t-service", "t-chess")
    }  # one teacher's events keep their order; two teachers' may interleave
    assert by_teacher == {
        "t-service": [("attendance.patrol_finding_recorded.v1", 4, None)],
        "t-chess": [
            ("attendance.patrol_finding_recorded.v1", 0, None),
            ("attendance.teacher_signed_in.v1", None, "absent"),
        ],
    }
    patrolled = next(e.data for e in events if e.subject == "t-service")
    assert patrolled["findings"] == ["rule_broken", "bad_influence"]
    assert "note" not in patrolled  # the duty leader's words stay in the school


async def test_at9_st3_noon_service_is_a_half_session_and_incidents_name_the_teacher(
    pg_url: str, topic_prefix: str
) -> None:
    async with school_at(pg_url, topic_prefix, AT.replace(hour=11, minute=50)) as (clock, client):
        await publish_as_producer(topic_prefix, [NOON_CARE], school_id="s1")

        async def noon_known() -> bool:
            return (await client.get(f"/attendance/v1/sessions/{NOON_SESSION}/staff", headers=ADMIN)).is_success

        await eventually(noon_known)
        noon = auth(Role.SERVICE_TEACHER, "t-noon", school="s1")
        assert (
            await client.post(f"/attendance/v1/sessions/{NOON_SESSION}/teacher-sign-in", headers=noon)
        ).status_code == 201
        move_to(clock, at(12, 20))
        incident = await client.post(
            f"/attendance/v1/sessions/{NOON_SESSION}/incidents",
            json={"kind": "safety_incident", "note": "午休时学生摔伤"},
            headers=DUTY,
        )
        assert (incident.status_code, incident.json()["staff_id"]) == (201, "t-noon")
        bad_kind = await client.post(
            f"/attendance/v1/sessions/{NOON_SESSION}/incidents", json={"kind": "gossip"}, headers=ADMIN
        )
        assert bad_kind.status_code == 422
        events = await read_types(client.prefix, STAFF_TYPES, count=2)
    assert [(e.type, e.subject, e.data["half_session"], e.data["session_kind"]) for e in events] == [
        ("attendance.teacher_signed_in.v1", "t-noon", True, "noon_care"),
        ("attendance.staff_incident_reported.v1", "t-noon", True, "noon_care"),
    ]
    assert events[1].data["kind"] == "safety_incident"
    assert events[1].data["reported_by"] == "t-duty"


async def test_another_school_another_sessions_teacher_and_a_guardian_get_nothing(
    pg_url: str, topic_prefix: str
) -> None:
    base = f"/attendance/v1/sessions/{HOMEWORK_SESSION}"
    record = {"place": "101", "content": "x", "student_ids": ["ming"], "effect": "y"}
    patrol = {"teacher_present": True, "activity_running": True, "rules_followed": True}
    calls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("POST", f"{base}/teacher-sign-in", None),
        ("PUT", f"{base}/activity-record", record),
        ("POST", f"{base}/patrols", patrol),
        ("POST", f"{base}/incidents", {"kind": "dereliction_of_duty"}),
        ("GET", f"{base}/staff", None),
    ]
    async with school_at(pg_url, topic_prefix) as (clock, client):
        move_to(clock, at(16, 5))
        for method, url, body in calls:
            for role in (Role.SERVICE_TEACHER, Role.DUTY_LEADER, Role.SCHOOL_ADMIN):  # s2 has no such session
                other_school = await client.request(
                    method, url, json=body, headers=auth(role, "t-service", school="s2")
                )
                assert other_school.status_code in (403, 404), (url, role)
            mum = auth(Role.GUARDIAN, "g-ming", school="s1")
            guardian = await client.request(method, url, json=body, headers=mum)
            assert guardian.status_code == 403, url
        for method, url, body in calls[:2] + calls[4:]:
            response = await client.request(method, url, json=body, headers=CHESS_TEACHER)
            assert response.status_code == 403, url  # a teacher of another session of the same school
        roll = await client.get(
            "/attendance/v1/teacher-sign-ins",
            params={"date": DAY.isoformat()},
            headers=auth(Role.SERVICE_TEACHER, "t-service", school="s1"),
        )
        assert roll.status_code == 403
        for table in (store.TeacherSignIn, store.ActivityRecordRow, store.PatrolRow, store.StaffIncident):
            assert await rows(client, table) == 0
        assert await read_types(client.prefix, STAFF_TYPES, count=0, quiet=0.5) == []
