"""EN-8 bulk roster import on the real stack (PostgreSQL, Kafka): all or nothing, idempotent, announced by change."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from openpyxl import Workbook

from chassis.auth import Role
from services.enrollment.app import DEFINITION
from services.enrollment.imports.handlers import CSV, XLSX
from tests.conftest import ServiceClient, auth, eventually, running, stack_settings
from tests.services.conftest import read_topic
from tests.services.enrollment_school import ADMIN, YUCAI_ADMIN, register_two_schools

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

TOPIC = "enrollment.events"

CLASSES = "班级编号,年级,班级名称\ng3c1,3,三年级1班\ng3c2,三年级,三年级2班\n"
STUDENTS = "学号,姓名,班级,优先类别,性别\n2023001,小明,g3c1,留守儿童,男\n2023002,小红,三年级2班,,女\n"
GUARDIANS = "家长编号,家长姓名,联系电话,语言,学号,关系\nmum,王芳,13800000000,中文,2023001,母亲\n"


@pytest.fixture
async def enrollment(pg_url: str, topic_prefix: str) -> AsyncIterator[ServiceClient]:
    async with running(DEFINITION, stack_settings(DEFINITION, pg_url, topic_prefix)) as client:
        await register_two_schools(client)
        yield client


async def upload(
    client: ServiceClient,
    kind: str,
    content: str | bytes,
    *,
    media_type: str = CSV,
    headers: dict[str, str] = ADMIN,
    status: int = 202,
    query: str = "",
) -> dict[str, Any]:
    """POST a roster file; the answer's JSON after checking its status."""
    body = content.encode() if isinstance(content, str) else content
    response = await client.post(
        f"/enrollment/v1/imports?kind={kind}{query}", content=body, headers={**headers, "Content-Type": media_type}
    )
    assert response.status_code == status, response.text
    result: dict[str, Any] = response.json()
    return result


async def imported(client: ServiceClient, kind: str, content: str | bytes, **options: Any) -> dict[str, Any]:
    """Upload a file and wait for its job to end; the finished job."""
    job = await upload(client, kind, content, **options)
    assert job["status"] == "running"
    path = f"/enrollment/v1/imports/{job['job_id']}"
    finished: dict[str, Any] = {}

    async def done() -> bool:
        finished.update((await client.get(path, headers=ADMIN)).json())
        return bool(finished["status"] != "running")

    await eventually(done)
    assert finished["status"] == "succeeded", finished
    assert finished["rows_done"] == finished["rows_total"]
    return finished


async def class_ids(client: ServiceClient) -> dict[str, str]:
    """The school's class ids by the ids its files use."""
    classes = (await client.get("/enrollment/v1/classes", headers=ADMIN, params={"limit": 500})).json()["items"]
    return {c["external_id"]: c["class_id"] for c in classes}


async def students(client: ServiceClient, headers: dict[str, str] = ADMIN) -> list[dict[str, Any]]:
    page = (await client.get("/enrollment/v1/students", headers=headers)).json()
    items: list[dict[str, Any]] = page["items"]
    return items


async def test_a_roster_imported_from_csv_announces_each_child_by_their_id(enrollment: ServiceClient) -> None:
    """EN-8/EN-3: classes, students (Chinese headers, priority groups) and guardians, each event keyed by the child."""
    assert (await imported(enrollment, "classes", CLASSES))["report"]["created"] == 2
    job = await imported(enrollment, "students", STUDENTS)
    assert job["report"] | {"ignored_columns": ["性别"]} == job["report"]
    assert (job["report"]["created"], job["report"]["events"]) == (2, 2)
    await imported(enrollment, "guardians", GUARDIANS)

    roster, classes = {s["external_id"]: s for s in await students(enrollment)}, await class_ids(enrollment)
    xiaoming = roster["2023001"]
    assert (xiaoming["name"], xiaoming["priority_groups"]) == ("小明", ["left_behind"])
    assert xiaoming["class_id"] == classes["g3c1"]
    assert roster["2023002"]["class_id"] == classes["g3c2"]  # the class was named, not given by id

    events = await read_topic(enrollment.prefix, TOPIC, count=7)
    assert len(events) == 7  # 2 schools, 2 classes, 2 children, 1 link
    enrolled = {e.subject: e for e in events if e.type == "enrollment.student_enrolled.v1"}
    assert set(enrolled) == {xiaoming["student_id"], roster["2023002"]["student_id"]}
    assert enrolled[xiaoming["student_id"]].data["grade"] == 3
    linked = next(e for e in events if e.type == "enrollment.guardian_linked.v1")
    assert linked.subject == xiaoming["student_id"]
    assert linked.data["relation"] == "母亲"
    assert "13800000000" not in linked.model_dump_json()


async def test_reimporting_the_same_files_changes_and_publishes_nothing(enrollment: ServiceClient) -> None:
    for kind, text in (("classes", CLASSES), ("students", STUDENTS), ("guardians", GUARDIANS)):
        await imported(enrollment, kind, text)
    before = await students(enrollment)
    for kind, text in (("classes", CLASSES), ("students", STUDENTS), ("guardians", GUARDIANS)):
        again = await imported(enrollment, kind, text)
        assert (again["report"]["unchanged"], again["report"]["events"]) == (again["rows_total"], 0)
    assert await students(enrollment) == before
    events = await read_topic(enrollment.prefix, TOPIC, count=7)
    assert len(events) == 7


async def test_a_file_with_broken_rows_imports_nothing_and_says_why_row_by_row(enrollment: ServiceClient) -> None:
    await imported(enrollment, "classes", CLASSES)
    broken = "学号,姓名,班级\n2023001,小明,g3c1\n2023002,,g3c1\n2023003,小刚,五年级9班\n2023001,小明,g3c1\n"
    problem = await upload(enrollment, "students", broken, status=422)
    assert problem["rule"] == "EN-8"
    assert problem["report"]["rows"] == 4
    assert [(e["row"], e["column"]) for e in problem["report"]["errors"]] == [(3, "姓名"), (4, "班级"), (5, "学号")]
    assert await students(enrollment) == []
    not_a_file = await upload(enrollment, "students", b"PK\x03\x04 nonsense", media_type=XLSX, status=422)
    assert "XLSX" in not_a_file["detail"]
    await upload(enrollment, "students", "学号\n1\n", media_type="application/json", status=422)
    events = await read_topic(enrollment.prefix, TOPIC, count=4)
    assert len(events) == 4  # the schools and classes only


async def test_an_xlsx_roster_is_imported_like_a_csv_one(enrollment: ServiceClient) -> None:
    await imported(enrollment, "classes", CLASSES)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Student ID", "Name", "Class"])
    sheet.append([2023001, "Ming", "g3c1"])  # 学号 typed as a number
    sheet.append([2023002, "Hong", "g3c2"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    job = await imported(enrollment, "students", buffer.getvalue(), media_type=XLSX)
    assert job["report"]["created"] == 2
    assert sorted(s["external_id"] for s in await students(enrollment)) == ["2023001", "2023002"]


async def test_changed_rows_update_by_their_id_and_publish_what_changed(enrollment: ServiceClient) -> None:
    """EN-8: a moved class is StudentTransferred, a new link GuardianLinked, a restriction PickupPersonRestricted."""
    for kind, text in (("classes", CLASSES), ("students", STUDENTS), ("guardians", GUARDIANS)):
        await imported(enrollment, kind, text)
    moved = STUDENTS.replace("2023001,小明,g3c1", "2023001,小明,g3c2")
    job = await imported(enrollment, "students", moved, query="&effective_on=2026-03-02")
    assert (job["report"]["updated"], job["report"]["unchanged"]) == (1, 1)
    second_child = GUARDIANS + "mum,王芳,13800000000,中文,2023002,母亲\n"
    await imported(enrollment, "guardians", second_child)
    pickups = (
        "学号,接送人编号,接送人姓名,关系,接送凭证,身份证号,类型,备注\n"
        "2023001,grandma,王奶奶,祖母,card-7,,授权,\n"
        "2023001,father,李强,父亲,card-9,110101198001011234,禁止,(2025)京0105民初1234号\n"
    )
    await imported(enrollment, "pickups", pickups)

    xiaoming = next(s for s in await students(enrollment) if s["external_id"] == "2023001")
    classes = await class_ids(enrollment)
    assert xiaoming["class_id"] == classes["g3c2"]
    events = await read_topic(enrollment.prefix, TOPIC, count=11)
    assert len(events) == 11
    transferred = next(e for e in events if e.type == "enrollment.student_transferred.v1")
    assert transferred.subject == xiaoming["student_id"]
    moves = {"from_class_id": classes["g3c1"], "to_class_id": classes["g3c2"], "effective_on": "2026-03-02"}
    assert transferred.data | moves == transferred.data
    assert [e.type for e in events if e.subject == xiaoming["student_id"]][-2:] == [
        "enrollment.pickup_person_added.v1",
        "enrollment.pickup_person_restricted.v1",
    ]
    published = "".join(e.model_dump_json() for e in events)
    assert "民初" not in published
    assert "110101198001011234" not in published
    shown = (await enrollment.get(f"/enrollment/v1/students/{xiaoming['student_id']}/pickups", headers=ADMIN)).json()
    assert [p["name"] for p in shown["restricted"]] == ["李强"]
    assert shown["restricted"][0]["note"].startswith("(2025)")
    assert [p["name"] for p in shown["authorised"]] == ["王奶奶"]


async def test_a_retried_upload_with_the_same_key_gets_the_same_job(enrollment: ServiceClient) -> None:
    keyed = {**ADMIN, "Idempotency-Key": "upload-1"}
    first = await upload(enrollment, "classes", CLASSES, headers=keyed)
    again = await upload(enrollment, "classes", CLASSES, headers=keyed)
    assert again["job_id"] == first["job_id"]
    await upload(enrollment, "classes", CLASSES + "g4c1,4,四年级1班\n", headers=keyed, status=422)

    async def done() -> bool:
        job = (await enrollment.get(f"/enrollment/v1/imports/{first['job_id']}", headers=ADMIN)).json()
        return bool(job["status"] == "succeeded")

    await eventually(done)


async def test_another_school_or_role_gets_nothing_from_imports(enrollment: ServiceClient) -> None:
    job = await imported(enrollment, "classes", CLASSES)
    path = f"/enrollment/v1/imports/{job['job_id']}"
    assert (await enrollment.get(path, headers=YUCAI_ADMIN)).status_code == 404
    for role in (Role.GUARDIAN, Role.CLASS_TEACHER, Role.KIOSK):
        intruder = auth(role, "someone", school="shiyan")
        assert (await enrollment.get(path, headers=intruder)).status_code == 403
        await upload(enrollment, "students", STUDENTS, headers=intruder, status=403)
    # Another school's admin cannot place children in this school's classes: they are not in their school.
    problem = await upload(enrollment, "students", STUDENTS, headers=YUCAI_ADMIN, status=422)
    assert {e["column"] for e in problem["report"]["errors"]} == {"班级"}
    assert await students(enrollment) == []
    assert await students(enrollment, YUCAI_ADMIN) == []
