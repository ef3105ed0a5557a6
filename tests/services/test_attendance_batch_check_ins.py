"""Batch check-ins on the real stack (AT-2, AT-8): an offline kiosk's upload, applied in device-time order, once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from chassis.auth import Role
from chassis.clock import SCHOOL_TZ
from contracts.enrollment import StudentEnrolled
from services.attendance import store
from services.attendance.app import DEFINITION
from services.attendance.checkins import store as checkins_store
from tests.conftest import SCHOOL_AFTERNOON, ServiceClient, auth, eventually, running, stack_settings
from tests.services.conftest import every_page, publish_as_producer, read_topic

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

KIOSK = auth(Role.KIOSK, "s1-kiosk-gate", school="s1")
NOW = SCHOOL_AFTERNOON.astimezone(UTC)  # the services' pinned clock: see tests/conftest.py
STUDENTS = [f"s1-stu-{n:03d}" for n in range(300)]
BATCH = "/attendance/v1/check-ins/batch"


def event(student: str, minutes_ago: float, method: str = "card") -> dict[str, Any]:
    return {"student_id": student, "occurred_at": (NOW - timedelta(minutes=minutes_ago)).isoformat(), "method": method}


@pytest.fixture
async def attendance(pg_url: str, topic_prefix: str) -> AsyncIterator[ServiceClient]:
    """Attendance on PostgreSQL, Kafka and Redis, with 300 children of s1 and 小刚 of s2."""
    roster = [StudentEnrolled(student_id=s, school_id="s1", class_id="s1-g3-c1", grade=3, name=s) for s in STUDENTS]
    roster.append(StudentEnrolled(student_id="xiaogang", school_id="s2", class_id="s2-g3-c1", grade=3, name="小刚"))
    await publish_as_producer(topic_prefix, roster, school_id="s1")
    async with running(DEFINITION, stack_settings(DEFINITION, pg_url, topic_prefix)) as client:
        await eventually(lambda: _count(client, store.RosterStudent, len(roster)))
        yield client


async def _count(client: ServiceClient, table: Any, expected: int | None = None) -> Any:
    async with client.runtime.db.sessions() as session:
        count = int((await session.execute(select(func.count()).select_from(table))).scalar_one())
    return count if expected is None else count == expected


async def test_at8_an_offline_kiosk_uploads_hundreds_of_events_in_one_request(attendance: ServiceClient) -> None:
    events = [event(s, minutes_ago=300 - n * 0.5) for n, s in enumerate(STUDENTS)]
    events.reverse()  # uploaded newest first: device time, not upload order, decides
    response = await attendance.post(BATCH, json={"device_id": "s1-kiosk-gate", "events": events}, headers=KIOSK)
    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["duplicates"], body["refused"]) == (300, 0, 0)
    assert [r["index"] for r in body["results"]] == list(range(300))
    assert await _count(attendance, checkins_store.CheckIn) == 300
    published = await read_topic(attendance.prefix, "attendance.events", count=300)
    assert len(published) == 300
    times = [e.data["occurred_at"] for e in published if e.subject in (STUDENTS[0], STUDENTS[1])]
    assert len(times) == 2


async def test_at8_a_retried_or_repeated_event_never_creates_a_second_check_in(attendance: ServiceClient) -> None:
    first = [event(STUDENTS[0], 30), event(STUDENTS[1], 20)]
    answer = (await attendance.post(BATCH, json={"device_id": "s1-kiosk-gate", "events": first}, headers=KIOSK)).json()
    ids = [r["check_in_id"] for r in answer["results"]]
    again = [event(STUDENTS[1], 20), event(STUDENTS[2], 10), event(STUDENTS[2], 10), event(STUDENTS[0], 30)]
    response = await attendance.post(BATCH, json={"device_id": "s1-kiosk-gate", "events": again}, headers=KIOSK)
    results = response.json()["results"]
    assert [r["outcome"] for r in results] == ["duplicate", "created", "duplicate", "duplicate"]
    assert results[0]["check_in_id"] == ids[1]
    assert results[3]["check_in_id"] == ids[0]
    assert results[2]["check_in_id"] == results[1]["check_in_id"]
    assert await _count(attendance, checkins_store.CheckIn) == 3
    published = await read_topic(attendance.prefix, "attendance.events", count=3)
    assert len(published) == 3


async def test_at8_a_batch_applies_in_device_time_order(attendance: ServiceClient) -> None:
    events = [event(STUDENTS[0], 5), event(STUDENTS[0], 50), event(STUDENTS[0], 25)]
    await attendance.post(BATCH, json={"device_id": "s1-kiosk-gate", "events": events}, headers=KIOSK)
    published = await read_topic(attendance.prefix, "attendance.events", count=3)
    occurred = [datetime.fromisoformat(e.data["occurred_at"]) for e in published]
    assert occurred == sorted(occurred)  # one child's events stay in device-time order on the stream


async def test_a_retried_upload_with_the_same_key_replays_the_first_answer(attendance: ServiceClient) -> None:
    body = {"device_id": "s1-kiosk-gate", "events": [event(STUDENTS[0], 5)]}
    headers = {**KIOSK, "Idempotency-Key": "upload-1"}
    first = await attendance.post(BATCH, json=body, headers=headers)
    again = await attendance.post(BATCH, json=body, headers=headers)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"


async def test_bad_events_are_refused_one_by_one_and_the_rest_go_in(attendance: ServiceClient) -> None:
    events = [event("xiaogang", 5), event("nobody", 5), event(STUDENTS[0], -60), event(STUDENTS[1], 5)]
    response = await attendance.post(BATCH, json={"device_id": "s1-kiosk-gate", "events": events}, headers=KIOSK)
    results = response.json()["results"]
    assert [r["outcome"] for r in results] == ["refused", "refused", "refused", "created"]
    assert [r["rule"] for r in results] == ["AT-2", "AT-2", "AT-8", None]
    assert await _count(attendance, checkins_store.CheckIn) == 1


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        (auth(Role.GUARDIAN, "p1", school="s1"), 403),
        (auth(Role.KIOSK, "s1-kiosk-east", school="s1"), 403),  # reports another device's id
    ],
    ids=["no-token", "guardian", "other-device"],
)
async def test_only_a_kiosk_speaking_for_itself_may_upload(
    attendance: ServiceClient, headers: dict[str, str], status: int
) -> None:
    body = {"device_id": "s1-kiosk-gate", "events": [event(STUDENTS[0], 5)]}
    response = await attendance.post(BATCH, json=body, headers=headers)
    assert response.status_code == status
    assert await _count(attendance, checkins_store.CheckIn) == 0


async def test_another_schools_kiosk_checks_in_nobody_of_this_school(attendance: ServiceClient) -> None:
    other = auth(Role.KIOSK, "s2-kiosk-gate", school="s2")
    body = {"device_id": "s2-kiosk-gate", "events": [event(STUDENTS[0], 5)]}
    response = await attendance.post(BATCH, json=body, headers=other)
    assert [r["outcome"] for r in response.json()["results"]] == ["refused"]
    assert await _count(attendance, checkins_store.CheckIn) == 0


@pytest.mark.parametrize("size", [0, 1001])
async def test_an_empty_or_oversized_batch_is_a_problem(attendance: ServiceClient, size: int) -> None:
    body = {"device_id": "s1-kiosk-gate", "events": [event(STUDENTS[0], 5 + n / 100) for n in range(size)]}
    response = await attendance.post(BATCH, json=body, headers=KIOSK)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


V1_LIST, V2_LIST = "/attendance/v1/check-ins", "/attendance/v2/check-ins"
ADMIN = auth(Role.SCHOOL_ADMIN, "s1-admin", school="s1")
DAY = NOW.astimezone(SCHOOL_TZ).date().isoformat()


async def walk(client: ServiceClient, headers: dict[str, str], after_first: Any = None) -> list[Any]:
    """The day's v2 list, four at a time."""
    return await every_page(client, V2_LIST, headers, limit=4, params={"date": DAY}, after_first=after_first)


async def test_v2_walks_a_dismissal_wave_of_equal_device_times_each_check_in_once_in_order(
    attendance: ServiceClient,
) -> None:
    # Three waves of five children at the gate in the same second; pages of four cut every wave.
    waves = [event(s, minutes_ago=30 - 10 * (n // 5)) for n, s in enumerate(STUDENTS[:15])]
    uploaded = await attendance.post(BATCH, json={"device_id": "s1-kiosk-gate", "events": waves}, headers=KIOSK)
    assert uploaded.json()["created"] == 15
    stored = (await attendance.get(V1_LIST, params={"date": DAY, "limit": "500"}, headers=ADMIN)).json()["items"]

    async def a_late_upload_lands_on_the_first_page() -> None:
        late = {"device_id": "s1-kiosk-gate", "events": [event(STUDENTS[20], minutes_ago=40)]}
        assert (await attendance.post(BATCH, json=late, headers=KIOSK)).json()["created"] == 1

    walked = await walk(attendance, ADMIN, a_late_upload_lands_on_the_first_page)
    ids = [c["check_in_id"] for c in walked]
    assert ids == [c["check_in_id"] for c in stored]  # each once, none shifted onto the next page by the late one
    keys = [(datetime.fromisoformat(c["occurred_at"]), c["check_in_id"]) for c in walked]
    assert keys == sorted(keys)
    assert len(set(ids)) == 15
    assert next(c["check_in_id"] for c in await walk(attendance, ADMIN)) not in ids  # it sorts first, now
    assert await walk(attendance, auth(Role.SCHOOL_ADMIN, "s2-admin", school="s2")) == []


@pytest.mark.parametrize("cursor", ["not-a-cursor", "2026-13-45T07:00:00.000000Z|x", "2026-11-25T07:00:00|x"])
async def test_v2_refuses_a_cursor_it_did_not_write(attendance: ServiceClient, cursor: str) -> None:
    response = await attendance.get(V2_LIST, params={"date": DAY, "after": cursor}, headers=ADMIN)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_v1_answers_as_before_and_names_its_successor_and_sunset(attendance: ServiceClient) -> None:
    await attendance.post(BATCH, json={"device_id": "s1-kiosk-gate", "events": [event(STUDENTS[0], 5)]}, headers=KIOSK)
    response = await attendance.get(V1_LIST, params={"date": DAY, "limit": "1"}, headers=ADMIN)
    assert response.status_code == 200
    assert (set(response.json()), response.json()["total"]) == ({"items", "total", "limit", "offset"}, 1)
    assert response.headers["Deprecation"] == "@1796428800"  # 2026-12-05T00:00:00Z, RFC 9745
    assert response.headers["Sunset"] == "Tue, 31 Aug 2027 15:59:59 GMT"  # the school year's end in Shanghai
    assert response.headers["Link"] == '</attendance/v2/check-ins>; rel="successor-version"'
    spec = (await attendance.get("/attendance/openapi.json")).json()["paths"]
    assert (spec[V1_LIST]["get"].get("deprecated"), spec[V2_LIST]["get"].get("deprecated")) == (True, None)
