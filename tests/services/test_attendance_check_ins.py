"""Attendance check-ins on the real stack (AT-2, AT-8): stored once, published once, refused clearly."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, timedelta
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select

from chassis.auth import Role
from contracts.enrollment import StudentEnrolled
from services.attendance import store
from services.attendance.app import DEFINITION
from services.attendance.checkins import store as checkins_store
from tests.conftest import (
    REDIS_URL,
    SCHOOL_AFTERNOON,
    ServiceClient,
    auth,
    eventually,
    round_trips,
    running,
    stack_settings,
)
from tests.services.conftest import publish_as_producer, read_topic

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

KIOSK = auth(Role.KIOSK, "s1-kiosk-gate", school="s1")
NOW = SCHOOL_AFTERNOON.astimezone(UTC)  # the services' pinned clock: see tests/conftest.py


def check_in(student: str = "xiaoming", minutes_ago: int = 5, **extra: Any) -> dict[str, Any]:
    body = {
        "student_id": student,
        "occurred_at": (NOW - timedelta(minutes=minutes_ago)).isoformat(),
        "device_id": "s1-kiosk-gate",
        "method": "card",
    }
    return {**body, **extra}


@pytest.fixture
async def attendance(pg_url: str, topic_prefix: str) -> AsyncIterator[ServiceClient]:
    """Attendance on PostgreSQL, Kafka and Redis, knowing 小明 and 小红 of s1 and 小刚 of s2."""
    roster = [
        StudentEnrolled(student_id=s, school_id=school, class_id=f"{school}-g3-c1", grade=3, name=s)
        for s, school in (("xiaoming", "s1"), ("xiaohong", "s1"), ("xiaogang", "s2"))
    ]
    await publish_as_producer(topic_prefix, roster, school_id="s1")
    async with running(DEFINITION, stack_settings(DEFINITION, pg_url, topic_prefix)) as client:
        await eventually(lambda: _roster_size(client, 3))
        yield client


async def _roster_size(client: ServiceClient, expected: int) -> bool:
    async with client.runtime.db.sessions() as session:
        count = (await session.execute(select(func.count()).select_from(store.RosterStudent))).scalar_one()
        return bool(count == expected)


async def stored_check_ins(client: ServiceClient) -> int:
    async with client.runtime.db.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(checkins_store.CheckIn))).scalar_one())


async def test_a_kiosk_check_in_is_stored_and_published_once(attendance: ServiceClient) -> None:
    trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    response = await attendance.post(
        "/attendance/v1/check-ins", json=check_in(), headers={**KIOSK, "Idempotency-Key": "k-1", "traceparent": trace}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["student_id"] == "xiaoming"
    assert body["school_id"] == "s1"
    assert body["method"] == "card"
    published = await read_topic(attendance.prefix, "attendance.events", count=1)
    assert [(e.type, e.data["check_in_id"], e.schoolid, e.subject) for e in published] == [
        ("attendance.student_checked_in.v1", body["check_in_id"], "s1", "xiaoming")
    ]
    assert published[0].traceparent is not None
    assert published[0].traceparent.split("-")[1] == "4bf92f3577b34da6a3ce929d0e0e4736"  # the kiosk's trace goes on


async def test_a_new_check_in_its_event_and_its_answer_are_one_statement_without_a_transaction(
    attendance: ServiceClient,
) -> None:
    """Issue 13: the check-in, its outbox row and its Idempotency-Key answer go to PostgreSQL as one statement (no
    BEGIN, no COMMIT, no ORM session), and all three are stored, the answer being exactly the one sent back."""
    with round_trips(attendance.runtime.db) as sent:
        response = await attendance.post(
            "/attendance/v1/check-ins", json=check_in(), headers={**KIOSK, "Idempotency-Key": "one-trip"}
        )
    assert response.status_code == 201
    assert [s.split()[:2] for s in sent] == [["WITH", "effect"]], sent
    tables = attendance.runtime.tables
    async with attendance.runtime.db.sessions() as session:
        answer = (await session.execute(select(tables.idempotency.c.status_code, tables.idempotency.c.body))).one()
        outbox = (await session.execute(select(tables.outbox.c.topic, tables.outbox.c.key))).all()
    assert (answer.status_code, answer.body) == (201, response.json())
    assert [tuple(row) for row in outbox] == [("attendance.events", "xiaoming")]
    assert await stored_check_ins(attendance) == 1
    published = await read_topic(attendance.prefix, "attendance.events", count=1)
    assert [e.data["check_in_id"] for e in published] == [response.json()["check_in_id"]]


async def test_a_retry_with_the_same_idempotency_key_replays_the_first_answer(attendance: ServiceClient) -> None:
    headers = {**KIOSK, "Idempotency-Key": "retry-1"}
    first = await attendance.post("/attendance/v1/check-ins", json=check_in(), headers=headers)
    again = await attendance.post("/attendance/v1/check-ins", json=check_in(), headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await stored_check_ins(attendance) == 1
    prefix = attendance.prefix
    cached = await Redis.from_url(REDIS_URL).exists(
        f"{prefix}idem:attendance:/attendance/v1/check-ins:s1:s1-kiosk-gate:retry-1"
    )
    assert cached == 1  # the fast path; the database row is the truth


async def test_a_retry_the_cache_has_forgotten_replays_the_stored_answer(attendance: ServiceClient) -> None:
    """PostgreSQL holds the answer: with Redis's copy gone, a retry still gets the first 201, not the 200 of a
    repeated device event, and nothing is stored or published twice."""
    headers = {**KIOSK, "Idempotency-Key": "forgotten"}
    first = await attendance.post("/attendance/v1/check-ins", json=check_in(), headers=headers)
    redis = Redis.from_url(REDIS_URL)
    await redis.delete(f"{attendance.prefix}idem:attendance:/attendance/v1/check-ins:s1:s1-kiosk-gate:forgotten")
    again = await attendance.post("/attendance/v1/check-ins", json=check_in(), headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert (again.json(), again.headers["Idempotent-Replayed"]) == (first.json(), "true")
    other = await attendance.post("/attendance/v1/check-ins", json=check_in("xiaohong"), headers=headers)
    assert other.status_code == 422  # the same key with another body, found in the database
    assert await stored_check_ins(attendance) == 1
    assert len(await read_topic(attendance.prefix, "attendance.events", count=2, timeout=3.0)) == 1


async def test_the_same_key_with_another_body_is_refused(attendance: ServiceClient) -> None:
    headers = {**KIOSK, "Idempotency-Key": "reused"}
    await attendance.post("/attendance/v1/check-ins", json=check_in(), headers=headers)
    response = await attendance.post("/attendance/v1/check-ins", json=check_in("xiaohong"), headers=headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "different request body" in response.json()["detail"]
    assert await stored_check_ins(attendance) == 1


async def test_a_duplicated_device_event_without_the_key_returns_the_first_check_in(
    attendance: ServiceClient,
) -> None:
    first = await attendance.post(
        "/attendance/v1/check-ins", json=check_in(), headers={**KIOSK, "Idempotency-Key": "a"}
    )
    duplicate = await attendance.post(
        "/attendance/v1/check-ins", json=check_in(), headers={**KIOSK, "Idempotency-Key": "b"}
    )
    assert duplicate.status_code == 200
    assert duplicate.json()["check_in_id"] == first.json()["check_in_id"]
    assert await stored_check_ins(attendance) == 1


async def test_concurrent_retries_store_one_check_in_and_all_get_the_same_answer(
    attendance: ServiceClient,
) -> None:
    headers = {**KIOSK, "Idempotency-Key": "storm"}
    responses = await asyncio.gather(
        *(attendance.post("/attendance/v1/check-ins", json=check_in(), headers=headers) for _ in range(10))
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["check_in_id"] for r in responses}) == 1
    assert await stored_check_ins(attendance) == 1


async def test_late_offline_uploads_are_accepted_and_listed_in_device_time_order(
    attendance: ServiceClient,
) -> None:
    late, early = check_in("xiaoming", minutes_ago=10), check_in("xiaohong", minutes_ago=50)
    for body in (late, early):  # uploaded out of order after the kiosk came back online (AT-8)
        assert (await attendance.post("/attendance/v1/check-ins", json=body, headers=KIOSK)).status_code == 201
    day = (NOW - timedelta(minutes=10)).astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai")).date()
    listed = await attendance.get(
        "/attendance/v1/check-ins",
        params={"date": day.isoformat()},
        headers=auth(Role.SCHOOL_ADMIN, "admin", school="s1"),
    )
    assert [c["student_id"] for c in listed.json()["items"]] == ["xiaohong", "xiaoming"]


async def test_a_device_clock_far_in_the_future_is_refused(attendance: ServiceClient) -> None:
    response = await attendance.post("/attendance/v1/check-ins", json=check_in(minutes_ago=-60), headers=KIOSK)
    assert response.status_code == 422
    assert response.json()["rule"] == "AT-8"
    assert await stored_check_ins(attendance) == 0


@pytest.mark.parametrize(
    "occurred_at",
    ["0001-01-01T00:00:00+08:00", (NOW - timedelta(days=8)).isoformat()],
    ids=["year-0001", "eight-days-old"],
)
async def test_at8_a_device_time_older_than_the_window_is_refused_single_and_in_a_batch(
    attendance: ServiceClient, occurred_at: str
) -> None:
    """Issue 11: a year-0001 check-in was accepted, alerted and tallied; a device token could backfill any month."""
    single = await attendance.post("/attendance/v1/check-ins", json=check_in(occurred_at=occurred_at), headers=KIOSK)
    assert (single.status_code, single.json()["rule"]) == (422, "AT-8")
    event = {"student_id": "xiaoming", "occurred_at": occurred_at, "method": "card"}
    batch = await attendance.post(
        "/attendance/v1/check-ins/batch", json={"device_id": "s1-kiosk-gate", "events": [event]}, headers=KIOSK
    )
    assert batch.status_code == 200
    assert [(r["outcome"], r["rule"]) for r in batch.json()["results"]] == [("refused", "AT-8")]
    assert await stored_check_ins(attendance) == 0
    week_old = check_in(minutes_ago=6 * 24 * 60)  # inside the window: accepted, and late (LATE-1)
    accepted = await attendance.post("/attendance/v1/check-ins", json=week_old, headers=KIOSK)
    assert (accepted.status_code, accepted.json()["late"]) == (201, True)


async def test_at8_a_teachers_app_reports_its_own_device_id_never_a_kiosks(attendance: ServiceClient) -> None:
    teacher = auth(Role.SERVICE_TEACHER, "t-zhao", school="s1")
    as_kiosk = await attendance.post("/attendance/v1/check-ins", json=check_in(), headers=teacher)
    assert as_kiosk.status_code == 403
    assert await stored_check_ins(attendance) == 0
    own = await attendance.post("/attendance/v1/check-ins", json=check_in(device_id="t-zhao/phone"), headers=teacher)
    assert own.status_code == 201, own.text
    assert own.json()["device_id"] == "t-zhao/phone"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (check_in("xiaogang"), 404),  # a child of another school
        (check_in("nobody"), 404),
        (check_in(method="telepathy"), 422),
        (check_in(occurred_at="2026-11-25T16:00:00"), 422),  # no timezone
        ({"student_id": "xiaoming"}, 422),
        (check_in(extra_field=1), 422),
    ],
    ids=["other-school", "unknown", "bad-method", "naive-time", "missing-fields", "unknown-field"],
)
async def test_bad_check_ins_get_a_problem_and_store_nothing(
    attendance: ServiceClient, body: dict[str, Any], status: int
) -> None:
    response = await attendance.post("/attendance/v1/check-ins", json=body, headers=KIOSK)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status
    assert await stored_check_ins(attendance) == 0


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer forged"}, 401),
        (auth(Role.GUARDIAN, "p1", school="s1"), 403),
        (auth(Role.KIOSK, "s1-kiosk-east", school="s1"), 403),  # reports another device's id
    ],
    ids=["no-token", "bad-token", "guardian", "other-device"],
)
async def test_only_a_kiosk_speaking_for_itself_may_check_in(
    attendance: ServiceClient, headers: dict[str, str], status: int
) -> None:
    response = await attendance.post("/attendance/v1/check-ins", json=check_in(), headers=headers)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert await stored_check_ins(attendance) == 0


async def test_another_schools_admin_sees_none_of_the_check_ins(attendance: ServiceClient) -> None:
    await attendance.post("/attendance/v1/check-ins", json=check_in(), headers=KIOSK)
    day = NOW.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai")).date().isoformat()
    other = await attendance.get(
        "/attendance/v1/check-ins", params={"date": day}, headers=auth(Role.SCHOOL_ADMIN, "admin2", school="s2")
    )
    assert other.json()["total"] == 0


async def test_health_readiness_and_metrics(attendance: ServiceClient) -> None:
    await attendance.post("/attendance/v1/check-ins", json=check_in(), headers=KIOSK)
    health = await attendance.get("/healthz")
    assert health.json() == {"status": "ok", "checks": {"database": "ok", "bus": "ok", "redis": "ok"}}
    ready = await attendance.get("/readyz")
    assert ready.json() == {"status": "ok", "checks": {"database": "ok"}}  # issue 14: ready while the database answers
    metrics = (await attendance.get("/metrics")).text
    assert (
        'afterschool_http_requests_total{method="POST",route="/attendance/v1/check-ins",service="attendance"'
        ',status="201"}' in metrics
    )
    assert 'afterschool_check_ins_total{method="card",school="s1",service="attendance"}' in metrics
    for dependency in ("database", "bus", "redis"):
        assert f'afterschool_dependency_up{{dependency="{dependency}",service="attendance"}} 1.0' in metrics


async def test_at8_a_batch_upload_of_an_event_already_posted_singly_is_a_duplicate(
    attendance: ServiceClient,
) -> None:
    single = await attendance.post("/attendance/v1/check-ins", json=check_in(), headers=KIOSK)
    body = check_in()
    event = {"student_id": body["student_id"], "occurred_at": body["occurred_at"], "method": body["method"]}
    batch = await attendance.post(
        "/attendance/v1/check-ins/batch", json={"device_id": "s1-kiosk-gate", "events": [event]}, headers=KIOSK
    )
    [result] = batch.json()["results"]
    assert (result["outcome"], result["check_in_id"]) == ("duplicate", single.json()["check_in_id"])
    assert await stored_check_ins(attendance) == 1
