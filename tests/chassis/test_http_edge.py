"""The HTTP edge every service shares (issue 11): bounded requests (a body over the limit is a 413 problem while it
is read, before it is parsed and before authentication) and the access log (no ids, bodies or tokens)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from chassis.auth import Role
from chassis.problems import PROBLEM_JSON
from services.attendance.app import DEFINITION
from tests.conftest import SECRET, ServiceClient, auth, running

pytestmark = pytest.mark.service

LIMIT = 64 * 1024
BATCH = "/attendance/v1/check-ins/batch"
KIOSK = auth(Role.KIOSK, "s1-gate", school="s1")


@pytest.fixture
async def attendance(tmp_path: Path) -> AsyncIterator[ServiceClient]:
    """Attendance on embedded SQLite and the in-process bus, with a 64 KiB body limit."""
    settings = DEFINITION.settings_class(
        environment="test",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'attendance.db'}",
        bus="memory",
        jwt_secret=SECRET,
        max_body_bytes=LIMIT,
    )
    async with running(DEFINITION, settings) as client:
        yield client


def assert_too_large(response: object) -> None:
    """A 413 problem+json naming the limit."""
    import httpx

    assert isinstance(response, httpx.Response)
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert response.json()["status"] == 413


async def test_an_unauthenticated_oversized_post_is_refused_before_it_is_parsed_or_authenticated(
    attendance: ServiceClient,
) -> None:
    body = b'{"device_id": "' + b"x" * (5 * 1024 * 1024) + b'"}'
    response = await attendance.post(BATCH, content=body, headers={"content-type": "application/json"})
    assert_too_large(response)  # not the 401 a parsed, unauthenticated request gets


async def test_a_chunked_body_without_a_length_is_counted_as_it_arrives(attendance: ServiceClient) -> None:
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(64):
            sent += 16 * 1024
            yield b" " * (16 * 1024)

    response = await attendance.post(BATCH, content=chunks(), headers={**KIOSK, "content-type": "application/json"})
    assert_too_large(response)
    assert sent <= 2 * LIMIT  # reading stopped soon after the limit, not at the end of the megabyte


async def test_a_body_within_the_limit_is_parsed_and_authenticated_as_before(attendance: ServiceClient) -> None:
    events = [{"student_id": "s1", "occurred_at": "2026-11-25T15:01:00+08:00", "method": "card"}]
    anonymous = await attendance.post(BATCH, json={"device_id": "s1-gate", "events": events})
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"].startswith(PROBLEM_JSON)


async def test_the_access_log_names_the_route_and_status_but_no_id_body_or_token(
    attendance: ServiceClient, caplog: pytest.LogCaptureFixture
) -> None:
    child = "child-4711"
    event = {"student_id": child, "occurred_at": "2026-11-25T15:01:00+08:00", "method": "card"}
    with caplog.at_level(logging.INFO, logger="afterschool.access"):
        await attendance.post(BATCH, json={"device_id": "s1-gate", "events": [event]}, headers=KIOSK)
        await attendance.get(f"/attendance/v1/board/sessions/{child}", headers=KIOSK)
    lines = [r for r in caplog.records if r.name == "afterschool.access"]
    assert [(vars(r)["method"], vars(r)["route"], vars(r)["status"]) for r in lines] == [
        ("POST", BATCH, 200),
        ("GET", "/attendance/v1/board/sessions/{session_id}", 403),
    ]
    written = " ".join(f"{r.getMessage()} {vars(r)}" for r in lines)
    assert child not in written
    assert KIOSK["Authorization"].split()[1] not in written
