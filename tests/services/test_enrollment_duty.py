"""The duty roster (值班, AT-6) on the real stack: a school admin names a day's duty leaders, a repeat changes
nothing, a change and a clearing are announced on `enrollment.events` keyed by school, the roster is listed by date
range page by page, and another school's staff, days and callers are refused with problem+json."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from chassis.auth import Role
from services.enrollment.app import DEFINITION
from tests.conftest import ServiceClient, auth, running, stack_settings
from tests.services.conftest import every_page, read_topic
from tests.services.enrollment_school import ADMIN, YUCAI_ADMIN, call, register_two_schools, scoped

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

ZHANG, ZHOU = scoped("staff", "zhang"), scoped("staff", "zhou")
BOTH = sorted([ZHANG, ZHOU])  # the answer lists stored ids in order
TEACHER = auth(Role.CLASS_TEACHER, scoped("staff", "li"), school="shiyan")
DUTY = auth(Role.DUTY_LEADER, ZHANG, school="shiyan")
SET_UP = 6  # two schools and four members of staff


@pytest.fixture
async def enrollment(pg_url: str, topic_prefix: str) -> AsyncIterator[ServiceClient]:
    """实验小学 with duty leaders zhang and zhou and class teacher li; 育才小学 with duty leader wu."""
    async with running(DEFINITION, stack_settings(DEFINITION, pg_url, topic_prefix)) as client:
        await register_two_schools(client)
        for staff_id, roles in (("zhang", ["duty_leader"]), ("zhou", ["duty_leader", "school_admin"]), ("li", [])):
            body = {"id": staff_id, "name": staff_id, "roles": roles or ["class_teacher"]}
            await call(client, "POST", "/staff", body, status=201)
        await call(client, "POST", "/staff", {"id": "wu", "name": "吴", "roles": ["duty_leader"]}, YUCAI_ADMIN, 201)
        yield client


async def rosters(client: ServiceClient, count: int) -> list[dict[str, Any]]:
    """The duty rosters announced, after the fixture's set-up events (all keyed by school)."""
    found = await read_topic(client.prefix, "enrollment.events", count=SET_UP + count)
    assert len(found) == SET_UP + count, [e.type for e in found]
    duty = [e for e in found if e.type == "enrollment.duty_roster_set.v1"]
    assert {(e.subject, e.schoolid) for e in duty} <= {("shiyan", "shiyan")}
    return [e.data for e in duty]


async def test_at_6_a_days_duty_leaders_are_set_once_changed_cleared_and_announced(enrollment: ServiceClient) -> None:
    first = await call(enrollment, "PUT", "/duty-roster/2026-11-25", {"staff_ids": ["zhou", "zhang", "zhou"]})
    assert first == {"school_id": "shiyan", "day": "2026-11-25", "staff_ids": BOTH}
    again = await call(enrollment, "PUT", "/duty-roster/2026-11-25", {"staff_ids": ["zhang", "zhou"]})
    assert again == first  # the same list again: nothing changes, nothing is announced
    keyed = {"Idempotency-Key": "duty-26", **ADMIN}
    body = {"staff_ids": ["zhang"]}
    for _ in range(2):  # a retried request with its key answers the same and announces once
        assert (await call(enrollment, "PUT", "/duty-roster/2026-11-26", body, keyed))["staff_ids"] == [ZHANG]
    await call(enrollment, "PUT", "/duty-roster/2026-11-25", {"staff_ids": ["zhang"]})
    cleared = await call(enrollment, "DELETE", "/duty-roster/2026-11-26")
    assert cleared == {"school_id": "shiyan", "day": "2026-11-26", "staff_ids": []}
    gone = await call(enrollment, "DELETE", "/duty-roster/2026-11-26", status=404)
    assert gone["status"] == 404

    assert await rosters(enrollment, 4) == [
        {"school_id": "shiyan", "day": "2026-11-25", "staff_ids": BOTH},
        {"school_id": "shiyan", "day": "2026-11-26", "staff_ids": [ZHANG]},
        {"school_id": "shiyan", "day": "2026-11-25", "staff_ids": [ZHANG]},
        {"school_id": "shiyan", "day": "2026-11-26", "staff_ids": []},
    ]


async def test_the_roster_is_listed_by_date_range_page_by_page_to_the_schools_own_staff(
    enrollment: ServiceClient,
) -> None:
    for day in ("2026-11-23", "2026-11-24", "2026-11-25", "2026-11-27", "2026-12-01"):
        await call(enrollment, "PUT", f"/duty-roster/{day}", {"staff_ids": ["zhang", "zhou"]})
    await call(enrollment, "PUT", "/duty-roster/2026-11-25", {"staff_ids": ["wu"]}, YUCAI_ADMIN)
    week = {"from": "2026-11-23", "to": "2026-11-29"}
    for headers in (ADMIN, TEACHER, DUTY):
        walked = await every_page(enrollment, "/enrollment/v1/duty-roster", headers, limit=2, params=week)
        assert [(d["day"], d["staff_ids"]) for d in walked] == [
            (day, BOTH) for day in ("2026-11-23", "2026-11-24", "2026-11-25", "2026-11-27")
        ]
    theirs = await every_page(enrollment, "/enrollment/v1/duty-roster", YUCAI_ADMIN, limit=2, params=week)
    assert theirs == [{"school_id": "yucai", "day": "2026-11-25", "staff_ids": [scoped("staff", "wu", "yucai")]}]
    backwards = await call(enrollment, "GET", "/duty-roster?from=2026-11-29&to=2026-11-23", status=422)
    assert backwards["field"] == "to"
    await call(enrollment, "GET", "/duty-roster?from=2026-11-23&to=2026-11-29&after=garbage", status=422)
    await call(enrollment, "GET", "/duty-roster?from=2026-11-23", status=422)
    await call(
        enrollment,
        "GET",
        "/duty-roster?from=2026-11-23&to=2026-11-29",
        headers=auth(Role.GUARDIAN, "mum", school="shiyan"),
        status=403,
    )


async def test_bad_rosters_are_refused_and_change_nothing(enrollment: ServiceClient) -> None:
    day = "/duty-roster/2026-11-25"
    foreign = await call(enrollment, "PUT", day, {"staff_ids": ["zhang", "wu"]}, status=404)
    assert "wu" in foreign["detail"]  # 育才's duty leader is nobody in 实验小学
    not_duty = await call(enrollment, "PUT", day, {"staff_ids": ["li"]}, status=422)
    assert (not_duty["rule"], not_duty["field"]) == ("AT-6", "staff_id")
    await call(enrollment, "PUT", day, {"staff_ids": []}, status=422)
    await call(enrollment, "PUT", day, {"staff_ids": ["zhang"], "note": "typo"}, status=422)
    await call(enrollment, "PUT", "/duty-roster/2026-13-45", {"staff_ids": ["zhang"]}, status=422)
    await call(enrollment, "PUT", day, {"staff_ids": ["zhang"]}, TEACHER, status=403)
    await call(enrollment, "PUT", day, {"staff_ids": ["zhang"]}, DUTY, status=403)
    await call(enrollment, "PUT", day, {"staff_ids": ["zhang"]}, YUCAI_ADMIN, status=404)
    await call(enrollment, "PUT", day, {"staff_ids": ["zhang"]})
    await call(enrollment, "DELETE", day, headers=YUCAI_ADMIN, status=404)  # 育才 has nobody that day
    await call(enrollment, "DELETE", day, headers=TEACHER, status=403)
    listed = await call(enrollment, "GET", "/duty-roster?from=2026-11-25&to=2026-11-25")
    assert listed == {"items": [{"school_id": "shiyan", "day": "2026-11-25", "staff_ids": [ZHANG]}], "next": None}
    assert await rosters(enrollment, 1) == [{"school_id": "shiyan", "day": "2026-11-25", "staff_ids": [ZHANG]}]
