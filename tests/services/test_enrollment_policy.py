"""Policy profiles on the real stack (PL-1, PL-2): a district default inherited by its schools, school overrides,
effective dates judged by the school's clock, validation that changes nothing, the audit, and the published
`PolicyProfileSet` events that attendance, homework and stipend keep their copies from."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chassis.auth import Role
from chassis.clock import FakeClock
from contracts.envelope import Envelope
from services.enrollment.app import DEFINITION
from tests.conftest import ServiceClient, auth, running, stack_settings
from tests.services.conftest import read_topic
from tests.services.enrollment_school import ADMIN, OPERATOR, YUCAI_ADMIN, call, register_two_schools

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

OTHER_OPERATOR = auth(Role.DISTRICT_OPERATOR, "教育局-2", district="d2")
TEACHER = auth(Role.SERVICE_TEACHER, "li", school="shiyan")
MUM = auth(Role.GUARDIAN, "mum", school="shiyan")
PROFILE = "enrollment.policy_profile_set.v1"
# 2026-08-20 10:00 in Shanghai: the school's date is the 20th (02:00 UTC).
AUGUST_20 = datetime(2026, 8, 20, 2, 0, tzinfo=UTC)


@pytest.fixture
async def enrollment(pg_url: str, topic_prefix: str) -> AsyncIterator[ServiceClient]:
    """District d1 with 实验小学 (shiyan) and 育才小学 (yucai); district d2 with 新华小学 (xinhua)."""
    clock = FakeClock(AUGUST_20)
    async with running(DEFINITION, stack_settings(DEFINITION, pg_url, topic_prefix), clock=clock) as client:
        await register_two_schools(client)
        await call(client, "POST", "/schools", {"id": "xinhua", "name": "新华小学"}, OTHER_OPERATOR, 201)
        yield client


async def district(client: ServiceClient, on: str, settings: dict[str, Any], status: int = 200) -> Any:
    body = {"effective_from": on, "settings": settings}
    return await call(client, "PUT", "/policy-profiles/district", body, OPERATOR, status)


async def school(client: ServiceClient, on: str, overrides: dict[str, Any], status: int = 200) -> Any:
    body = {"effective_from": on, "overrides": overrides}
    return await call(client, "PUT", "/policy-profiles/school", body, ADMIN, status)


async def profiles(client: ServiceClient, count: int) -> list[Envelope]:
    """The `PolicyProfileSet` events published, expecting `count` of them (3 schools were registered too)."""
    found = await read_topic(client.prefix, "enrollment.events", count=count + 3)
    published = [e for e in found if e.type == PROFILE]
    assert len(published) == count, [(e.subject, e.data["effective_from"]) for e in published]
    return published


async def in_force(client: ServiceClient, on: str, headers: dict[str, str] = TEACHER, query: str = "") -> Any:
    return (await call(client, "GET", f"/policy-profiles/in-force?on={on}{query}", headers=headers))["settings"]


async def test_pl1_every_school_of_the_district_inherits_its_default_from_the_effective_date(
    enrollment: ServiceClient,
) -> None:
    change = await district(enrollment, "2026-09-01", {"class_hour_minutes": 45, "withdrawal_notice_days": 14})
    assert change == {
        "scope": "district",
        "effective_from": "2026-09-01",
        "changed": True,
        "schools": 2,
        "profiles_published": 2,
    }
    assert (await in_force(enrollment, "2026-09-01"))["class_hour_minutes"] == 45
    assert (await in_force(enrollment, "2026-08-31"))["class_hour_minutes"] == 40  # the national default before
    other_district = auth(Role.SCHOOL_ADMIN, "教务处", school="xinhua")
    assert (await in_force(enrollment, "2026-09-01", other_district))["class_hour_minutes"] == 40

    published = await profiles(enrollment, 2)
    assert sorted((e.subject, e.schoolid, e.data["version"]) for e in published) == [
        ("shiyan", "shiyan", 1),
        ("yucai", "yucai", 1),
    ]
    shiyan = next(e for e in published if e.subject == "shiyan")
    assert shiyan.data["effective_from"] == "2026-09-01"
    assert shiyan.data["settings"]["class_hour_minutes"] == 45
    assert shiyan.data["settings"]["withdrawal_notice_days"] == 14
    assert shiyan.data["settings"]["dismissal_times"]["1"] == "17:00:00"


async def test_pl1_a_later_district_change_re_resolves_the_schools_own_later_change_point(
    enrollment: ServiceClient,
) -> None:
    """A school's overrides sit on the district default; a new district default before them re-publishes both."""
    await district(enrollment, "2026-09-01", {"withdrawal_notice_days": 14})
    assert (await school(enrollment, "2026-10-01", {"class_hour_minutes": 45}))["profiles_published"] == 1
    change = await district(enrollment, "2026-09-15", {"withdrawal_notice_days": 10})
    assert (change["schools"], change["profiles_published"]) == (2, 3)  # shiyan: 09-15 and 10-01; yucai: 09-15

    october = await in_force(enrollment, "2026-10-05")
    assert (october["withdrawal_notice_days"], october["class_hour_minutes"]) == (10, 45)
    september = await in_force(enrollment, "2026-09-20")
    assert (september["withdrawal_notice_days"], september["class_hour_minutes"]) == (10, 40)
    history = await call(enrollment, "GET", "/policy-profiles/history", headers=TEACHER)
    assert [(h["effective_from"], h["version"]) for h in history["items"]] == [
        ("2026-09-01", 1),
        ("2026-09-15", 3),
        ("2026-10-01", 4),
    ]

    published = [e for e in await profiles(enrollment, 6) if e.subject == "shiyan"]  # one key: in order
    assert [(e.data["effective_from"], e.data["version"]) for e in published] == [
        ("2026-09-01", 1),
        ("2026-10-01", 2),
        ("2026-09-15", 3),
        ("2026-10-01", 4),
    ]
    assert published[-1].data["settings"]["withdrawal_notice_days"] == 10
    assert published[-1].data["settings"]["class_hour_minutes"] == 45


async def test_pl1_a_change_cannot_reach_into_the_past_so_past_days_keep_their_profile(
    enrollment: ServiceClient,
) -> None:
    await district(enrollment, "2026-09-01", {"withdrawal_notice_days": 14})
    enrollment.fake_clock.advance(timedelta(days=20))  # the school's date: 2026-09-09
    refused = await district(enrollment, "2026-09-08", {"withdrawal_notice_days": 3}, status=422)
    assert (refused["rule"], refused["field"]) == ("PL-1", "effective_from")
    assert (await school(enrollment, "2026-09-01", {"withdrawal_notice_days": 3}, status=422))["rule"] == "PL-1"
    await school(enrollment, "2026-09-09", {"withdrawal_notice_days": 3})  # today is fine
    assert (await in_force(enrollment, "2026-09-08"))["withdrawal_notice_days"] == 14
    assert (await in_force(enrollment, "2026-09-09"))["withdrawal_notice_days"] == 3


async def test_pl1_the_schools_day_is_its_local_date_not_utc(enrollment: ServiceClient) -> None:
    enrollment.fake_clock.advance(timedelta(hours=15))  # 17:00 UTC = 01:00 on the 21st
    assert (await district(enrollment, "2026-08-20", {}, status=422))["rule"] == "PL-1"
    await district(enrollment, "2026-08-21", {})


INVALID: list[tuple[dict[str, Any], str, str]] = [
    ({"class_hour_minutes": 90}, "PL-2", "class_hour_minutes"),
    ({"absence_after_minutes": -1}, "PL-2", "absence_after_minutes"),
    ({"extended_care_end": "18:30"}, "EN-5", "extended_care_end"),
    ({"written_minutes_cap_by_grade": {"2": 15}}, "HW-1", "written_minutes_cap_by_grade.2"),
    ({"written_minutes_cap_by_grade": {"5": 240}}, "HW-2", "written_minutes_cap_by_grade.5"),
    ({"dismissal_times": {"5": "18:30"}}, "EN-5", "dismissal_times.5"),
    ({"not_a_setting": 1}, "PL-2", "not_a_setting"),
]


async def test_pl2_invalid_settings_are_refused_naming_the_rule_and_field_and_change_nothing(
    enrollment: ServiceClient,
) -> None:
    for settings, rule, field in INVALID:
        for refused in (
            await district(enrollment, "2026-09-01", settings, status=422),
            await school(enrollment, "2026-09-01", settings, status=422),
        ):
            assert (refused["rule"], refused["field"]) == (rule, field), settings
    assert (await call(enrollment, "GET", "/policy-profiles/audit", headers=OPERATOR))["items"] == []
    assert (await call(enrollment, "GET", "/policy-profiles/history"))["items"] == []
    assert (await call(enrollment, "GET", "/policy-profiles/district", headers=OPERATOR))["items"] == []
    await profiles(enrollment, 0)


async def test_pl2_a_district_default_that_would_break_a_schools_profile_is_refused_as_a_whole(
    enrollment: ServiceClient,
) -> None:
    await school(enrollment, "2026-09-01", {"extended_care_end": "18:10"})  # fine under latest_end 18:15
    refused = await district(enrollment, "2026-09-05", {"latest_end": "18:00"}, status=422)
    assert refused["rule"] == "EN-5"
    assert "school 'shiyan'" in refused["detail"]
    assert (await in_force(enrollment, "2026-09-10", query=""))["latest_end"] == "18:15:00"
    assert (await call(enrollment, "GET", "/policy-profiles/district", headers=OPERATOR))["items"] == []
    await profiles(enrollment, 1)  # only the school's own change was published


async def test_pl2_every_change_is_audited_with_who_when_scope_and_before_and_after(
    enrollment: ServiceClient,
) -> None:
    await district(enrollment, "2026-09-01", {"withdrawal_notice_days": 14})
    await district(enrollment, "2026-09-01", {"withdrawal_notice_days": 10})
    again = await district(enrollment, "2026-09-01", {"withdrawal_notice_days": 10})
    assert (again["changed"], again["profiles_published"]) == (False, 0)  # the same values: nothing new
    await school(enrollment, "2026-10-01", {"max_club_sessions_per_week": 3})
    await call(enrollment, "PUT", "/policy-profiles/school", {"effective_from": "2026-10-01"}, YUCAI_ADMIN)

    first = await call(enrollment, "GET", "/policy-profiles/audit?limit=2")
    rest = await call(enrollment, "GET", f"/policy-profiles/audit?after={first['next']}")
    entries = first["items"] + rest["items"]
    assert [(e["scope"], e["school_id"], e["actor"], e["actor_role"]) for e in entries] == [
        ("district", None, "教育局-1", "district_operator"),
        ("district", None, "教育局-1", "district_operator"),
        ("school", "shiyan", "教务处", "school_admin"),
    ]  # 育才小学's own change is not 实验小学's business
    assert entries[0]["before"] is None
    assert entries[1]["before"]["withdrawal_notice_days"] == 14
    assert entries[1]["after"]["withdrawal_notice_days"] == 10
    assert (entries[2]["before"], entries[2]["after"]) == (None, {"max_club_sessions_per_week": 3})
    assert entries[2]["effective_from"] == "2026-10-01"
    assert datetime.fromisoformat(entries[2]["at"]) == AUGUST_20
    district_wide = await call(enrollment, "GET", "/policy-profiles/audit", headers=OPERATOR)
    assert len(district_wide["items"]) == 4
    yucai_only = await call(enrollment, "GET", "/policy-profiles/audit?school_id=yucai", headers=OPERATOR)
    assert [e["scope"] for e in yucai_only["items"]] == ["district", "district", "school"]


async def test_pl1_a_school_registered_after_the_district_default_gets_its_profiles(
    enrollment: ServiceClient,
) -> None:
    await district(enrollment, "2026-09-01", {"withdrawal_notice_days": 14})
    await district(enrollment, "2026-10-01", {"withdrawal_notice_days": 10})
    enrollment.fake_clock.advance(timedelta(days=15))  # 2026-09-04: 09-01 is in force
    await call(enrollment, "POST", "/schools", {"id": "hongxing", "name": "红星小学"}, OPERATOR, 201)
    hongxing = auth(Role.SCHOOL_ADMIN, "教务处", school="hongxing")
    assert (await in_force(enrollment, "2026-10-02", hongxing))["withdrawal_notice_days"] == 10
    found = await read_topic(enrollment.prefix, "enrollment.events", count=4 + 4 + 2)
    new_school = [e for e in found if e.subject == "hongxing"]
    assert [(e.type, e.data.get("effective_from"), e.data.get("version")) for e in new_school] == [
        ("enrollment.school_registered.v1", None, None),
        (PROFILE, "2026-09-01", 1),
        (PROFILE, "2026-10-01", 2),
    ]


async def test_a_district_operator_reads_any_school_of_their_district_and_none_other(
    enrollment: ServiceClient,
) -> None:
    await district(enrollment, "2026-09-01", {"withdrawal_notice_days": 14})
    assert (await in_force(enrollment, "2026-09-01", OPERATOR, "&school_id=yucai"))["withdrawal_notice_days"] == 14
    await call(enrollment, "GET", "/policy-profiles/in-force?on=2026-09-01", headers=OPERATOR, status=422)
    for path in ("/in-force?on=2026-09-01&", "/history?", "/audit?"):
        await call(enrollment, "GET", f"/policy-profiles{path}school_id=shiyan", headers=OTHER_OPERATOR, status=404)
        await call(enrollment, "GET", f"/policy-profiles{path}school_id=shiyan", headers=YUCAI_ADMIN, status=404)
    assert (await call(enrollment, "GET", "/policy-profiles/district", headers=OTHER_OPERATOR))["items"] == []
    assert (await call(enrollment, "GET", "/policy-profiles/audit", headers=OTHER_OPERATOR))["items"] == []


async def test_roles_that_may_not_set_or_read_profiles_get_a_problem_and_change_nothing(
    enrollment: ServiceClient,
) -> None:
    body = {"effective_from": "2026-09-01", "settings": {"withdrawal_notice_days": 1}}
    overrides = {"effective_from": "2026-09-01", "overrides": {"withdrawal_notice_days": 1}}
    for headers in (ADMIN, TEACHER, MUM):
        await call(enrollment, "PUT", "/policy-profiles/district", body, headers, 403)
    for headers in (OPERATOR, TEACHER, MUM):
        await call(enrollment, "PUT", "/policy-profiles/school", overrides, headers, 403)
    await call(enrollment, "GET", "/policy-profiles/in-force?on=2026-09-01", headers=MUM, status=403)
    await call(enrollment, "GET", "/policy-profiles/audit", headers=TEACHER, status=403)
    await call(enrollment, "GET", "/policy-profiles/district", headers=ADMIN, status=403)
    await district(enrollment, "2026-09-01", {"withdrawal_notice_days": 5})
    await call(enrollment, "PUT", "/policy-profiles/district", body, OTHER_OPERATOR)  # their own district only
    assert (await in_force(enrollment, "2026-09-01"))["withdrawal_notice_days"] == 5
    assert len(await profiles(enrollment, 3)) == 3  # shiyan and yucai from d1, xinhua from d2


async def test_pl1_concurrent_changes_leave_every_published_profile_equal_to_what_is_in_force(
    enrollment: ServiceClient,
) -> None:
    """District and school changes racing each other: the last version of every change point is the resolution."""
    await asyncio.gather(
        district(enrollment, "2026-09-01", {"withdrawal_notice_days": 14}),
        district(enrollment, "2026-09-15", {"withdrawal_notice_days": 10, "class_hour_minutes": 45}),
        school(enrollment, "2026-09-10", {"class_hour_minutes": 35}),
        school(enrollment, "2026-10-01", {"withdrawal_notice_days": 3}),
        district(enrollment, "2026-11-01", {"max_club_sessions_per_week": 3}),
    )
    history = (await call(enrollment, "GET", "/policy-profiles/history"))["items"]
    assert [h["effective_from"] for h in history] == [
        "2026-09-01",
        "2026-09-10",
        "2026-09-15",
        "2026-10-01",
        "2026-11-01",
    ]
    for point in history:
        assert point["settings"] == await in_force(enrollment, point["effective_from"])
    yucai = (await call(enrollment, "GET", "/policy-profiles/history?school_id=yucai", headers=OPERATOR))["items"]
    total = max(h["version"] for h in history) + max(h["version"] for h in yucai)  # each version once per school
    published = [e for e in await profiles(enrollment, total) if e.subject == "shiyan"]
    versions = [e.data["version"] for e in published]
    assert versions == sorted(set(versions))  # strictly increasing in the key's order
    latest = {e.data["effective_from"]: e.data for e in published}
    assert {d: (v["version"], v["settings"]) for d, v in latest.items()} == {
        h["effective_from"]: (h["version"], h["settings"]) for h in history
    }
