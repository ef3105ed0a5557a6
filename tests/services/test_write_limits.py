"""Writes are rate limited per token and per school, through Redis so every replica counts together (issue 11)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chassis.auth import Role
from services.enrollment.app import DEFINITION
from tests.conftest import auth, running, school_clock, stack_settings

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

OPERATOR = auth(Role.DISTRICT_OPERATOR, "教育局-1", district="d1")
ADMIN = auth(Role.SCHOOL_ADMIN, "教务处", school="shiyan")
DEPUTY = auth(Role.SCHOOL_ADMIN, "副校长", school="shiyan")
YUCAI = auth(Role.SCHOOL_ADMIN, "教务处", school="yucai")


def guardian(n: int) -> dict[str, str]:
    return {"id": f"g{n}", "name": f"家长{n}", "phone": f"1380000{n:04d}"}


async def test_a_token_over_its_write_limit_gets_a_429_and_nothing_is_written(pg_url: str, topic_prefix: str) -> None:
    settings = stack_settings(
        DEFINITION, pg_url, topic_prefix, write_limit_per_token=3, write_limit_per_school=5, write_limit_seconds=60
    )
    clock = school_clock()
    # Two replicas of the service: the limits are counted in Redis, once for both.
    async with running(DEFINITION, settings, clock=clock) as one, running(DEFINITION, settings, clock=clock) as two:
        for school in ("shiyan", "yucai"):
            registered = await one.post("/enrollment/v1/schools", json={"id": school, "name": school}, headers=OPERATOR)
            assert registered.status_code == 201, registered.text
        for n, replica in ((1, one), (2, two), (3, one)):
            assert (await replica.post("/enrollment/v1/guardians", json=guardian(n), headers=ADMIN)).status_code == 201
        refused = await two.post("/enrollment/v1/guardians", json=guardian(4), headers=ADMIN)
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.headers["Retry-After"] == "60"
        assert (await one.get("/enrollment/v1/guardians/g4", headers=ADMIN)).status_code == 404  # nothing written
        assert (await one.get("/enrollment/v1/guardians/g1", headers=ADMIN)).status_code == 200  # reads are not

        # another admin of the school has their own token's places, until the school's five are taken
        for n in (4, 5):
            assert (await one.post("/enrollment/v1/guardians", json=guardian(n), headers=DEPUTY)).status_code == 201
        assert (await two.post("/enrollment/v1/guardians", json=guardian(6), headers=DEPUTY)).status_code == 429
        # another school is not held up
        assert (await two.post("/enrollment/v1/guardians", json=guardian(7), headers=YUCAI)).status_code == 201

        clock.advance(timedelta(seconds=61))
        assert (await two.post("/enrollment/v1/guardians", json=guardian(8), headers=ADMIN)).status_code == 201
