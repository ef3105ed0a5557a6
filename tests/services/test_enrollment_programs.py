"""Programs on the real stack (EN-4, EN-5, EN-6): published, changed and cancelled by the school, announced."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from chassis.auth import Role
from tests.conftest import ServiceClient, auth
from tests.services.conftest import read_topic
from tests.services.enrollment_school import (
    ADMIN,
    INTRUDER,
    TERM,
    call,
    club,
    enrollment_school,
    guardian,
    post,
    scoped,
)

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]


@pytest.fixture
async def enrollment(pg_url: str, topic_prefix: str) -> AsyncIterator[ServiceClient]:
    async with enrollment_school(pg_url, topic_prefix) as client:
        await post(client, "/rooms", {"id": "gym", "name": "体育馆", "capacity": 60})
        await post(client, "/staff", {"id": "coach-zhang", "name": "张教练", "roles": ["service_teacher"]})
        provider = {"id": "go-academy", "name": "围棋学校", "roles": ["external_provider"], "external": True}
        await post(client, "/staff", provider)
        yield client


def homework(**changes: Any) -> dict[str, Any]:
    body = {
        "id": "homework-1-2",
        "term_id": TERM,
        "kind": "homework_supervision",
        "name": "作业辅导（一二年级）",
        "capacity": 120,
        "weekdays": [0, 1, 2, 3, 4],
        "starts_at": "15:40",
        "class_hours": 2,
        "min_grade": 1,
        "max_grade": 2,
    }
    return body | changes


async def test_en_4_a_school_layers_a_course_by_grade_band_changes_and_cancels_it_and_each_change_is_announced(
    enrollment: ServiceClient,
) -> None:
    await post(enrollment, "/programs", homework())
    junior = club("football-1-2", 20, [1, 3], grades=(1, 2)) | {"room_id": "gym", "teacher_ids": ["coach-zhang"]}
    senior = club("football-3-6", 30, [2], grades=(3, 6)) | {"room_id": "gym", "specialty": True}
    await post(enrollment, "/programs", junior)
    await post(enrollment, "/programs", senior | {"teacher_ids": ["coach-zhang", "go-academy"]})

    changed = await call(
        enrollment,
        "PUT",
        "/programs/football-1-2",
        {k: v for k, v in junior.items() if k not in {"id", "term_id", "kind"}} | {"capacity": 25},
        status=200,
    )
    assert changed["capacity"] == 25
    assert changed["places_taken"] == 0
    cancelled = await post(enrollment, "/programs/football-3-6/cancellation", {}, status=200)
    assert cancelled["cancelled_on"] == "2026-09-01"

    by_id = sorted(scoped("program", code) for code in ("football-1-2", "football-3-6", "homework-1-2"))
    first = await call(enrollment, "GET", f"/programs?term_id={TERM}&limit=2", status=200)
    assert [p["program_id"] for p in first["items"]] == by_id[:2]
    rest = await call(enrollment, "GET", f"/programs?term_id={TERM}&limit=2&after={first['next']}", status=200)
    assert [p["program_id"] for p in rest["items"]] == by_id[2:]
    assert rest["next"] is None
    menu = await call(enrollment, "GET", "/programs?kind=club", headers=guardian("mum"), status=200)
    clubs = {scoped("program", "football-1-2"), scoped("program", "football-3-6")}
    assert {p["program_id"] for p in menu["items"]} == clubs  # guardians read the menu

    events = await read_topic(enrollment.prefix, "enrollment.events", count=12)
    assert len(events) == 12  # 2 schools, 2 terms, a room, 2 staff; 3 programs scheduled, 1 changed, 1 cancelled
    football = [e for e in events if e.subject == scoped("program", "football-1-2")]
    assert [e.type for e in football] == ["enrollment.program_scheduled.v1"] * 2
    assert football[-1].data["capacity"] == 25
    assert football[-1].data["weekdays"] == [1, 3]
    assert football[-1].data["teacher_ids"] == [scoped("staff", "coach-zhang")]
    assert football[-1].data["room_id"] == scoped("room", "gym")
    assert football[-1].data["term_id"] == scoped("term", TERM)
    senior_events = [e for e in events if e.subject == scoped("program", "football-3-6")]
    assert [e.type for e in senior_events] == ["enrollment.program_scheduled.v1", "enrollment.program_cancelled.v1"]
    assert senior_events[0].data["specialty"] is True
    assert senior_events[0].data["min_grade"] == 3


REFUSED = [
    (homework(class_hours=1), "EN-5"),  # the base service gives at least 2 class-hours a day
    (homework(weekdays=[0, 2, 4]), "EN-5"),  # the base service runs 5 days a week
    (homework(starts_at="17:00"), "EN-5"),  # 2 × 40 min from 17:00 ends 18:20, after 18:15
    (club("chess", 10, [5]), "EN-5"),  # Saturday is not a service day
    (club("chess", 10, [1, 1]), "EN-5"),
    (club("chess", 10, [1], grades=(5, 2)), "EN-4"),
    (homework(id="bus", kind="bus", name="校车", class_hours=1, weekdays=[0]), "EN-6"),  # not offered
    (homework(id="noon", kind="noon_care", starts_at="12:00"), "EN-6"),
]


async def test_en_4_en_5_en_6_programs_the_policy_does_not_allow_are_refused_with_the_rule_and_change_nothing(
    enrollment: ServiceClient,
) -> None:
    for body, rule in REFUSED:
        problem = await post(enrollment, "/programs", body, status=422)
        assert problem["rule"] == rule, (body, problem)
    assert (await call(enrollment, "GET", "/programs", status=200))["items"] == []
    events = await read_topic(enrollment.prefix, "enrollment.events", count=6)
    assert not [e for e in events if e.type.startswith("enrollment.program_")]


async def test_en_6_an_optional_service_is_published_once_the_schools_policy_offers_it(
    enrollment: ServiceClient,
) -> None:
    bus = homework(id="bus", kind="bus", name="校车", class_hours=1, starts_at="17:30")
    await post(enrollment, "/programs", bus, status=422)
    offer = {"effective_from": "2026-09-01", "overrides": {"offers_bus": True}}
    await call(enrollment, "PUT", "/policy-profiles/school", offer, status=200)
    assert (await post(enrollment, "/programs", bus))["kind"] == "bus"


async def test_unknown_terms_rooms_and_teachers_are_refused(enrollment: ServiceClient) -> None:
    await post(enrollment, "/programs", club("chess", 10, [1]) | {"term_id": "t9"}, status=404)
    await post(enrollment, "/programs", club("chess", 10, [1]) | {"room_id": "attic"}, status=404)
    await post(enrollment, "/programs", club("chess", 10, [1]) | {"teacher_ids": ["nobody"]}, status=404)
    await post(enrollment, "/programs", club("chess", 10, [1]) | {"term_id": "yucai-t1"}, status=404)
    await post(enrollment, "/programs", club("chess", 10, [1]) | {"capacity": 0}, status=422)
    await post(enrollment, "/programs", club("chess", 10, [1]))
    await post(enrollment, "/programs", club("chess", 10, [1]), status=409)
    await post(enrollment, "/programs/chess/cancellation", {"effective_on": "2026-08-31"}, status=422)
    await post(enrollment, "/programs/chess/cancellation", {"effective_on": "2026-09-07"}, status=200)
    await post(enrollment, "/programs/chess/cancellation", {}, status=409)


async def test_another_schools_token_gets_nothing_from_the_program_routes(enrollment: ServiceClient) -> None:
    await post(enrollment, "/programs", club("chess", 10, [1]))
    change = {k: v for k, v in club("chess", 99, [1]).items() if k not in {"id", "term_id", "kind"}}
    yucai_guardian = guardian("mum", school="yucai")
    for headers in (INTRUDER, yucai_guardian):
        assert (await call(enrollment, "GET", "/programs", headers=headers, status=200))["items"] == []
        await call(enrollment, "GET", "/programs/chess", headers=headers, status=404)
    await call(enrollment, "PUT", "/programs/chess", change, INTRUDER, status=404)
    await post(enrollment, "/programs/chess/cancellation", {}, INTRUDER, status=404)
    await post(enrollment, "/programs", club("chess2", 10, [1]), INTRUDER, status=404)  # t1 is not yucai's term
    for headers in (guardian("mum"), auth(Role.CLASS_TEACHER, "li", school="shiyan"), auth(Role.KIOSK, "gate")):
        await post(enrollment, "/programs", club("chess3", 10, [1]), headers, status=403)
        await call(enrollment, "PUT", "/programs/chess", change, headers, status=403)
    await call(enrollment, "GET", "/programs", headers=auth(Role.KIOSK, "gate", school="shiyan"), status=403)
    program = await call(enrollment, "GET", "/programs/chess", headers=ADMIN, status=200)
    assert program["capacity"] == 10
    assert program["cancelled_on"] is None
