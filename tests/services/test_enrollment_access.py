"""Every enrollment route refuses another school's, another family's and another class's callers (issue 3, "API and
security"): a guardian only their own children, a class teacher only their class, a school admin only their school,
a district operator only their district (EN-1, EN-8, PL-1).

School `one` of district d1 is seeded once per module through the real API on PostgreSQL and Kafka; each OpenAPI
route is then called, filled with `one`'s ids and a body valid for its owner, by every foreign caller: the answer
is 403 or 404 (problem+json), names nothing of `one`, and enrollment's outbox gains no row, i.e. nothing changed.
Routes another school may legitimately call (creating in its own school) are listed in `NOT_CROSS_TENANT`, and
checked to land in the caller's own school. A route without a case fails `test_every_route_has_a_case`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from chassis.clock import FakeClock
from services.enrollment.app import DEFINITION
from tests.conftest import ServiceClient, delete_topics, eventually, fresh_database, running, stack_settings
from tests.services.enrollment_access_cases import (
    ADMIN,
    CASES,
    FOREIGN,
    GUARDIAN_CALLERS,
    OWNERS,
    S1,
    V1,
    Case,
    both,
    leaks,
    seed,
)
from tests.services.enrollment_school import FIRST_DAY

pytestmark = [pytest.mark.service, pytest.mark.timeout(180)]

Check = Callable[[ServiceClient], Awaitable[None]]


async def outbox(client: ServiceClient) -> list[dict[str, Any]]:
    """Enrollment's outbox, oldest first, as envelopes."""
    table = DEFINITION.tables.outbox
    async with client.runtime.db.sessions() as session:
        rows = (await session.execute(select(table.c.payload).order_by(table.c.id))).scalars().all()
    return [json.loads(row) for row in rows]


async def request(client: ServiceClient, case: Case, url: str, caller: str) -> httpx.Response:
    """The case's call by `caller`."""
    headers = FOREIGN[caller]
    body = case.guardian_body if case.guardian_body is not None and caller in GUARDIAN_CALLERS else case.body
    return await client.request(case.method, url, json=body, headers=headers)


async def own_school_creation(
    client: ServiceClient, caller: dict[str, str], method: str, path: str, body: Any, announced: bool = True
) -> list[dict[str, Any]]:
    """A foreign caller's legitimate call: it works, names nothing of `one`, and every event it adds is not `one`'s."""
    before = len(await outbox(client))
    response = await client.request(method, f"{V1}{path}", json=body, headers=caller)
    assert response.status_code in (200, 201), response.text
    assert not leaks(response.text, {}), response.text
    added = (await outbox(client))[before:]
    assert bool(added) is announced, f"{method} {path} announced {added}"
    assert all(event["schoolid"] != S1 for event in added), added
    return added


async def a_d2_school_lands_in_d2(client: ServiceClient) -> None:
    """An operator registers schools in their own district, never another's."""
    added = await own_school_creation(client, FOREIGN["d2-operator"], "POST", "/schools", {"id": "four", "name": "四"})
    assert [(e["data"]["school_id"], e["data"]["district_id"]) for e in added] == [("four", "d2")]


async def created_in_s2(client: ServiceClient, path: str, body: dict[str, Any]) -> None:
    """School `two`'s admin creates in `two`."""
    added = await own_school_creation(client, FOREIGN["s2-admin"], "POST", path, body)
    assert {e["schoolid"] for e in added} == {"two"}


def s2_creates(path: str, body: dict[str, Any]) -> Check:
    """A check that school `two` creates `body` at `path` in itself."""
    return lambda client: created_in_s2(client, path, body)


async def d2_default_reaches_only_d2(client: ServiceClient) -> None:
    """PL-1: a d2 operator's district default is published to d2's schools only."""
    body = {"effective_from": "2026-09-01", "settings": {"class_hour_minutes": 40}}
    added = await own_school_creation(client, FOREIGN["d2-operator"], "PUT", "/policy-profiles/district", body)
    assert {e["schoolid"] for e in added} <= {"three", "four"}


async def s2_overrides_only_s2(client: ServiceClient) -> None:
    """PL-1: a school's overrides are its own."""
    body = {"effective_from": "2026-09-01", "overrides": {"class_hour_minutes": 35}}
    added = await own_school_creation(client, FOREIGN["s2-admin"], "PUT", "/policy-profiles/school", body)
    assert {e["schoolid"] for e in added} == {"two"}


async def s2_registers_a_guardian_of_s2(client: ServiceClient) -> None:
    """EN-8: a guardian registered by `two` (registration announces nothing) is not `one`'s."""
    body = {"id": "two-mum", "name": "妈妈", "phone": "13800000000"}
    await own_school_creation(client, FOREIGN["s2-admin"], "POST", "/guardians", body, announced=False)
    assert (await client.get(f"{V1}/guardians/two-mum", headers=ADMIN)).status_code == 404


async def s2_imports_into_s2(client: ServiceClient) -> None:
    """EN-8: a file naming `one`'s class id (as `two`'s own spreadsheet id) makes a class of `two`, not `one`'s."""
    before = len(await outbox(client))
    headers = {**FOREIGN["s2-admin"], "Content-Type": "text/csv"}
    # one-cb: the taken-code cases already made `two` a class one-ca of its own.
    body = "班级编号,年级,班级名称\none-cb,4,四年级\n".encode()
    response = await client.post(f"{V1}/imports?kind=classes", content=body, headers=headers)
    assert response.status_code == 202, response.text
    job = f"{V1}/imports/{response.json()['job_id']}"

    async def finished() -> bool:
        return bool((await client.get(job, headers=FOREIGN["s2-admin"])).json()["status"] != "running")

    await eventually(finished, timeout=10)
    added = (await outbox(client))[before:]
    assert [(e["type"], e["schoolid"]) for e in added] == [("enrollment.class_created.v1", "two")], added
    assert added[0]["data"]["class_id"] not in both("one-cb")
    classes = (await client.get(f"{V1}/classes", headers=ADMIN)).json()["items"]
    assert {c["external_id"]: c["name"] for c in classes}["one-cb"] == "乙班"


TWO_TERM = {"id": "two-spring", "name": "春季学期", "starts_on": "2027-02-20", "ends_on": "2027-06-30"}
# Routes another school (or district) may call: each creates in the caller's own school or district, because the
# school always comes from the token (never the body). Their check proves it lands there. Those whose body could
# name `one`'s ids (a taken id) also have a case in CASES.
NOT_CROSS_TENANT: dict[tuple[str, str], tuple[str, Check]] = {
    ("POST", f"{V1}/schools"): ("an operator registers schools in their own district", a_d2_school_lands_in_d2),
    ("POST", f"{V1}/terms"): ("a school admin creates terms in their school", s2_creates("/terms", TWO_TERM)),
    ("POST", f"{V1}/classes"): (
        "a school admin creates classes in their school",
        s2_creates("/classes", {"id": "two-ca", "grade": 3, "name": "三年级"}),
    ),
    ("POST", f"{V1}/guardians"): ("a school admin registers guardians of their school", s2_registers_a_guardian_of_s2),
    ("POST", f"{V1}/grade-bands"): (
        "a school admin defines their school's grade bands",
        s2_creates("/grade-bands", {"id": "two-band", "name": "低段", "grades": [1, 2]}),
    ),
    ("POST", f"{V1}/rooms"): (
        "a school admin registers their school's rooms",
        s2_creates("/rooms", {"id": "two-room", "name": "教室", "capacity": 30}),
    ),
    ("POST", f"{V1}/staff"): (
        "a school admin registers their school's staff",
        s2_creates("/staff", {"id": "two-ta", "name": "老师", "roles": ["class_teacher"]}),
    ),
    ("POST", f"{V1}/programs"): (
        "a school admin creates programs of their school's terms",
        s2_creates(
            "/programs",
            {
                "id": "two-club",
                "term_id": "two-term",
                "kind": "club",
                "name": "社团",
                "capacity": 5,
                "weekdays": [1],
                "starts_at": "16:00",
                "class_hours": 1,
                "min_grade": 1,
                "max_grade": 6,
            },
        ),
    ),
    ("PUT", f"{V1}/policy-profiles/district"): (
        "an operator sets their own district's default",
        d2_default_reaches_only_d2,
    ),
    ("PUT", f"{V1}/policy-profiles/school"): ("a school admin sets their own school's overrides", s2_overrides_only_s2),
    ("POST", f"{V1}/imports"): ("a school admin imports into their own school", s2_imports_into_s2),
}


def openapi_routes() -> set[tuple[str, str]]:
    """(METHOD, path) of every enrollment route the OpenAPI documents (Starlette includes routers lazily)."""
    settings = DEFINITION.settings_class(environment="test", database_url="sqlite+aiosqlite://", bus="memory")
    paths = DEFINITION.create_app(settings).openapi()["paths"]
    return {(m.upper(), p) for p, ops in paths.items() if p.startswith(V1) for m in ops}


def test_every_route_has_a_case() -> None:
    """A new route without a case (or a reason in NOT_CROSS_TENANT) fails here."""
    covered = {case.key for case in CASES} | set(NOT_CROSS_TENANT)
    routes = openapi_routes()
    assert routes - covered == set(), "routes without an isolation case"
    assert covered - routes == set(), "cases for routes that do not exist"
    assert len({case.key for case in CASES}) == len(CASES), "one case per route"


@pytest.fixture(scope="module")
async def seeded() -> AsyncIterator[tuple[ServiceClient, dict[str, str]]]:
    """Enrollment on the real stack with both districts seeded, once for the module; the client and generated ids."""
    prefix = f"t{uuid.uuid4().hex[:10]}."
    try:
        async with fresh_database() as url:
            settings = stack_settings(DEFINITION, url, prefix)
            async with running(DEFINITION, settings, clock=FakeClock(FIRST_DAY)) as client:
                yield client, await seed(client)
    finally:
        await delete_topics(prefix)


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.method} {case.template}")
async def test_a_foreign_caller_gets_nothing(seeded: tuple[ServiceClient, dict[str, str]], case: Case) -> None:
    """EN-1/EN-8/PL-1: another school, district, family or class gets 403/404, sees nothing and changes nothing."""
    client, ids = seeded
    url = case.url(ids)
    failures: list[str] = []
    for caller in case.callers:
        before = len(await outbox(client))
        response = await request(client, case, url, caller)
        where = f"{case.method} {url} by {caller}: {response.status_code}"
        created = case.taken and caller == "s3-admin"
        allowed = {403, 404} | ({200} if case.listing else set()) | ({201, 422} if created else set())
        if response.status_code not in allowed:
            failures.append(f"{where} {response.text[:300]}")
        elif response.status_code >= 400 and response.headers["content-type"] != "application/problem+json":
            failures.append(f"{where} is not problem+json")
        # A creation in the caller's own school echoes the code the caller sent, and nothing else of `one`.
        echoed = f'"{case.body["id"]}"' if created and response.status_code == 201 else None
        if found := [piece for piece in leaks(response.text, ids, caller) if piece != echoed]:
            failures.append(f"{where} names {found}: {response.text[:300]}")
        added = (await outbox(client))[before:]
        if added and not (echoed and all(event["schoolid"] == "three" for event in added)):
            failures.append(f"{where} changed state: the outbox gained {added}")
    assert failures == [], "\n".join(failures)


@pytest.mark.parametrize("key", NOT_CROSS_TENANT, ids=" ".join)
async def test_a_legitimate_call_lands_in_the_callers_own_school(
    seeded: tuple[ServiceClient, dict[str, str]], key: tuple[str, str]
) -> None:
    """The routes another school or district may call act on the caller's own school (the token's, not the body's)."""
    await NOT_CROSS_TENANT[key][1](seeded[0])


async def test_the_same_calls_by_their_owners_work(pg_url: str, topic_prefix: str) -> None:
    """The refusals are about the callers, not the bodies: each case's call by its owner works (in CASES order, on
    a school of its own, since the owners do change things); a creation reusing a taken id is refused as taken."""
    settings = stack_settings(DEFINITION, pg_url, topic_prefix)
    async with running(DEFINITION, settings, clock=FakeClock(FIRST_DAY)) as client:
        ids = await seed(client)
        failures: list[str] = []
        for case in CASES:
            url = case.url(ids)
            response = await client.request(case.method, url, json=case.body, headers=OWNERS[case.owner])
            if not (response.is_success or (case.taken and response.status_code == 409)):
                failures.append(f"{case.owner}: {case.method} {url}: {response.status_code} {response.text[:300]}")
        assert failures == [], "\n".join(failures)
