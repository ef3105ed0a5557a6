"""Ids scoped per school on the real stack (EN-8, issue 11): a school's codes never collide with another school's,
so no answer tells one school what codes another uses, and no school can name another's rows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.conftest import ServiceClient
from tests.services import enrollment_school as shared
from tests.services.enrollment_school import ADMIN, YUCAI_ADMIN, call, post

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

SPRING = {"id": "t-spring", "name": "2027春季学期", "starts_on": "2027-02-20", "ends_on": "2027-07-10"}


async def school_with_codes(client: ServiceClient, admin: dict[str, str], school: str, term: str) -> dict[str, Any]:
    """Every kind of row a school creates with its own code, all with the same codes; the answers, by kind."""
    made: dict[str, Any] = {
        "class": await post(client, "/classes", {"id": "c-1", "grade": 3, "name": f"{school} 三年级1班"}, admin),
        "student": await post(client, "/students", {"id": "s-1", "class_id": "c-1", "name": f"{school} 小明"}, admin),
        "guardian": await post(
            client, "/guardians", {"id": "g-1", "name": f"{school} 王芳", "phone": "13800000000"}, admin
        ),
        "term": await post(client, "/terms", SPRING, admin),
        "band": await post(client, "/grade-bands", {"id": "b-1", "name": "低年级", "grades": [1, 2]}, admin),
        "room": await post(client, "/rooms", {"id": "r-1", "name": f"{school} 体育馆", "capacity": 40}, admin),
        "staff": await post(
            client, "/staff", {"id": "st-1", "name": f"{school} 李老师", "roles": ["class_teacher"]}, admin
        ),
        "program": await post(client, "/programs", {**shared.club("p-1", 10, [1, 3]), "term_id": term}, admin),
    }
    await post(client, "/students/s-1/guardians", {"guardian_id": "g-1", "relation": "母亲"}, admin)
    await call(client, "PUT", "/classes/c-1/class-teacher", {"staff_id": "st-1"}, admin)
    waiver = {"id": "w-1", "percent_payable": 50, "valid_from": "2026-09-01", "reason": "家庭经济困难"}
    made["waiver"] = await post(client, "/students/s-1/fee-waivers", waiver, admin)
    person = {"id": "pp-1", "name": "爷爷", "relation": "祖父", "credential_ref": f"card-{school}"}
    made["pickup"] = await post(client, "/students/s-1/pickups", person, admin)
    application = {"id": "a-1", "student_id": "s-1", "term_id": term, "club_choices": ["p-1"]}
    made["application"] = await post(client, "/applications", application, shared.guardian("g-1", school))
    return made


async def as_seen_by(client: ServiceClient, admin: dict[str, str]) -> list[Any]:
    """What the school's admin reads of each of its rows, named by the school's codes."""
    return [
        await call(client, "GET", path, headers=admin)
        for path in (
            "/students/s-1",
            "/guardians/g-1",
            "/terms/t-spring",
            "/staff/st-1",
            "/programs/p-1",
            "/applications/a-1",
            "/classes/c-1/class-teacher",
            "/students/s-1/pickups",
            "/students/s-1/fee-waivers",
            "/grade-bands",
            "/rooms",
        )
    ]


@pytest.fixture
async def enrollment(pg_url: str, topic_prefix: str) -> AsyncIterator[ServiceClient]:
    async with shared.enrollment_school(pg_url, topic_prefix) as client:
        yield client


async def test_en8_a_school_uses_codes_another_school_uses_and_learns_nothing_of_its_rows(
    enrollment: ServiceClient,
) -> None:
    """EN-8/issue 11: school B (育才) creates a class, student, guardian, term, band, room, member of staff, program,
    waiver, pickup person and application with the codes school A (实验) already uses: every one succeeds and A's
    rows are untouched; A's admin naming B's stored ids gets 404 for every kind; the same code again in the same
    school is still a 409."""
    school_a = await school_with_codes(enrollment, ADMIN, "shiyan", shared.TERM)
    seen_by_a = await as_seen_by(enrollment, ADMIN)

    school_b = await school_with_codes(enrollment, YUCAI_ADMIN, "yucai", "yucai-t1")

    assert await as_seen_by(enrollment, ADMIN) == seen_by_a
    assert school_a["student"]["student_id"] == shared.scoped("student", "s-1")
    assert school_b["student"]["student_id"] == shared.scoped("student", "s-1", school="yucai")
    assert (school_b["class"]["external_id"], school_b["class"]["school_id"]) == ("c-1", "yucai")
    assert (school_b["application"]["external_id"], school_b["application"]["term_id"]) == (
        "a-1",
        shared.scoped("term", "yucai-t1", school="yucai"),
    )
    assert school_b["application"]["club_choices"] == [school_b["program"]["program_id"]]

    b = {kind: answer[f"{kind}_id"] for kind, answer in school_b.items() if f"{kind}_id" in answer}
    b |= {"band": school_b["band"]["band_id"], "pickup": school_b["pickup"]["person_id"]}
    waiver = school_b["waiver"]["waiver_id"]
    for method, path, body in [
        ("GET", f"/students/{b['student']}", None),
        ("GET", f"/guardians/{b['guardian']}", None),
        ("GET", f"/terms/{b['term']}", None),
        ("PUT", f"/grade-bands/{b['band']}", {"name": "低年级", "grades": [1, 2]}),
        ("PUT", f"/rooms/{b['room']}", {"name": "体育馆", "capacity": 40}),
        ("GET", f"/staff/{b['staff']}", None),
        ("GET", f"/programs/{b['program']}", None),
        ("GET", f"/classes/{b['class']}/class-teacher", None),
        ("POST", f"/students/s-1/fee-waivers/{waiver}/revoke", {}),
        ("DELETE", f"/students/s-1/pickups/{b['pickup']}", None),
        ("GET", f"/applications/{b['application']}", None),
    ]:
        await call(enrollment, method, path, body, ADMIN, status=404)

    again: list[tuple[str, dict[str, Any]]] = [
        ("/classes", {"id": "c-1", "grade": 3, "name": "三年级2班"}),
        ("/students", {"id": "s-1", "class_id": "c-1", "name": "小红"}),
        ("/guardians", {"id": "g-1", "name": "李丽", "phone": "13900000000"}),
        ("/terms", {**SPRING, "starts_on": "2027-08-01", "ends_on": "2027-08-20"}),
        ("/grade-bands", {"id": "b-1", "name": "高年级", "grades": [5, 6]}),
        ("/rooms", {"id": "r-1", "name": "音乐室", "capacity": 30}),
        ("/staff", {"id": "st-1", "name": "张老师", "roles": ["service_teacher"]}),
        ("/programs", shared.club("p-1", 10, [2])),
        (
            "/students/s-1/fee-waivers",
            {"id": "w-1", "percent_payable": 0, "valid_from": "2026-10-01", "reason": "低保"},
        ),
        ("/students/s-1/pickups", {"id": "pp-1", "name": "奶奶", "relation": "祖母", "credential_ref": "card-2"}),
    ]
    for path, created in again:
        problem = await post(enrollment, path, created, ADMIN, status=409)
        assert "already exists" in problem["detail"], (path, problem)
    # Another term, so the child has no open application and the code is what is refused.
    application = {"id": "a-1", "student_id": "s-1", "term_id": "t-spring"}
    problem = await post(enrollment, "/applications", application, shared.guardian("g-1"), 409)
    assert "'a-1' already exists" in problem["detail"]
