"""Club places on the real stack (EN-3, EN-4, BX-1): allocation runs, capacity under concurrency, waitlists."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from chassis.auth import Role
from tests.conftest import ServiceClient, auth
from tests.services.conftest import read_topic
from tests.services.enrollment_school import (
    ADMIN,
    INTRUDER,
    TERM,
    add_child,
    add_class,
    approved,
    call,
    club,
    enrollment_school,
    guardian,
    post,
    scoped,
    teacher,
)

pytestmark = [pytest.mark.service, pytest.mark.timeout(180)]

SET_UP = 10  # events announcing the fixture's schools, terms, classes and class teachers


def s(code: str) -> str:
    """The stored id of the child created with the code `code` (EN-8/issue 11)."""
    return scoped("student", code)


def p(code: str) -> str:
    """The stored id of the program created with the code `code`."""
    return scoped("program", code)


@pytest.fixture
async def enrollment(pg_url: str, topic_prefix: str) -> AsyncIterator[ServiceClient]:
    """实验小学 with 一年级1班 (class teacher 赵老师) and 三年级1班 (李老师)."""
    async with enrollment_school(pg_url, topic_prefix) as client:
        await add_class(client, "g1c1", 1, "teacher-zhao")
        await add_class(client, "g3c1", 3, "teacher-li")
        yield client


async def child(
    client: ServiceClient, student_id: str, choices: tuple[str, ...] = (), priority: tuple[str, ...] = ()
) -> str:
    """A grade-3 child with an approved application; the application id."""
    await add_child(client, student_id, "g3c1", f"{student_id}-mum", priority)
    return await approved(client, student_id, f"{student_id}-mum", "teacher-li", choices)


async def join(client: ServiceClient, program_id: str, student_id: str, status: int, **extra: object) -> dict[str, Any]:
    body = {"student_id": student_id, **extra}
    result: dict[str, Any] = await post(client, f"/programs/{program_id}/places", body, status=status)
    return result


async def members(client: ServiceClient, program_id: str) -> list[str]:
    page = await call(client, "GET", f"/programs/{program_id}/places", status=200)
    return [p["student_id"] for p in page["items"]]


async def waiting(client: ServiceClient, program_id: str) -> list[str]:
    page = await call(client, "GET", f"/programs/{program_id}/waitlist", status=200)
    return [w["student_id"] for w in page["items"]]


async def test_en_3_a_run_serves_priority_children_first_then_a_seeded_lottery_recorded_and_reproducible(
    enrollment: ServiceClient,
) -> None:
    await post(enrollment, "/programs", club("chess", 1, [2]))
    await post(enrollment, "/programs", club("football", 2, [1, 3]))
    await child(enrollment, "xiaoming", ("chess", "football"), priority=("left_behind",))
    for n in range(5):
        await child(enrollment, f"child{n}", ("chess", "football"))
    await add_child(enrollment, "latecomer", "g3c1", "late-mum")
    body = {"student_id": "latecomer", "term_id": TERM, "club_choices": ["chess"]}
    await post(enrollment, "/applications", body, guardian("late-mum"))  # submitted only: takes no part

    once = {**ADMIN, "Idempotency-Key": "autumn-run"}
    run = await post(enrollment, "/allocation-runs", {"term_id": TERM, "seed": 20260901}, once)
    assert await post(enrollment, "/allocation-runs", {"term_id": TERM, "seed": 20260901}, once) == run  # a retry
    assert run["seed"] == 20260901
    assert run["reproduced"] is True
    assert run["result"]["places"][p("chess")] == [s("xiaoming")]  # EN-3: the left-behind child first
    assert len(run["result"]["places"][p("football")]) == 2
    assert len(run["result"]["waitlists"][p("chess")]) == 5
    assert len(run["inputs"]["applicants"]) == 6
    assert run["allocated"] == 3
    assert await members(enrollment, "chess") == [s("xiaoming")]
    assert await waiting(enrollment, "chess") == run["result"]["waitlists"][p("chess")]
    assert (await call(enrollment, "GET", f"/allocation-runs/{run['run_id']}", status=200)) == run

    again = await post(enrollment, "/allocation-runs", {"term_id": TERM})  # no seed: one is drawn and recorded
    assert isinstance(again["seed"], int)
    assert again["allocated"] == 0  # every place is held; the waitlists are rebuilt
    assert again["reproduced"] is True

    announced = SET_UP + 2 + 6 * 5 + 3 + run["allocated"] + run["waitlisted"] + again["waitlisted"] + 2
    events = await read_topic(enrollment.prefix, "enrollment.events", count=announced)
    completed = [e.data for e in events if e.type == "enrollment.allocation_run_completed.v1"]
    assert next((c["seed"], c["allocated"], c["waitlisted"]) for c in completed) == (20260901, 3, run["waitlisted"])
    allocated = [e for e in events if e.type == "enrollment.club_place_allocated.v1"]
    assert {(e.subject, e.data["program_id"], e.data["run_id"]) for e in allocated} == {
        (s, p, run["run_id"]) for p, students in run["result"]["places"].items() for s in students
    }
    first_waitlist = [
        (e.subject, e.data["position"])
        for e in events
        if e.type == "enrollment.club_place_waitlisted.v1"
        and e.data["program_id"] == p("chess")
        and e.data["run_id"] == run["run_id"]
    ]
    # Different children's events may interleave across partitions; each child's own stay in order.
    expected = sorted((child, n) for n, child in enumerate(run["result"]["waitlists"][p("chess")], 1))
    assert sorted(first_waitlist) == expected


async def test_bx_1_twenty_concurrent_joins_for_the_last_three_places_give_exactly_three(
    enrollment: ServiceClient,
) -> None:
    await post(enrollment, "/programs", club("choir", 5, [0]))
    for n in range(22):
        await child(enrollment, f"c{n:02d}")
    await join(enrollment, "choir", "c20", 201)
    await join(enrollment, "choir", "c21", 201)

    async def attempt(n: int) -> httpx.Response:
        body = {"student_id": f"c{n:02d}", "waitlist_if_full": n % 2 == 0}
        return await enrollment.post("/enrollment/v1/programs/choir/places", json=body, headers=ADMIN)

    responses = await asyncio.gather(*(attempt(n) for n in range(20)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 3, [r.text for r in responses]
    assert set(statuses) <= {201, 202, 409}
    placed = {r.json()["student_id"] for r in responses if r.status_code == 201}
    assert sorted(await members(enrollment, "choir")) == sorted(placed | {s("c20"), s("c21")})
    positions = sorted(r.json()["position"] for r in responses if r.status_code == 202)
    assert positions == list(range(1, len(positions) + 1))
    assert (await call(enrollment, "GET", "/programs/choir", status=200))["places_taken"] == 5


async def test_bx_1_a_freed_place_promotes_the_first_waitlisted_child_at_once(enrollment: ServiceClient) -> None:
    await post(enrollment, "/programs", club("chess", 2, [2]))
    for name in ("a", "b", "c", "d"):
        await child(enrollment, name)
    await join(enrollment, "chess", "a", 201)
    await join(enrollment, "chess", "b", 201)
    await join(enrollment, "chess", "c", 409)  # full, and no waitlist asked for
    assert (await join(enrollment, "chess", "c", 202, waitlist_if_full=True))["position"] == 1
    assert (await join(enrollment, "chess", "d", 202, waitlist_if_full=True))["position"] == 2

    released = await call(enrollment, "DELETE", "/programs/chess/places/a", status=200)
    assert (released["program_id"], released["student_id"], released["promoted"]) == (p("chess"), s("a"), [s("c")])
    assert sorted(await members(enrollment, "chess")) == sorted([s("b"), s("c")])
    assert await waiting(enrollment, "chess") == [s("d")]
    await call(enrollment, "DELETE", "/programs/chess/places/a", status=404)

    change = {k: v for k, v in club("chess", 1, [2]).items() if k not in {"id", "term_id", "kind"}}
    problem = await call(enrollment, "PUT", "/programs/chess", change, status=422)
    assert problem["rule"] == "BX-1"  # capacity below the places held: nothing changes
    assert (await call(enrollment, "GET", "/programs/chess", status=200))["capacity"] == 2
    grown = await call(enrollment, "PUT", "/programs/chess", {**change, "capacity": 3}, status=200)
    assert grown["places_taken"] == 3  # a larger capacity promotes at once
    assert await waiting(enrollment, "chess") == []

    events = await read_topic(enrollment.prefix, "enrollment.events", count=SET_UP + 29)
    places: dict[str, list[str]] = {}
    for event in events:
        if event.type.startswith("enrollment.club_place_") and event.subject is not None:
            places.setdefault(event.subject, []).append(event.type.split(".")[1])
    assert places == {  # each child's events in order (they are keyed by student)
        s("a"): ["club_place_allocated", "club_place_released"],
        s("b"): ["club_place_allocated"],
        s("c"): ["club_place_waitlisted", "club_place_promoted"],
        s("d"): ["club_place_waitlisted", "club_place_promoted"],
    }


async def test_en_2_a_withdrawal_releases_places_from_the_notice_date_and_the_waitlist_moves_up(
    enrollment: ServiceClient,
) -> None:
    await post(enrollment, "/programs", club("chess", 1, [2]))
    application_id = await child(enrollment, "xiaoming")
    await child(enrollment, "xiaohong")
    await join(enrollment, "chess", "xiaoming", 201)
    await join(enrollment, "chess", "xiaohong", 202, waitlist_if_full=True)
    path = f"/applications/{application_id}"
    await post(enrollment, f"{path}/agreement", {}, guardian("xiaoming-mum"), status=200)
    request = {"effective_on": "2026-09-08", "reason": "搬家"}
    await post(enrollment, f"{path}/withdrawal", request, guardian("xiaoming-mum"), status=200)
    assert await members(enrollment, "chess") == [s("xiaoming")]  # nothing moves before the school approves
    enrollment.fake_clock.advance(timedelta(days=2))
    await post(enrollment, f"{path}/withdrawal/approval", {}, status=200)
    assert await members(enrollment, "chess") == [s("xiaohong")]

    events = await read_topic(enrollment.prefix, "enrollment.events", count=SET_UP + 18)
    released = next(e for e in events if e.type == "enrollment.club_place_released.v1")
    assert released.subject == s("xiaoming")
    assert released.data["effective_on"] == "2026-09-08"
    assert any(e.type == "enrollment.club_place_promoted.v1" and e.subject == s("xiaohong") for e in events)


async def test_en_4_a_direct_place_respects_approval_grade_range_and_the_weekly_maximum(
    enrollment: ServiceClient,
) -> None:
    await post(enrollment, "/programs", club("football", 10, [1, 3]))
    await post(enrollment, "/programs", club("chess", 10, [2]))
    await post(enrollment, "/programs", club("dance", 10, [4], grades=(1, 2)))
    await child(enrollment, "xiaoming")
    await join(enrollment, "football", "xiaoming", 201)
    await join(enrollment, "football", "xiaoming", 409)
    assert (await join(enrollment, "chess", "xiaoming", 422))["rule"] == "EN-4"  # 2 sessions a week already
    assert (await join(enrollment, "dance", "xiaoming", 422))["rule"] == "EN-4"  # grades 1–2 only
    await add_child(enrollment, "xiaohong", "g1c1", "hong-mum")
    assert (await join(enrollment, "dance", "xiaohong", 422))["rule"] == "EN-1"  # no approved application
    await join(enrollment, "dance", "nobody", 404)
    homework = club("homework", 100, [0, 1, 2, 3, 4]) | {"kind": "homework_supervision", "class_hours": 2}
    await post(enrollment, "/programs", homework | {"starts_at": "15:40"})
    assert (await join(enrollment, "homework", "xiaoming", 422))["rule"] == "EN-4"  # places are given in clubs
    offers = {"effective_from": "2026-09-01", "overrides": {"max_club_sessions_per_week": 3}}
    await call(enrollment, "PUT", "/policy-profiles/school", offers, status=200)
    await join(enrollment, "chess", "xiaoming", 201)  # the school's own maximum (PL-1)
    fields = {"id", "term_id", "kind"}
    twice = {k: v for k, v in club("chess", 10, [2, 4]).items() if k not in fields}
    assert (await call(enrollment, "PUT", "/programs/chess", twice, status=422))["rule"] == "EN-4"  # 4 > 3 a week
    juniors = {k: v for k, v in club("football", 10, [1, 3], grades=(1, 2)).items() if k not in fields}
    assert (await call(enrollment, "PUT", "/programs/football", juniors, status=422))["rule"] == "EN-4"
    assert (await call(enrollment, "GET", "/programs/chess", status=200))["weekdays"] == [2]


async def test_another_school_or_another_role_gets_nothing_from_the_place_and_run_routes(
    enrollment: ServiceClient,
) -> None:
    await post(enrollment, "/programs", club("chess", 1, [2]))
    await child(enrollment, "xiaoming", ("chess",))
    run = await post(enrollment, "/allocation-runs", {"term_id": TERM, "seed": 7})
    others = (guardian("xiaoming-mum"), teacher("teacher-li"), auth(Role.KIOSK, "gate", school="shiyan"))
    for headers, status in [(INTRUDER, 404), *((h, 403) for h in others)]:
        await post(enrollment, "/programs/chess/places", {"student_id": "xiaoming"}, headers, status=status)
        await call(enrollment, "DELETE", "/programs/chess/places/xiaoming", headers=headers, status=status)
        await call(enrollment, "GET", "/programs/chess/places", headers=headers, status=status)
        await call(enrollment, "GET", "/programs/chess/waitlist", headers=headers, status=status)
        await post(enrollment, "/allocation-runs", {"term_id": TERM}, headers, status=status)
        await call(enrollment, "GET", f"/allocation-runs/{run['run_id']}", headers=headers, status=status)
    assert await members(enrollment, "chess") == [s("xiaoming")]


async def test_en_8_a_child_leaving_or_moving_out_of_a_clubs_grades_frees_the_place_for_the_waitlist(
    enrollment: ServiceClient,
) -> None:
    await post(enrollment, "/programs", club("chess", 1, [2], grades=(3, 6)))
    await post(enrollment, "/programs", club("choir", 1, [3], grades=(1, 6)))
    for name in ("a", "b", "c"):
        await child(enrollment, name)
    await join(enrollment, "chess", "a", 201)
    await join(enrollment, "choir", "a", 201)
    await join(enrollment, "chess", "b", 202, waitlist_if_full=True)
    await join(enrollment, "choir", "b", 202, waitlist_if_full=True)

    # Moved to grade 1: chess (grades 3–6) no longer suits the child, choir (1–6) still does.
    await post(enrollment, "/students/a/transfer", {"to_class_id": "g1c1"}, status=200)
    assert await members(enrollment, "chess") == [s("b")]
    assert await members(enrollment, "choir") == [s("a")]

    await join(enrollment, "choir", "c", 202, waitlist_if_full=True)
    await post(enrollment, "/students/a/leave", {}, status=200)
    assert await members(enrollment, "choir") == [s("b")]  # first on the waitlist
    assert await waiting(enrollment, "choir") == [s("c")]
