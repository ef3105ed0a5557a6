"""Input the schema lets through but no school could mean is a 422 problem, never a 500 (issue 11's schemathesis
findings): impossible dates, absurd offsets, weeks at the end of the calendar. Embedded SQLite and the in-process
bus: the refusal happens before any store is reached."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from chassis.app import ServiceDefinition
from chassis.auth import Role
from chassis.problems import PROBLEM_JSON
from chassis.settings import ServiceSettings
from services.attendance.app import DEFINITION as ATTENDANCE
from services.homework.app import DEFINITION as HOMEWORK
from services.stipend.app import DEFINITION as STIPEND
from tests.conftest import SECRET, ServiceClient, auth, running

pytestmark = pytest.mark.service

ADMIN = auth(Role.SCHOOL_ADMIN, "admin", school="s1")
TEACHER = auth(Role.CLASS_TEACHER, "t-li", school="s1")
MUM = auth(Role.GUARDIAN, "mum", school="s1")


def embedded(definition: ServiceDefinition, tmp_path: Path) -> ServiceSettings:
    """The service's settings on a SQLite file and the in-process bus."""
    return definition.settings_class(
        environment="test",
        database_url=f"sqlite+aiosqlite:///{tmp_path / (definition.name + '.db')}",
        bus="memory",
        jwt_secret=SECRET,
    )


@pytest.fixture
async def attendance(tmp_path: Path) -> AsyncIterator[ServiceClient]:
    async with running(ATTENDANCE, embedded(ATTENDANCE, tmp_path)) as client:
        yield client


@pytest.fixture
async def homework(tmp_path: Path) -> AsyncIterator[ServiceClient]:
    async with running(HOMEWORK, embedded(HOMEWORK, tmp_path)) as client:
        yield client


@pytest.fixture
async def stipend(tmp_path: Path) -> AsyncIterator[ServiceClient]:
    async with running(STIPEND, embedded(STIPEND, tmp_path)) as client:
        yield client


def assert_problem(response: object, status: int = 422) -> None:
    import httpx

    assert isinstance(response, httpx.Response)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)


@pytest.mark.parametrize("path", ["/check-outs", "/not-collected", "/dismissal/times"])
async def test_an_impossible_date_is_a_422(attendance: ServiceClient, path: str) -> None:
    assert_problem(await attendance.get(f"/attendance/v1{path}", params={"date": "2026-13-45"}, headers=ADMIN))
    fine = await attendance.get(f"/attendance/v1{path}", params={"date": "2026-11-25"}, headers=ADMIN)
    assert fine.status_code == 200, fine.text


async def test_an_absurd_offset_is_a_422(attendance: ServiceClient) -> None:
    params = {"date": "2000-01-01", "offset": "34783133840877769719808"}
    assert_problem(await attendance.get("/attendance/v1/check-ins", params=params, headers=ADMIN))


async def test_the_school_board_answers_in_embedded_mode(attendance: ServiceClient) -> None:
    board = await attendance.get("/attendance/v1/board/school", headers=ADMIN)
    assert board.status_code == 200, board.text


async def test_a_week_at_the_end_of_the_calendar_is_a_422(homework: ServiceClient) -> None:
    plan = await homework.post("/homework/v1/classes/c1/plans", json={"week_start": "9999-12-27"}, headers=TEACHER)
    assert_problem(plan)
    week = await homework.get("/homework/v1/classes/c1/weeks/9999-12-27", headers=TEACHER)
    assert_problem(week)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/stipend/v1/teacher-statements/0000-01/approve"),
        ("post", "/stipend/v1/teacher-statements/0000-01/publish"),
        ("post", "/stipend/v1/family-statements/0000-01/issue"),
        ("get", "/stipend/v1/exports/teacher-statements/0000-01"),
    ],
)
async def test_a_month_of_year_zero_is_a_422_not_a_500(stipend: ServiceClient, method: str, path: str) -> None:
    # schemathesis found these: `date(0, 1, 31)` raised in the ST-5 month check.
    assert_problem(await stipend.request(method, path, headers=ADMIN))


async def test_a_score_beyond_64_bits_with_an_idempotency_key_is_refused_by_its_rule(stipend: ServiceClient) -> None:
    # schemathesis found this: the idempotency digest could not serialise the integer, a 500 before any rule ran.
    headers = {**MUM, "Idempotency-Key": "survey-1"}
    body = {"student_id": "xiaoming", "score": 2**70}
    answer = await stipend.post("/stipend/v1/surveys/t1/programs/p1/answers", json=body, headers=headers)
    assert answer.status_code in (404, 422), answer.text
    assert answer.headers["content-type"].startswith(PROBLEM_JSON)
