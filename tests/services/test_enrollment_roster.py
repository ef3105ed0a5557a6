"""Enrollment's roster API on the real stack: schools, classes, children and guardians, announced as events."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx
import pytest

from chassis.auth import Role
from services.enrollment.app import DEFINITION
from tests.conftest import ServiceClient, auth, running, stack_settings
from tests.services.conftest import read_topic
from tests.services.enrollment_school import ADMIN, OPERATOR, register_school, scoped

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

XIAOMING, XIAOHONG = scoped("student", "xiaoming"), scoped("student", "xiaohong")
G3C1, G3C2 = scoped("class", "g3c1"), scoped("class", "g3c2")
MUM_ID = scoped("guardian", "mum")


@pytest.fixture
async def enrollment(pg_url: str, topic_prefix: str) -> AsyncIterator[ServiceClient]:
    async with running(DEFINITION, stack_settings(DEFINITION, pg_url, topic_prefix)) as client:
        await register_school(client, "shiyan", "实验小学")
        yield client


async def post(
    client: ServiceClient, path: str, body: Mapping[str, object], headers: dict[str, str] = ADMIN, status: int = 201
) -> dict[str, object]:
    response = await client.post(f"/enrollment/v1{path}", json=body, headers=headers)
    assert response.status_code == status, response.text
    result: dict[str, object] = response.json()
    return result


async def test_a_school_sets_up_its_roster_and_every_step_is_announced(enrollment: ServiceClient) -> None:
    await post(enrollment, "/classes", {"id": "g3c1", "grade": 3, "name": "三年级1班"})
    await post(enrollment, "/students", {"id": "xiaoming", "class_id": "g3c1", "name": "小明"})
    await post(enrollment, "/guardians", {"id": "mum", "name": "王芳", "phone": "+86 13800000000"})
    await post(enrollment, "/students/xiaoming/guardians", {"guardian_id": "mum", "relation": "母亲"})

    events = await read_topic(enrollment.prefix, "enrollment.events", count=4)
    assert [e.type for e in events if e.subject == XIAOMING] == [
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
        "guardian_id": MUM_ID,
        "student_id": XIAOMING,
        "school_id": "shiyan",
        "relation": "母亲",
        "preferred_language": "zh",
    }


async def test_a_guardian_sees_their_own_child_and_no_other(enrollment: ServiceClient) -> None:
    await post(enrollment, "/classes", {"id": "g3c1", "grade": 3, "name": "三年级1班"})
    for child in ("xiaoming", "xiaohong"):
        await post(enrollment, "/students", {"id": child, "class_id": "g3c1", "name": child})
    await post(enrollment, "/guardians", {"id": "mum", "name": "王芳", "phone": "13800000000"})
    await post(enrollment, "/students/xiaoming/guardians", {"guardian_id": "mum", "relation": "母亲"})
    mum = auth(Role.GUARDIAN, MUM_ID, school="shiyan")
    own = await enrollment.get("/enrollment/v1/students/xiaoming", headers=mum)
    assert own.json()["guardian_ids"] == [MUM_ID]
    assert (await enrollment.get("/enrollment/v1/students/xiaohong", headers=mum)).status_code == 404
    other_school_admin = auth(Role.SCHOOL_ADMIN, "admin", school="yucai")
    assert (await enrollment.get("/enrollment/v1/students/xiaoming", headers=other_school_admin)).status_code == 404


async def test_bad_roster_input_is_refused_and_changes_nothing(enrollment: ServiceClient) -> None:
    problem = await post(enrollment, "/classes", {"grade": 12, "name": "十二年级"}, status=422)
    assert problem["rule"] == "EN-8"
    await post(enrollment, "/students", {"class_id": "nowhere", "name": "小明"}, status=404)
    await post(enrollment, "/classes", {"id": "g1c1", "grade": 1, "name": "一年级1班"})
    await post(enrollment, "/classes", {"id": "g1c1", "grade": 1, "name": "again"}, status=409)
    await post(enrollment, "/students", {"class_id": "g1c1", "name": "小明", "age": 7}, status=422)
    classes = (await enrollment.get("/enrollment/v1/classes", headers=ADMIN)).json()
    assert [(c["class_id"], c["external_id"]) for c in classes["items"]] == [(scoped("class", "g1c1"), "g1c1")]


async def test_another_schools_admin_cannot_place_children_in_this_school(enrollment: ServiceClient) -> None:
    await post(enrollment, "/classes", {"id": "g2c1", "grade": 2, "name": "二年级1班"})
    intruder = auth(Role.SCHOOL_ADMIN, "admin", school="yucai")
    await post(enrollment, "/students", {"class_id": "g2c1", "name": "小明"}, headers=intruder, status=404)
    assert (await enrollment.get("/enrollment/v1/classes", headers=intruder)).json()["items"] == []


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
    enrollment: ServiceClient, path: str, headers: dict[str, str], status: int
) -> None:
    problem = await post(enrollment, path, {"name": "x"}, headers=headers, status=status)
    assert problem["status"] == status


# --- transfers, leaving, lists, guardians, pickups and walk-home (EN-8, EN-3, BX-2, AT-5) ---------------------

MUM = auth(Role.GUARDIAN, MUM_ID, school="shiyan")
NEIGHBOUR = auth(Role.GUARDIAN, scoped("guardian", "neighbour"), school="shiyan")
TEACHER_LI = auth(Role.CLASS_TEACHER, "li", school="shiyan")
TEACHER_ZHAO = auth(Role.CLASS_TEACHER, "zhao", school="shiyan")
YUCAI_ADMIN = auth(Role.SCHOOL_ADMIN, "admin", school="yucai")
YUCAI_MUM = auth(Role.GUARDIAN, MUM_ID, school="yucai")  # the same guardian id, bound to another school


async def make_class_teacher(client: ServiceClient, staff_id: str, class_id: str) -> None:
    """Assign a class teacher straight in the set-up tables (the set-up slice owns their API)."""
    from services.enrollment.setup.store import ClassTeacher, StaffMember

    runtime = client.runtime
    async with runtime.db.sessions() as session, session.begin():
        session.add(StaffMember(staff_id=staff_id, school_id="shiyan", name=staff_id, roles=["class_teacher"]))
        await session.flush()
        session.add(ClassTeacher(class_id=scoped("class", class_id), school_id="shiyan", staff_id=staff_id))


@pytest.fixture
async def family(enrollment: ServiceClient) -> httpx.AsyncClient:
    """实验小学: 小明 (g3c1, mum 王芳) and 小红 (g3c2, neighbour); 李老师 teaches g3c1, 赵老师 g3c2."""
    await post(enrollment, "/classes", {"id": "g3c1", "grade": 3, "name": "三年级1班"})
    await post(enrollment, "/classes", {"id": "g3c2", "grade": 3, "name": "三年级2班"})
    await post(enrollment, "/students", {"id": "xiaoming", "class_id": "g3c1", "name": "小明"})
    await post(enrollment, "/students", {"id": "xiaohong", "class_id": "g3c2", "name": "小红"})
    await post(enrollment, "/guardians", {"id": "mum", "name": "王芳", "phone": "13800000000"})
    await post(enrollment, "/guardians", {"id": "neighbour", "name": "张伟", "phone": "13900000000"})
    await post(enrollment, "/students/xiaoming/guardians", {"guardian_id": "mum", "relation": "母亲"})
    await post(enrollment, "/students/xiaohong/guardians", {"guardian_id": "neighbour", "relation": "父亲"})
    await make_class_teacher(enrollment, "li", "g3c1")
    await make_class_teacher(enrollment, "zhao", "g3c2")
    return enrollment


async def get(client: ServiceClient, path: str, headers: dict[str, str], status: int = 200) -> Any:
    response = await client.get(f"/enrollment/v1{path}", headers=headers)
    assert response.status_code == status, response.text
    return response.json()


async def test_a_transfer_and_a_leaving_are_announced_in_the_childs_order(family: ServiceClient) -> None:
    """EN-8: StudentTransferred (with the new grade) then StudentLeft, both keyed by the student."""
    moved = await post(
        family, "/students/xiaoming/transfer", {"to_class_id": "g3c2", "effective_on": "2026-03-02"}, status=200
    )
    assert moved["class_id"] == G3C2
    await post(family, "/students/xiaoming/transfer", {"to_class_id": "g3c2"}, status=409)  # already there
    await post(family, "/students/xiaoming/transfer", {"to_class_id": "elsewhere"}, status=404)
    left = await post(family, "/students/xiaoming/leave", {"effective_on": "2026-06-30"}, status=200)
    assert (left["status"], left["left_on"]) == ("left", "2026-06-30")
    await post(family, "/students/xiaoming/leave", {}, status=409)

    events = await read_topic(family.prefix, "enrollment.events", count=9)
    mine = [e for e in events if e.subject == XIAOMING]
    assert [e.type for e in mine][-2:] == ["enrollment.student_transferred.v1", "enrollment.student_left.v1"]
    assert mine[-2].data == {
        "student_id": XIAOMING,
        "school_id": "shiyan",
        "from_class_id": G3C1,
        "to_class_id": G3C2,
        "grade": 3,
        "effective_on": "2026-03-02",
    }


async def test_students_are_listed_by_page_and_class_teachers_see_only_their_class(family: ServiceClient) -> None:
    """A class teacher sees only their class; the school admin sees the whole school, page by page."""
    by_id = sorted((XIAOHONG, XIAOMING))
    first = await get(family, "/students?limit=1", ADMIN)
    assert [s["student_id"] for s in first["items"]] == by_id[:1]
    second = await get(family, f"/students?limit=1&after={first['next']}", ADMIN)
    assert [s["student_id"] for s in second["items"]] == by_id[1:]
    assert second["next"] is None
    own = await get(family, "/students?class_id=g3c1", TEACHER_LI)
    assert [s["student_id"] for s in own["items"]] == [XIAOMING]
    assert (await get(family, f"/students?class_id={G3C1}", TEACHER_LI))["items"] == own["items"]
    await get(family, "/students?class_id=g3c2", TEACHER_LI, status=403)
    await get(family, "/students", TEACHER_LI, status=403)
    await get(family, "/students/xiaoming", TEACHER_LI)
    await get(family, "/students/xiaohong", TEACHER_LI, status=404)
    assert (await get(family, "/students", YUCAI_ADMIN))["items"] == []
    await get(family, "/students", MUM, status=403)


async def test_priority_groups_are_kept_for_allocation(family: ServiceClient) -> None:
    """EN-3: the groups are stored on the student (allocation reads them) and unknown ones are refused."""
    body = {"priority_groups": ["single_parent", "left_behind", "left_behind"]}
    response = await family.put("/enrollment/v1/students/xiaoming/priority-groups", json=body, headers=ADMIN)
    assert response.json()["priority_groups"] == ["left_behind", "single_parent"]
    bad = await family.put(
        "/enrollment/v1/students/xiaoming/priority-groups", json={"priority_groups": ["vip"]}, headers=ADMIN
    )
    assert bad.status_code == 422
    other = await family.put("/enrollment/v1/students/xiaoming/priority-groups", json=body, headers=YUCAI_ADMIN)
    assert other.status_code == 404


async def test_a_guardian_sees_themself_and_their_children_only(family: ServiceClient) -> None:
    own = await get(family, "/guardians/mum", MUM)
    assert own["phone"] == "13800000000"
    assert own["children"] == [{"student_id": XIAOMING, "guardian_id": MUM_ID, "relation": "母亲"}]
    await get(family, "/guardians/neighbour", MUM, status=404)
    await get(family, "/guardians/mum", ADMIN)
    await get(family, "/guardians/mum", YUCAI_ADMIN, status=404)
    await get(family, "/guardians/mum", TEACHER_LI, status=403)
    children = await get(family, "/me/children", MUM)
    assert [c["student_id"] for c in children["items"]] == [XIAOMING]
    assert (await get(family, "/me/children", YUCAI_MUM))["items"] == []
    await get(family, "/me/children", ADMIN, status=403)


async def test_unlinking_a_guardian_is_announced_and_ends_their_pickup(family: ServiceClient) -> None:
    """GuardianUnlinked; the pickup authorisation the guardian held for the child ends with the link (BX-2)."""
    await post(
        family,
        "/students/xiaoming/pickups",
        {"id": "p-mum", "name": "王芳", "relation": "母亲", "credential_ref": "card-1", "guardian_id": "mum"},
    )
    assert (
        await family.delete("/enrollment/v1/students/xiaoming/guardians/mum", headers=YUCAI_ADMIN)
    ).status_code == 404
    assert (await family.delete("/enrollment/v1/students/xiaoming/guardians/mum", headers=MUM)).status_code == 403
    assert (await family.delete("/enrollment/v1/students/xiaoming/guardians/mum", headers=ADMIN)).status_code == 204
    assert (await family.delete("/enrollment/v1/students/xiaoming/guardians/mum", headers=ADMIN)).status_code == 404
    await get(family, "/students/xiaoming", MUM, status=404)
    pickups = await get(family, "/students/xiaoming/pickups", ADMIN)
    assert pickups["authorised"] == []
    events = await read_topic(family.prefix, "enrollment.events", count=10)
    assert [e.type for e in events if e.subject == XIAOMING][-3:] == [
        "enrollment.pickup_person_added.v1",
        "enrollment.pickup_person_removed.v1",
        "enrollment.guardian_unlinked.v1",
    ]


async def test_a_restricted_person_can_never_be_an_authorised_pickup(family: ServiceClient) -> None:
    """BX-2: the custody order's person is published without the note, and their credential is refused (409)."""
    grandpa = {
        "id": "p-grandpa",
        "name": "王建国",
        "relation": "祖父",
        "credential_ref": "card-7",
        "id_number": "110101195001011234",
    }
    await post(family, "/students/xiaoming/pickups", grandpa)
    father = {
        "id": "r-father",
        "name": "李强",
        "relation": "父亲",
        "credential_ref": "card-9",
        "note": "(2025)京0105民初1234号 custody order",
    }
    restricted = await post(family, "/students/xiaoming/restricted-persons", father)
    assert restricted["status"] == "restricted"
    again = {"id": "p-father", "name": "李强", "relation": "父亲", "credential_ref": "card-9"}
    problem = await post(family, "/students/xiaoming/pickups", again, status=409)
    assert problem["rule"] == "BX-2"
    # Restricting someone who was authorised ends the authorisation first.
    await post(
        family,
        "/students/xiaoming/restricted-persons",
        {"id": "r-grandpa", "name": "王建国", "relation": "祖父", "id_number": "110101195001011234", "note": "order 2"},
    )

    pickups = await get(family, "/students/xiaoming/pickups", ADMIN)
    assert pickups["authorised"] == []
    assert {p["external_id"] for p in pickups["restricted"]} == {"r-father", "r-grandpa"}
    assert pickups["restricted"][0]["note"]
    seen_by_mum = await get(family, "/students/xiaoming/pickups", MUM)
    assert all(p["note"] is None for p in seen_by_mum["restricted"])
    await get(family, "/students/xiaoming/pickups", TEACHER_LI)
    for outsider in (NEIGHBOUR, TEACHER_ZHAO, YUCAI_ADMIN):
        await get(family, "/students/xiaoming/pickups", outsider, status=404)

    events = await read_topic(family.prefix, "enrollment.events", count=11)
    types = [e.type for e in events if e.subject == XIAOMING][-4:]
    assert types == [
        "enrollment.pickup_person_added.v1",
        "enrollment.pickup_person_restricted.v1",
        "enrollment.pickup_person_removed.v1",
        "enrollment.pickup_person_restricted.v1",
    ]
    added = next(e.data for e in events if e.type == "enrollment.pickup_person_added.v1")
    assert (added["name"], added["relation"]) == ("王建国", "祖父")  # NT-1: the check-out alert says who collected
    published = b"".join(e.model_dump_json().encode() for e in events)
    assert b"custody" not in published
    assert b"110101195001011234" not in published


async def test_pickup_routes_refuse_other_schools_and_non_admins(family: ServiceClient) -> None:
    body = {"name": "王建国", "relation": "祖父", "credential_ref": "card-7"}
    await post(family, "/students/xiaoming/pickups", body, headers=YUCAI_ADMIN, status=404)
    await post(family, "/students/xiaoming/pickups", body, headers=MUM, status=403)
    restriction = {**body, "note": "order"}
    await post(family, "/students/xiaoming/restricted-persons", restriction, headers=YUCAI_ADMIN, status=404)
    added = await post(family, "/students/xiaoming/pickups", body)
    path = f"/enrollment/v1/students/xiaoming/pickups/{added['person_id']}"
    assert (await family.delete(path, headers=YUCAI_ADMIN)).status_code == 404
    assert (await family.delete(path, headers=TEACHER_LI)).status_code == 403
    assert len((await get(family, "/students/xiaoming/pickups", ADMIN))["authorised"]) == 1
    assert (await family.delete(path, headers=ADMIN)).status_code == 204


async def test_walk_home_permission_is_set_by_a_guardian_of_the_child(family: ServiceClient) -> None:
    """AT-5: the child's guardian (or the admin naming them) sets it; another family or school cannot."""
    path = "/enrollment/v1/students/xiaoming/walk-home"
    mine = await family.put(path, json={"allowed": True, "effective_from": "2026-03-02"}, headers=MUM)
    assert mine.status_code == 200, mine.text
    assert (await family.put(path, json={"allowed": False}, headers=NEIGHBOUR)).status_code == 404
    assert (await family.put(path, json={"allowed": False}, headers=YUCAI_MUM)).status_code == 404
    assert (
        await family.put(path, json={"allowed": False, "guardian_id": "mum"}, headers=YUCAI_ADMIN)
    ).status_code == 404
    assert (await family.put(path, json={"allowed": False}, headers=ADMIN)).status_code == 422  # must name a guardian
    wrong = await family.put(path, json={"allowed": False, "guardian_id": "neighbour"}, headers=ADMIN)
    assert wrong.status_code == 422
    assert (await family.put(path, json={"allowed": False}, headers=TEACHER_LI)).status_code == 403
    pickups = await get(family, "/students/xiaoming/pickups", MUM)
    assert pickups["walk_home"]["allowed"] is True
    withdrawn = await family.put(
        path, json={"allowed": False, "guardian_id": "mum", "effective_from": "2026-04-01"}, headers=ADMIN
    )
    assert withdrawn.json()["set_by"] == "教务处"
    events = await read_topic(family.prefix, "enrollment.events", count=9)
    walk = [e.data for e in events if e.type == "enrollment.walk_home_permission_set.v1"]
    assert walk == [
        {
            "student_id": XIAOMING,
            "school_id": "shiyan",
            "allowed": True,
            "guardian_id": MUM_ID,
            "effective_from": "2026-03-02",
        },
        {
            "student_id": XIAOMING,
            "school_id": "shiyan",
            "allowed": False,
            "guardian_id": MUM_ID,
            "effective_from": "2026-04-01",
        },
    ]


async def test_transfer_leave_and_unlink_refuse_another_school(family: ServiceClient) -> None:
    await post(family, "/students/xiaoming/transfer", {"to_class_id": "g3c2"}, headers=YUCAI_ADMIN, status=404)
    await post(family, "/students/xiaoming/leave", {}, headers=YUCAI_ADMIN, status=404)
    await post(family, "/students/xiaoming/leave", {}, headers=TEACHER_LI, status=403)
    student = await get(family, "/students/xiaoming", ADMIN)
    assert (student["class_id"], student["status"]) == (G3C1, "active")


async def test_the_gate_kiosk_reads_its_schools_active_children_by_name_and_nothing_more(family: ServiceClient) -> None:
    """Issue 12: the web kiosk's tap-a-name list: id, class and name of the active children, no guardians or
    priority groups; only a kiosk of the school reads it."""
    kiosk = auth(Role.KIOSK, "shiyan-kiosk-gate", school="shiyan")
    await post(family, "/students/xiaohong/leave", {}, status=200)
    roster = await get(family, "/kiosk/roster", kiosk)
    assert roster["items"] == [{"student_id": XIAOMING, "class_id": G3C1, "name": "小明"}]
    assert (await get(family, "/kiosk/roster", auth(Role.KIOSK, "yucai-kiosk", school="yucai")))["items"] == []
    await get(family, "/kiosk/roster", ADMIN, status=403)
    await get(family, "/kiosk/roster", MUM, status=403)


async def test_a_service_or_subject_teacher_reads_the_names_of_the_children_they_teach(family: ServiceClient) -> None:
    """Issue 12: the teacher's page names children (HW-7 in session and grading) from id, class and name only; a
    service teacher any of the school's active children, a subject teacher only a class they teach."""
    await post(family, "/staff", {"id": "maths-li", "name": "李老师", "roles": ["subject_teacher"]}, status=201)
    await post(family, "/classes/g3c1/teachings", {"staff_id": "maths-li", "school_subject": "数学"}, status=201)
    await post(family, "/students/xiaohong/leave", {}, status=200)
    service = auth(Role.SERVICE_TEACHER, "service-wang", school="shiyan")
    maths = auth(Role.SUBJECT_TEACHER, scoped("staff", "maths-li"), school="shiyan")
    named = [{"student_id": XIAOMING, "class_id": G3C1, "name": "小明"}]
    assert (await get(family, "/roster", service))["items"] == named
    assert (await get(family, "/roster?class_id=g3c1", maths))["items"] == named
    await get(family, "/roster", maths, status=403)  # no class given
    await get(family, "/roster?class_id=g3c2", maths, status=403)  # a class they do not teach
    await get(
        family, "/roster?class_id=g3c1", auth(Role.SUBJECT_TEACHER, scoped("staff", "maths-li"), school="yucai"), 403
    )
    assert (await get(family, "/roster", auth(Role.SERVICE_TEACHER, "service-wang", school="yucai")))["items"] == []
    await get(family, "/roster", ADMIN, status=403)
    await get(family, "/roster", MUM, status=403)
