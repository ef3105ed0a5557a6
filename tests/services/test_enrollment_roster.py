"""Enrollment's roster API on the real stack: schools, classes, children and guardians, announced as events."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from chassis.auth import Role
from services.enrollment.app import DEFINITION
from tests.conftest import auth, running, stack_settings
from tests.services.conftest import read_topic

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

OPERATOR = auth(Role.DISTRICT_OPERATOR, "教育局-1", district="d1")
ADMIN = auth(Role.SCHOOL_ADMIN, "教务处", school="shiyan")


@pytest.fixture
async def enrollment(pg_url: str, topic_prefix: str) -> AsyncIterator[httpx.AsyncClient]:
    async with running(DEFINITION, stack_settings(DEFINITION, pg_url, topic_prefix)) as client:
        client.prefix = topic_prefix  # type: ignore[attr-defined]
        assert (
            await client.post("/enrollment/v1/schools", json={"id": "shiyan", "name": "实验小学"}, headers=OPERATOR)
        ).status_code == 201
        yield client


async def post(
    client: httpx.AsyncClient, path: str, body: dict[str, object], headers: dict[str, str] = ADMIN, status: int = 201
) -> dict[str, object]:
    response = await client.post(f"/enrollment/v1{path}", json=body, headers=headers)
    assert response.status_code == status, response.text
    result: dict[str, object] = response.json()
    return result


async def test_a_school_sets_up_its_roster_and_every_step_is_announced(enrollment: httpx.AsyncClient) -> None:
    await post(enrollment, "/classes", {"id": "g3c1", "grade": 3, "name": "三年级1班"})
    await post(enrollment, "/students", {"id": "xiaoming", "class_id": "g3c1", "name": "小明"})
    await post(enrollment, "/guardians", {"id": "mum", "name": "王芳", "phone": "+86 13800000000"})
    await post(enrollment, "/students/xiaoming/guardians", {"guardian_id": "mum", "relation": "母亲"})

    events = await read_topic(enrollment.prefix, "enrollment.events", count=4)  # type: ignore[attr-defined]
    assert [e.type for e in events if e.subject == "xiaoming"] == [
        "enrollment.student_enrolled.v1",
        "enrollment.guardian_linked.v1",
    ]
    assert {e.type for e in events} == {
        "enrollment.school_registered.v1",
        "enrollment.class_created.v1",
        "enrollment.student_enrolled.v1",
        "enrollment.guardian_linked.v1",
    }
    linked = next(e for e in events if e.type == "enrollment.guardian_linked.v1")
    assert "phone" not in linked.data  # no more personal data than the consumers need
    assert linked.data == {
        "guardian_id": "mum",
        "student_id": "xiaoming",
        "school_id": "shiyan",
        "relation": "母亲",
        "preferred_language": "zh",
    }


async def test_a_guardian_sees_their_own_child_and_no_other(enrollment: httpx.AsyncClient) -> None:
    await post(enrollment, "/classes", {"id": "g3c1", "grade": 3, "name": "三年级1班"})
    for child in ("xiaoming", "xiaohong"):
        await post(enrollment, "/students", {"id": child, "class_id": "g3c1", "name": child})
    await post(enrollment, "/guardians", {"id": "mum", "name": "王芳", "phone": "13800000000"})
    await post(enrollment, "/students/xiaoming/guardians", {"guardian_id": "mum", "relation": "母亲"})
    mum = auth(Role.GUARDIAN, "mum", school="shiyan")
    own = await enrollment.get("/enrollment/v1/students/xiaoming", headers=mum)
    assert own.json()["guardian_ids"] == ["mum"]
    assert (await enrollment.get("/enrollment/v1/students/xiaohong", headers=mum)).status_code == 404
    other_school_admin = auth(Role.SCHOOL_ADMIN, "admin", school="yucai")
    assert (await enrollment.get("/enrollment/v1/students/xiaoming", headers=other_school_admin)).status_code == 404


async def test_bad_roster_input_is_refused_and_changes_nothing(enrollment: httpx.AsyncClient) -> None:
    problem = await post(enrollment, "/classes", {"grade": 12, "name": "十二年级"}, status=422)
    assert problem["rule"] == "EN-8"
    await post(enrollment, "/students", {"class_id": "nowhere", "name": "小明"}, status=404)
    await post(enrollment, "/classes", {"id": "g1c1", "grade": 1, "name": "一年级1班"})
    await post(enrollment, "/classes", {"id": "g1c1", "grade": 1, "name": "again"}, status=409)
    await post(enrollment, "/students", {"class_id": "g1c1", "name": "小明", "age": 7}, status=422)
    classes = (await enrollment.get("/enrollment/v1/classes", headers=ADMIN)).json()
    assert [c["class_id"] for c in classes] == ["g1c1"]


async def test_another_schools_admin_cannot_place_children_in_this_school(enrollment: httpx.AsyncClient) -> None:
    await post(enrollment, "/classes", {"id": "g2c1", "grade": 2, "name": "二年级1班"})
    intruder = auth(Role.SCHOOL_ADMIN, "admin", school="yucai")
    await post(enrollment, "/students", {"class_id": "g2c1", "name": "小明"}, headers=intruder, status=404)
    assert (await enrollment.get("/enrollment/v1/classes", headers=intruder)).json() == []


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/schools", ADMIN, 403),
        ("/classes", OPERATOR, 403),
        ("/classes", auth(Role.GUARDIAN, "mum", school="shiyan"), 403),
        ("/students", {}, 401),
    ],
)
async def test_roles_that_may_not_change_the_roster_get_a_problem(
    enrollment: httpx.AsyncClient, path: str, headers: dict[str, str], status: int
) -> None:
    problem = await post(enrollment, path, {"name": "x"}, headers=headers, status=status)
    assert problem["status"] == status
