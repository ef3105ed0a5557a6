"""Fee plans and waivers on the real stack (EN-7): set by the school admin, announced for stipend to settle (ST-6).

实验小学 charges its homework supervision 2.3 yuan a class-hour, at most 2 a day (the seed's numbers), then
moves to 160 yuan a month; 小明's family is in financial difficulty and pays nothing for a term.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from chassis.auth import Role
from contracts.envelope import Envelope
from tests.conftest import ServiceClient, auth
from tests.services import enrollment_school as setup
from tests.services.conftest import read_topic
from tests.services.enrollment_school import ADMIN, INTRUDER, add_child, add_class, call, guardian, scoped, teacher

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

V1 = "/enrollment/v1"
MUM = guardian("mum")  # 小明's mother
DAD = guardian("dad")  # 小红's father: another family of the same school
OTHER_ADMIN = INTRUDER  # 育才小学's admin
OTHER_GUARDIAN = auth(Role.GUARDIAN, scoped("guardian", "mum"), school="yucai")  # 小明's mother's id, elsewhere
TEACHER = teacher("li-laoshi")
NO_TOKEN: dict[str, str] = {}

SEED_PLAN = {
    "kind": "per_class_hour",
    "effective_from": "2026-09-01",
    "fen_per_class_hour": 230,
    "max_charged_class_hours_per_day": 2,
}
MONTHLY_PLAN = {"kind": "monthly", "effective_from": "2026-10-01", "fen_per_month": 16_000}
WAIVER = {
    "id": "w-xiaoming",
    "percent_payable": 0,
    "valid_from": "2026-09-01",
    "valid_to": "2027-01-20",
    "reason": "家庭经济困难（建档立卡）",
}
HOMEWORK = setup.homework_supervision("homework", "作业辅导")
HOMEWORK_ID = scoped("program", "homework")
XIAOMING, XIAOHONG = scoped("student", "xiaoming"), scoped("student", "xiaohong")
W_XIAOMING = scoped("waiver", "w-xiaoming")


@pytest.fixture
async def school(pg_url: str, topic_prefix: str) -> AsyncIterator[ServiceClient]:
    """实验小学 (on the first day of its autumn term) with its homework supervision and two families."""
    async with setup.enrollment_school(pg_url, topic_prefix) as client:
        await add_class(client, "g3c1", 3, "li-laoshi")
        await add_child(client, "xiaoming", "g3c1", "mum")
        await add_child(client, "xiaohong", "g3c1", "dad")
        await call(client, "POST", "/programs", HOMEWORK, status=201)
        yield client


async def published(client: ServiceClient) -> int:
    """How many events enrollment has put in its outbox so far (all of them reach Kafka)."""
    runtime = client.runtime
    async with runtime.db.sessions() as session:
        count: int = (await session.execute(select(func.count()).select_from(runtime.tables.outbox))).scalar_one()
    return count


async def fee_events(client: ServiceClient) -> list[Envelope]:
    """The fee events enrollment published on Kafka, in the order read (one key's stay in order)."""
    events = await read_topic(client.prefix, "enrollment.events", count=await published(client))
    return [e for e in events if e.type.startswith("enrollment.fee_")]


async def test_en7_a_fee_plan_is_set_announced_by_program_and_a_retry_changes_nothing(
    school: ServiceClient,
) -> None:
    first = await call(school, "PUT", "/programs/homework/fee-plan", SEED_PLAN)
    again = await call(school, "PUT", "/programs/homework/fee-plan", SEED_PLAN)
    assert again == first
    keyed = {**MONTHLY_PLAN}
    monthly = await call(school, "PUT", "/programs/homework/fee-plan", keyed, {**ADMIN, "Idempotency-Key": "k1"})
    replay = await school.put(
        f"{V1}/programs/homework/fee-plan", json=keyed, headers={**ADMIN, "Idempotency-Key": "k1"}
    )
    assert replay.json() == monthly
    assert (first["version"], monthly["version"]) == (1, 2)

    events = await fee_events(school)
    assert [(e.type, e.subject) for e in events] == [
        ("enrollment.fee_plan_set.v1", HOMEWORK_ID),
        ("enrollment.fee_plan_set.v1", HOMEWORK_ID),
    ]
    assert events[0].data == {
        "fee_plan_id": first["fee_plan_id"],
        "program_id": HOMEWORK_ID,
        "school_id": "shiyan",
        "kind": "per_class_hour",
        "fen_per_class_hour": 230,
        "max_charged_class_hours_per_day": 2,
        "fen_per_month": 0,
        "effective_from": "2026-09-01",
    }
    assert events[1].data["kind"] == "monthly"
    assert events[1].data["fen_per_month"] == 16_000


async def test_en7_admins_setting_a_plan_at_once_queue_and_each_setting_gets_its_own_version(
    school: ServiceClient,
) -> None:
    plans = [{**MONTHLY_PLAN, "effective_from": f"2026-10-0{day}"} for day in range(1, 7)]
    answers = await asyncio.gather(*(call(school, "PUT", "/programs/homework/fee-plan", p) for p in plans))
    assert sorted(a["version"] for a in answers) == [1, 2, 3, 4, 5, 6]
    assert len(await fee_events(school)) == 6


async def test_en7_the_admin_pages_through_the_history_and_a_guardian_sees_what_they_will_pay(
    school: ServiceClient,
) -> None:
    await call(school, "PUT", "/programs/homework/fee-plan", {"kind": "free", "effective_from": "2026-09-01"})
    seed = await call(school, "PUT", "/programs/homework/fee-plan", SEED_PLAN)  # replaces the free plan today
    monthly = await call(school, "PUT", "/programs/homework/fee-plan", MONTHLY_PLAN)

    page = await call(school, "GET", "/programs/homework/fee-plans?limit=2")
    assert [p["version"] for p in page["items"]] == [1, 2]
    rest = await call(school, "GET", f"/programs/homework/fee-plans?limit=2&after={page['next']}")
    assert ([p["version"] for p in rest["items"]], rest["next"]) == ([3], None)

    family = await call(school, "GET", "/programs/homework/fee-plans", headers=MUM)
    assert [p["fee_plan_id"] for p in family["items"]] == [seed["fee_plan_id"], monthly["fee_plan_id"]]
    for cursor in ("abc", "²", "9" * 30):
        await call(school, "GET", f"/programs/homework/fee-plans?after={cursor}", status=422)


BAD_PLANS: list[tuple[dict[str, Any], str | None]] = [
    ({"effective_from": "2026-08-31"}, "EN-7"),  # a plan never changes the past
    ({"fen_per_class_hour": 0}, "EN-7"),
    ({"fen_per_class_hour": -230}, "EN-7"),
    ({"fen_per_class_hour": 230_000}, "EN-7"),
    ({"max_charged_class_hours_per_day": None}, "EN-7"),
    ({"max_charged_class_hours_per_day": 0}, "EN-7"),
    ({"fen_per_month": 16_000}, "EN-7"),
    ({"kind": "monthly"}, "EN-7"),
    ({"kind": "free"}, "EN-7"),
    ({"fen_per_class_hour": 2.3}, None),  # yuan, not fen: never coerced
    ({"fen_per_class_hour": "230"}, None),
    ({"kind": "weekly"}, None),
    ({"currency": "CNY"}, None),
]


async def test_en7_a_bad_fee_plan_is_refused_and_changes_nothing(school: ServiceClient) -> None:
    before = await published(school)
    for change, rule in BAD_PLANS:
        response = await school.put(f"{V1}/programs/homework/fee-plan", json={**SEED_PLAN, **change}, headers=ADMIN)
        assert response.status_code == 422, (change, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json().get("rule") == rule, change
    assert (await call(school, "GET", "/programs/homework/fee-plans"))["items"] == []
    assert await published(school) == before


async def test_en7_a_cancelled_program_takes_no_plan_from_its_cancellation(school: ServiceClient) -> None:
    await call(school, "POST", "/programs/homework/cancellation", {"effective_on": "2026-10-01"})
    await call(school, "PUT", "/programs/homework/fee-plan", SEED_PLAN)
    await call(school, "PUT", "/programs/homework/fee-plan", MONTHLY_PLAN, status=409)
    await call(school, "PUT", "/programs/nowhere/fee-plan", SEED_PLAN, status=404)


async def test_en7_a_waiver_is_granted_and_revoked_announced_by_student_without_its_reason(
    school: ServiceClient,
) -> None:
    granted = await call(school, "POST", "/students/xiaoming/fee-waivers", WAIVER, status=201)
    assert (granted["reason"], granted["granted_by"]) == (WAIVER["reason"], "教务处")
    half_for_homework = {"program_id": "homework", "percent_payable": 50, "valid_from": "2026-09-01", "reason": "二孩"}
    await call(school, "POST", "/students/xiaohong/fee-waivers", half_for_homework, status=201)
    revoke = {"effective_on": "2026-11-01", "reason": "家庭情况好转"}
    revoked = await call(school, "POST", "/students/xiaoming/fee-waivers/w-xiaoming/revoke", revoke)
    assert revoked["revoked_on"] == "2026-11-01"
    assert await call(school, "POST", "/students/xiaoming/fee-waivers/w-xiaoming/revoke", revoke) == revoked
    await call(school, "POST", "/students/xiaoming/fee-waivers/w-xiaoming/revoke", {}, status=409)

    events = await fee_events(school)
    assert sorted((e.type, e.subject) for e in events) == sorted(
        [
            ("enrollment.fee_waiver_granted.v1", XIAOHONG),
            ("enrollment.fee_waiver_granted.v1", XIAOMING),
            ("enrollment.fee_waiver_revoked.v1", XIAOMING),
        ]
    )
    theirs = next(e for e in events if e.subject == XIAOHONG)
    assert theirs.data["program_id"] == HOMEWORK_ID
    mine = [e for e in events if e.subject == XIAOMING]
    assert [e.type for e in mine] == ["enrollment.fee_waiver_granted.v1", "enrollment.fee_waiver_revoked.v1"]
    assert mine[0].data == {
        "waiver_id": W_XIAOMING,
        "student_id": XIAOMING,
        "school_id": "shiyan",
        "program_id": None,
        "percent_payable": 0,
        "valid_from": "2026-09-01",
        "valid_to": "2027-01-20",
    }
    assert mine[1].data == {
        "waiver_id": W_XIAOMING,
        "student_id": XIAOMING,
        "school_id": "shiyan",
        "effective_on": "2026-11-01",
    }
    assert all("reason" not in e.data and "困难" not in str(e.data) for e in events)


async def test_en7_a_guardian_reads_their_own_childs_waivers_without_the_schools_notes(
    school: ServiceClient,
) -> None:
    await call(school, "POST", "/students/xiaoming/fee-waivers", WAIVER, status=201)
    family = await call(school, "GET", "/students/xiaoming/fee-waivers", headers=MUM)
    assert [w["waiver_id"] for w in family["items"]] == [W_XIAOMING]
    assert family["items"][0]["percent_payable"] == 0
    assert family["items"][0]["reason"] is None
    assert family["items"][0]["granted_by"] is None
    admin = await call(school, "GET", "/students/xiaoming/fee-waivers")
    assert (admin["items"][0]["reason"], admin["items"][0]["external_id"]) == (WAIVER["reason"], "w-xiaoming")


BAD_WAIVERS: list[tuple[str, dict[str, Any], int, str | None]] = [
    ("xiaoming", {"percent_payable": 100}, 422, "EN-7"),  # a waiver lowers the price
    ("xiaoming", {"percent_payable": -1}, 422, "EN-7"),
    ("xiaoming", {"percent_payable": 50.5}, 422, None),
    ("xiaoming", {"valid_to": "2026-08-31"}, 422, "EN-7"),
    ("xiaoming", {"reason": ""}, 422, None),
    ("xiaoming", {"program_id": "nowhere"}, 404, None),
    ("nobody", {}, 404, None),
]


async def test_en7_a_bad_waiver_is_refused_and_changes_nothing(school: ServiceClient) -> None:
    before = await published(school)
    for student, change, status, rule in BAD_WAIVERS:
        body = {**WAIVER, **change}
        response = await school.post(f"{V1}/students/{student}/fee-waivers", json=body, headers=ADMIN)
        assert response.status_code == status, (change, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json().get("rule") == rule, change
    assert (await call(school, "GET", "/students/xiaoming/fee-waivers"))["items"] == []
    assert await published(school) == before


async def test_en7_a_bad_revocation_is_refused_and_changes_nothing(school: ServiceClient) -> None:
    await call(school, "POST", "/students/xiaoming/fee-waivers", WAIVER, status=201)
    await call(school, "POST", "/students/xiaoming/fee-waivers", WAIVER, status=409)  # the same id twice
    before = await published(school)
    revoke = "/students/xiaoming/fee-waivers/w-xiaoming/revoke"
    past = await call(school, "POST", revoke, {"effective_on": "2026-08-31"}, status=422)
    assert past["rule"] == "EN-7"
    await call(school, "POST", revoke, {"effective_on": "2027-01-21"}, status=422)  # it already ends
    await call(school, "POST", "/students/xiaohong/fee-waivers/w-xiaoming/revoke", {}, status=404)
    await call(school, "POST", "/students/xiaoming/fee-waivers/nowhere/revoke", {}, status=404)
    assert (await call(school, "GET", "/students/xiaoming/fee-waivers"))["items"][0]["revoked_on"] is None
    assert await published(school) == before


async def test_en7_another_school_or_family_or_role_gets_nothing_from_any_fee_route(
    school: ServiceClient,
) -> None:
    await call(school, "PUT", "/programs/homework/fee-plan", SEED_PLAN)
    await call(school, "POST", "/students/xiaoming/fee-waivers", WAIVER, status=201)
    before = await published(school)
    revoke = "/students/xiaoming/fee-waivers/w-xiaoming/revoke"
    attempts: list[tuple[str, str, dict[str, Any] | None, dict[str, str], int]] = [
        ("PUT", "/programs/homework/fee-plan", MONTHLY_PLAN, OTHER_ADMIN, 404),
        ("GET", "/programs/homework/fee-plans", None, OTHER_ADMIN, 404),
        ("POST", "/students/xiaoming/fee-waivers", {**WAIVER, "id": "w2"}, OTHER_ADMIN, 404),
        ("GET", "/students/xiaoming/fee-waivers", None, OTHER_ADMIN, 404),
        ("POST", revoke, {}, OTHER_ADMIN, 404),
        ("GET", "/programs/homework/fee-plans", None, OTHER_GUARDIAN, 404),
        ("GET", "/students/xiaoming/fee-waivers", None, OTHER_GUARDIAN, 404),
        ("GET", "/students/xiaoming/fee-waivers", None, DAD, 404),  # another family of the same school
        ("PUT", "/programs/homework/fee-plan", MONTHLY_PLAN, MUM, 403),
        ("POST", "/students/xiaoming/fee-waivers", {**WAIVER, "id": "w3"}, MUM, 403),
        ("POST", revoke, {}, MUM, 403),
        ("GET", "/programs/homework/fee-plans", None, TEACHER, 403),
        ("GET", "/students/xiaoming/fee-waivers", None, TEACHER, 403),
        ("GET", "/programs/homework/fee-plans", None, NO_TOKEN, 401),
    ]
    for method, path, body, headers, status in attempts:
        problem = await call(school, method, path, body, headers, status)
        assert problem["status"] == status, (method, path)
    assert len((await call(school, "GET", "/programs/homework/fee-plans"))["items"]) == 1
    waivers = (await call(school, "GET", "/students/xiaoming/fee-waivers"))["items"]
    assert [(w["waiver_id"], w["revoked_on"]) for w in waivers] == [(W_XIAOMING, None)]
    assert await published(school) == before
