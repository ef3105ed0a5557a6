"""Check-out on the real stack (AT-4, AT-5, BX-2): only authorised people, every refusal an event, a custody
order an urgent alert; who, when, where and whether staff or the guardian did it; retries never double."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from chassis.auth import Role
from chassis.clock import FakeClock
from services.attendance.dismissal import store
from tests.conftest import ServiceClient, auth, statement_cache_hits
from tests.services.attendance_afternoon import (
    ADMIN,
    CLASS_TEACHER_G1,
    CLASS_TEACHER_G3,
    KIOSK,
    MUM,
    OTHER_ADMIN,
    OTHER_KIOSK,
    STRANGER_PARENT,
    TEACHER,
    afternoon,
    checkout,
    count,
    everyone_checked_in,
    local,
)
from tests.services.conftest import read_topic

pytestmark = [pytest.mark.service, pytest.mark.timeout(180)]

CHECK_OUTS = "/attendance/v1/check-outs"
BATCH = "/attendance/v1/check-outs/batch"
AT = local(17, 5)


@pytest.fixture
async def attendance(pg_url: str, topic_prefix: str) -> AsyncIterator[ServiceClient]:
    """s1's afternoon at 17:05 with every child checked in at 15:00."""
    async with afternoon(pg_url, topic_prefix, FakeClock(AT)) as client:
        await everyone_checked_in(client, local(15, 0))
        yield client


async def published(client: ServiceClient, count: int) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    found = await read_topic(client.prefix, "attendance.events", count=4 + count)
    return [(e.type, e.data) for e in found if e.type != "attendance.student_checked_in.v1"]


async def test_at5_bx2_a_kiosk_hands_a_child_to_their_mum_and_records_who_when_where(
    attendance: ServiceClient,
) -> None:
    body = checkout("xiaoming", AT, credential_ref="card-mum-xiaoming", device_id="s1-gate", place="north gate")
    response = await attendance.post(CHECK_OUTS, json=body, headers={**KIOSK, "Idempotency-Key": "co-1"})
    assert response.status_code == 201
    got = response.json()
    assert (got["person_id"], got["handled_by"], got["device_id"], got["place"]) == (
        "p-mum-xiaoming",
        "guardian",
        "s1-gate",
        "north gate",
    )
    assert (got["release"], got["early"], got["late_fee_fen"]) == ("pickup_person", False, 0)
    replay = await attendance.post(CHECK_OUTS, json=body, headers={**KIOSK, "Idempotency-Key": "co-1"})
    assert replay.json() == got
    duplicate = await attendance.post(CHECK_OUTS, json=body, headers=KIOSK)  # a retry without the key
    assert (duplicate.status_code, duplicate.json()["check_out_id"]) == (200, got["check_out_id"])
    later = checkout("xiaoming", local(17, 6), credential_ref="card-mum-xiaoming", device_id="s1-gate")
    assert (await attendance.post(CHECK_OUTS, json=later, headers=KIOSK)).status_code == 409
    assert await count(attendance, store.CheckOut) == 1
    events = await published(attendance, 1)
    assert [(t, d["student_id"], d["person_id"], d["handled_by"], d["place"]) for t, d in events] == [
        ("attendance.student_checked_out.v1", "xiaoming", "p-mum-xiaoming", "guardian", "north gate")
    ]


async def test_at5_someone_not_on_the_list_is_refused_with_an_event(attendance: ServiceClient) -> None:
    body = checkout("xiaoming", AT, credential_ref="card-of-a-stranger", device_id="s1-gate")
    response = await attendance.post(CHECK_OUTS, json=body, headers=KIOSK)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert (response.json()["reason"], response.json()["restricted"], response.json()["rule"]) == (
        "not_authorised",
        False,
        "AT-5",
    )
    assert (await count(attendance, store.CheckOut), await count(attendance, store.PickupRefusal)) == (0, 1)
    [(kind, data)] = await published(attendance, 1)
    assert (kind, data["reason"], data["urgent"], data["attempted_by"]) == (
        "attendance.pickup_refused.v1",
        "not_authorised",
        False,
        "kiosk:s1-gate",
    )


async def test_bx2_a_restricted_person_is_refused_and_raises_an_urgent_alert(attendance: ServiceClient) -> None:
    body = checkout("xiaoli", AT, credential_ref="card-dad-xiaoli", device_id="s1-gate")
    response = await attendance.post(CHECK_OUTS, json=body, headers=KIOSK)
    assert (response.status_code, response.json()["reason"], response.json()["restricted"]) == (403, "restricted", True)
    staff = await attendance.post(CHECK_OUTS, json=checkout("xiaoli", AT, person_id="p-dad-xiaoli"), headers=TEACHER)
    assert (staff.status_code, staff.json()["rule"]) == (403, "BX-2")
    assert await count(attendance, store.CheckOut) == 0
    events = await published(attendance, 2)
    assert [(d["person_id"], d["restricted"], d["urgent"]) for _, d in events] == [
        ("p-dad-xiaoli", True, True),
        ("p-dad-xiaoli", True, True),
    ]


async def test_at5_a_child_leaves_alone_only_with_the_standing_permission(attendance: ServiceClient) -> None:
    alone = await attendance.post(CHECK_OUTS, json=checkout("xiaogang", AT, release="walk_alone"), headers=TEACHER)
    assert (alone.status_code, alone.json()["reason"]) == (403, "no_walk_permission")
    walker = await attendance.post(CHECK_OUTS, json=checkout("xiaohong", AT, release="walk_alone"), headers=TEACHER)
    assert (walker.status_code, walker.json()["handled_by"], walker.json()["staff_id"]) == (201, "staff", "t-zhao")


async def test_at4_a_guardian_collects_their_own_child_early_in_the_app(attendance: ServiceClient) -> None:
    response = await attendance.post(CHECK_OUTS, json=checkout("xiaoming", local(16, 40)), headers=MUM)
    assert response.status_code == 201
    assert (response.json()["handled_by"], response.json()["early"]) == ("guardian", True)


async def test_bx5_staff_hand_a_child_to_the_bus_only_on_a_bus_day(attendance: ServiceClient) -> None:
    bus = await attendance.post(CHECK_OUTS, json=checkout("xiaogang", AT, release="bus"), headers=TEACHER)
    assert (bus.status_code, bus.json()["rule"]) == (422, "BX-5")
    plan = {"mode": "bus", "on": "2026-11-26"}
    assert (
        await attendance.post("/attendance/v1/students/xiaogang/dismissal-plan/changes", json=plan, headers=ADMIN)
    ).status_code == 201
    tomorrow = await attendance.post(CHECK_OUTS, json=checkout("xiaogang", AT, release="bus"), headers=TEACHER)
    assert tomorrow.status_code == 422  # the change is for tomorrow, not today
    kiosk = await attendance.post(
        CHECK_OUTS, json=checkout("xiaogang", AT, release="bus", device_id="s1-gate"), headers=KIOSK
    )
    assert kiosk.status_code == 422
    assert await count(attendance, store.CheckOut) == 0


async def test_a_batch_of_check_outs_reports_each_one(attendance: ServiceClient) -> None:
    events = [
        checkout("xiaoming", AT, credential_ref="card-mum-xiaoming"),
        checkout("xiaoli", AT, credential_ref="card-dad-xiaoli"),
        checkout("xiaodong", AT, credential_ref="card-mum-xiaodong"),  # another school's child
        checkout("xiaohong", local(17, 1), release="walk_alone"),
        checkout("xiaoming", AT, credential_ref="card-mum-xiaoming"),
    ]
    response = await attendance.post(
        BATCH, json={"device_id": "s1-gate", "place": "gate", "events": events}, headers=KIOSK
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["outcome"], r["status"]) for r in results] == [
        ("created", 201),
        ("refused", 403),
        ("refused", 404),
        ("created", 201),
        ("duplicate", 200),
    ]
    assert results[4]["check_out_id"] == results[0]["check_out_id"]
    assert (response.json()["created"], response.json()["duplicates"], response.json()["refused"]) == (2, 1, 2)
    assert await count(attendance, store.CheckOut) == 2
    listed = (await attendance.get(CHECK_OUTS, params={"date": "2026-11-25", "limit": 1}, headers=ADMIN)).json()
    assert len(listed["items"]) == 1
    assert listed["next"] is not None
    rest = await attendance.get(CHECK_OUTS, params={"date": "2026-11-25", "after": listed["next"]}, headers=ADMIN)
    assert len(rest.json()["items"]) == 1
    assert rest.json()["next"] is None


async def test_check_outs_are_stored_by_one_statement_compiled_once(attendance: ServiceClient) -> None:
    """Issue 13: a check-out's INSERT was a multi-row VALUES, which SQLAlchemy cannot cache, so it was compiled again
    on every call (0.9 ms of CPU for one check-out, 26-29 ms for a batch of 100); now a single one and a batch run
    the statement compiled for the first."""
    with statement_cache_hits(attendance.runtime.db, lambda sql: sql.startswith("INSERT INTO check_outs")) as hits:
        single = checkout("xiaoming", AT, credential_ref="card-mum-xiaoming", device_id="s1-gate", place="gate")
        one = await attendance.post(CHECK_OUTS, json=single, headers=KIOSK)
        events = [checkout("xiaohong", local(17, 1), release="walk_alone")]
        batch = await attendance.post(BATCH, json={"device_id": "s1-gate", "events": events}, headers=KIOSK)
    assert one.status_code == 201
    assert [r["outcome"] for r in batch.json()["results"]] == ["created"]
    assert await count(attendance, store.CheckOut) == 2
    assert hits == [False, True]  # compiled for the first, reused by the batch


async def test_two_batches_racing_for_one_child_store_one_check_out(attendance: ServiceClient) -> None:
    """A batch decides from one read of the whole batch and stores with one insert: the unique key still lets only
    one of two racing uploads hand 小明 over; the other gets its 409 and publishes nothing."""
    events = [checkout("xiaoming", local(17, minute), credential_ref="card-mum-xiaoming") for minute in (4, 5)]
    uploads = [{"device_id": "s1-gate", "events": [event]} for event in events]
    answers = await asyncio.gather(*(attendance.post(BATCH, json=body, headers=KIOSK) for body in uploads))
    results = sorted((r.json()["results"][0]["outcome"], r.json()["results"][0]["status"]) for r in answers)
    assert results == [("created", 201), ("refused", 409)]
    assert await count(attendance, store.CheckOut) == 1
    assert [kind for kind, _ in await published(attendance, 1)] == ["attendance.student_checked_out.v1"]


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        (OTHER_KIOSK, checkout("xiaoming", AT, credential_ref="card-mum-xiaoming", device_id="s2-gate"), 404),
        (OTHER_ADMIN, checkout("xiaoming", AT, credential_ref="card-mum-xiaoming"), 404),
        (STRANGER_PARENT, checkout("xiaoming", AT), 404),  # another family's guardian
        (CLASS_TEACHER_G3, checkout("xiaoming", AT, person_id="p-mum-xiaoming"), 404),  # another class
        (KIOSK, checkout("xiaoming", AT, credential_ref="card-mum-xiaoming", device_id="s1-east"), 403),
        (auth(Role.SUBJECT_TEACHER, "t-x", school="s1"), checkout("xiaoming", AT, person_id="p-mum-xiaoming"), 403),
        ({}, checkout("xiaoming", AT, credential_ref="card-mum-xiaoming"), 401),
    ],
    ids=["other-school-kiosk", "other-school-admin", "other-family", "other-class", "other-device", "subject", "none"],
)
async def test_nobody_else_checks_a_child_out(
    attendance: ServiceClient, headers: dict[str, str], body: dict[str, object], status: int
) -> None:
    response = await attendance.post(CHECK_OUTS, json=body, headers=headers)
    assert response.status_code == status
    event = {k: v for k, v in body.items() if k != "device_id"}
    batch = await attendance.post(BATCH, json={"device_id": body.get("device_id"), "events": [event]}, headers=headers)
    assert batch.status_code in (200, 401, 403)
    if batch.status_code == 200:
        assert batch.json()["results"][0]["outcome"] == "refused"
    assert (await count(attendance, store.CheckOut), await count(attendance, store.PickupRefusal)) == (0, 0)


async def test_a_class_teacher_hands_over_their_own_class_and_another_school_lists_nothing(
    attendance: ServiceClient,
) -> None:
    own = await attendance.post(
        CHECK_OUTS, json=checkout("xiaoming", AT, person_id="p-mum-xiaoming"), headers=CLASS_TEACHER_G1
    )
    assert own.status_code == 201
    other = await attendance.get(CHECK_OUTS, params={"date": "2026-11-25"}, headers=OTHER_ADMIN)
    assert other.json()["items"] == []
    g3 = await attendance.get(CHECK_OUTS, params={"date": "2026-11-25"}, headers=CLASS_TEACHER_G3)
    assert g3.json()["items"] == []
    guardian = await attendance.get(CHECK_OUTS, params={"date": "2026-11-25"}, headers=MUM)
    assert guardian.status_code == 403
