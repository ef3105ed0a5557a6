"""A school set up through enrollment's own API, for the programs, applications and allocation service tests.

实验小学 (`shiyan`) with the autumn term `t1`, a class per grade when asked, each with its class teacher, and
children with a guardian each. Time is a fake clock on the first day of term (school-local 2026-09-01 09:00).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Any

import httpx

from chassis.auth import Role
from chassis.clock import SCHOOL_TZ, FakeClock
from services.enrollment.app import DEFINITION
from services.enrollment.domain.imports import new_id
from tests.conftest import ServiceClient, auth, running, stack_settings

SCHOOL = "shiyan"
TERM = "t1"
FIRST_DAY = datetime(2026, 9, 1, 9, 0, tzinfo=SCHOOL_TZ)
OPERATOR = auth(Role.DISTRICT_OPERATOR, "教育局-1", district="d1")
ADMIN = auth(Role.SCHOOL_ADMIN, "教务处", school=SCHOOL)
INTRUDER = auth(Role.SCHOOL_ADMIN, "admin", school="yucai")
YUCAI_ADMIN = auth(Role.SCHOOL_ADMIN, "教务处", school="yucai")


def scoped(kind: str, code: str, school: str = SCHOOL) -> str:
    """The stored id enrollment gives the school's row of `kind` created with the code `code` (EN-8/issue 11)."""
    return new_id(school, kind, code)


def guardian(guardian_id: str, school: str = SCHOOL) -> dict[str, str]:
    """The headers of the guardian the school created with the code `guardian_id` (their token names the stored id)."""
    return auth(Role.GUARDIAN, scoped("guardian", guardian_id, school), school=school)


def teacher(staff_id: str, school: str = SCHOOL) -> dict[str, str]:
    """The headers of the class teacher the school created with the code `staff_id` (the token names the stored id)."""
    return auth(Role.CLASS_TEACHER, scoped("staff", staff_id, school), school=school)


async def call(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    body: Mapping[str, object] | None = None,
    headers: dict[str, str] = ADMIN,
    status: int = 200,
) -> Any:
    """`/enrollment/v1{path}` answering `status`, an error as problem+json; the JSON answer (None when empty)."""
    response = await client.request(method, f"/enrollment/v1{path}", json=body, headers=headers)
    assert (response.status_code, response.status_code < 400 or response.headers["content-type"]) == (
        status,
        True if status < 400 else "application/problem+json",
    ), response.text
    return response.json() if response.content else None


async def register_school(client: httpx.AsyncClient, school_id: str, name: str) -> None:
    """A school of district d1, registered by its operator."""
    await call(client, "POST", "/schools", {"id": school_id, "name": name}, OPERATOR, 201)


async def register_two_schools(client: httpx.AsyncClient) -> None:
    """实验小学 (shiyan) and 育才小学 (yucai) of district d1."""
    await register_school(client, SCHOOL, "实验小学")
    await register_school(client, "yucai", "育才小学")


async def post(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], headers: dict[str, str] = ADMIN, status: int = 201
) -> Any:
    """POST and check the status."""
    return await call(client, "POST", path, body, headers, status)


@contextlib.asynccontextmanager
async def enrollment_school(pg_url: str, topic_prefix: str) -> AsyncIterator[ServiceClient]:
    """Enrollment on the real stack with 实验小学 and its term registered; `client.prefix`, `client.clock` set."""
    clock = FakeClock(FIRST_DAY)
    async with running(DEFINITION, stack_settings(DEFINITION, pg_url, topic_prefix), clock=clock) as client:
        await register_two_schools(client)
        term = {"id": TERM, "name": "2026秋季学期", "starts_on": "2026-09-01", "ends_on": "2027-01-20"}
        await post(client, "/terms", term)
        await post(client, "/terms", {**term, "id": "yucai-t1"}, INTRUDER)
        yield client


async def add_class(client: httpx.AsyncClient, class_id: str, grade: int, teacher_id: str) -> None:
    """A class of `grade` whose class teacher is `teacher_id`."""
    await post(client, "/classes", {"id": class_id, "grade": grade, "name": f"{grade}年级{class_id}"})
    await post(client, "/staff", {"id": teacher_id, "name": teacher_id, "roles": ["class_teacher"]})
    await call(client, "PUT", f"/classes/{class_id}/class-teacher", {"staff_id": teacher_id}, status=200)


async def add_child(
    client: httpx.AsyncClient, student_id: str, class_id: str, guardian_id: str, priority_groups: tuple[str, ...] = ()
) -> None:
    """A child in the class with one guardian."""
    child = {"id": student_id, "class_id": class_id, "name": student_id, "priority_groups": list(priority_groups)}
    await post(client, "/students", child)
    await post(client, "/guardians", {"id": guardian_id, "name": guardian_id, "phone": "13800000000"})
    await post(client, f"/students/{student_id}/guardians", {"guardian_id": guardian_id, "relation": "母亲"})


def club(program_id: str, capacity: int, weekdays: list[int], grades: tuple[int, int] = (1, 6)) -> dict[str, Any]:
    """A club of the term, an hour and a bit after regular classes."""
    return {
        "id": program_id,
        "term_id": TERM,
        "kind": "club",
        "name": program_id,
        "capacity": capacity,
        "weekdays": weekdays,
        "starts_at": "16:00",
        "class_hours": 1,
        "min_grade": grades[0],
        "max_grade": grades[1],
    }


def homework_supervision(program_id: str, name: str, term: str = TERM) -> dict[str, Any]:
    """The term's homework supervision for every grade, school days after classes (two class-hours)."""
    return {
        "id": program_id,
        "term_id": term,
        "kind": "homework_supervision",
        "name": name,
        "capacity": 60,
        "weekdays": [0, 1, 2, 3, 4],
        "starts_at": "15:40:00",
        "class_hours": 2,
        "min_grade": 1,
        "max_grade": 6,
    }


async def approved(
    client: httpx.AsyncClient, student_id: str, guardian_id: str, teacher_id: str, choices: tuple[str, ...] = ()
) -> str:
    """Apply for the child, pass the class review and the school's approval; the application id."""
    body = {"student_id": student_id, "term_id": TERM, "club_choices": list(choices)}
    application = await post(client, "/applications", body, guardian(guardian_id))
    application_id: str = application["application_id"]
    await post(client, f"/applications/{application_id}/review", {}, teacher(teacher_id), status=200)
    await post(client, f"/applications/{application_id}/approval", {}, status=200)
    return application_id
