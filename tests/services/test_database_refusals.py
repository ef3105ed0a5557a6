"""A value the database cannot store (a NUL byte in text) is the caller's 422 problem, never a 500, and the error
leaves no parameter value in the logs (issue 11: the guardian's phone number was printed)."""

from __future__ import annotations

import logging

import pytest

from chassis.problems import PROBLEM_JSON
from tests.services.enrollment_school import ADMIN, enrollment_school

pytestmark = pytest.mark.service

PHONE = "13812345678"


async def test_a_nul_byte_is_a_422_and_nothing_is_stored_or_logged(
    pg_url: str, topic_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with enrollment_school(pg_url, topic_prefix) as client:
        body = {"id": "mum", "name": "妈\u0000妈", "phone": PHONE}
        with caplog.at_level(logging.DEBUG):
            refused = await client.post("/enrollment/v1/guardians", json=body, headers=ADMIN)
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"].startswith(PROBLEM_JSON)
        assert PHONE not in refused.text
        assert PHONE not in caplog.text
        stored = await client.post("/enrollment/v1/guardians", json={**body, "name": "妈妈"}, headers=ADMIN)
        assert stored.status_code == 201, stored.text  # the refused request left nothing behind: the id is free
