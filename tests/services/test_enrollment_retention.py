"""A leaving child's personal data is erased once the retention period ends, and a guardian exports their family's
data (PIPL, issue 11; `services/enrollment/domain/retention.py`), on the real stack."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from chassis.auth import Role
from services.enrollment.app import DEFINITION
from services.enrollment.domain.retention import ERASED_NAME, erase_on, is_due
from services.enrollment.imports.store import ImportJob
from tests.conftest import ServiceClient, auth, eventually, running, school_clock, stack_settings
from tests.services.conftest import read_topic
from tests.services.enrollment_school import ADMIN, register_school, scoped
from tests.services.test_enrollment_imports import class_ids, imported
from tests.services.test_enrollment_privacy import every_stored_text
from tests.services.test_enrollment_roster import MUM, get, post

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

DAD = auth(Role.GUARDIAN, scoped("guardian", "dad"), school="shiyan")
XIAOMING, XIAOHONG = scoped("student", "xiaoming"), scoped("student", "xiaohong")
GRANDPA_ID = "110101195001011234"
LEFT_ON = date(2026, 11, 25)  # the pinned school afternoon's day


@pytest.fixture
async def school(pg_url: str, topic_prefix: str) -> AsyncIterator[ServiceClient]:
    """小明 (mum and dad, his grandfather may collect him) and his sister 小红 (mum only); 小明 leaves today."""
    settings = stack_settings(
        DEFINITION,
        pg_url,
        topic_prefix,
        retention_days_after_leaving=30,
        retention_check_seconds=0.05,
        import_jobs_kept_days=30,
    )
    async with running(DEFINITION, settings, clock=school_clock()) as client:
        await register_school(client, "shiyan", "实验小学")
        await post(client, "/classes", {"id": "g3c1", "grade": 3, "name": "三年级1班"})
        for child, name in (("xiaoming", "小明"), ("xiaohong", "小红")):
            await post(client, "/students", {"id": child, "class_id": "g3c1", "name": name})
        await post(client, "/guardians", {"id": "mum", "name": "王芳", "phone": "13800000001"})
        await post(client, "/guardians", {"id": "dad", "name": "李强", "phone": "13900000002"})
        for child, guardian, relation in (
            ("xiaoming", "mum", "母亲"),
            ("xiaohong", "mum", "母亲"),
            ("xiaoming", "dad", "父亲"),
        ):
            await post(client, f"/students/{child}/guardians", {"guardian_id": guardian, "relation": relation})
        grandpa = {
            "id": "p-grandpa",
            "name": "王建国",
            "relation": "祖父",
            "credential_ref": "card-7",
            "id_number": GRANDPA_ID,
        }
        await post(client, "/students/xiaoming/pickups", grandpa)
        walk = await client.put("/enrollment/v1/students/xiaoming/walk-home", json={"allowed": False}, headers=MUM)
        assert walk.status_code == 200, walk.text
        yield client


def test_the_period_counts_from_the_day_the_child_left() -> None:
    assert erase_on(LEFT_ON, 30) == date(2026, 12, 26)
    assert not is_due(LEFT_ON, date(2026, 12, 25), 30)
    assert is_due(LEFT_ON, date(2026, 12, 26), 30)
    assert not is_due(None, date(2099, 1, 1), 30)  # still here


async def test_a_leaver_is_erased_the_day_after_the_period_and_only_then(school: ServiceClient, pg_url: str) -> None:
    await post(school, "/students/xiaoming/leave", {"effective_on": LEFT_ON.isoformat()}, status=200)
    # The events naming him go out today: a row the relay sent only after the clock jumped would carry that later
    # day as its sending time, and be kept a day from then.
    await eventually(lambda: _all_sent(school))
    school.fake_clock.advance(timedelta(days=30))  # the period's last day: kept
    await asyncio.sleep(0.5)  # the worker looks every 0.05 s
    assert (await get(school, "/students/xiaoming", ADMIN))["name"] == "小明"

    school.fake_clock.advance(timedelta(days=1))
    await eventually(lambda: _erased(school, "xiaoming"))
    erased = await get(school, "/students/xiaoming", ADMIN)
    assert (erased["name"], erased["external_id"], erased["guardian_ids"]) == (ERASED_NAME, None, [])
    assert (await get(school, "/students/xiaoming/pickups", ADMIN))["authorised"] == []
    dad = await get(school, "/guardians/dad", ADMIN)
    assert (dad["name"], dad["phone"]) == (ERASED_NAME, "")  # no other child here
    mum = await get(school, "/guardians/mum", ADMIN)
    assert (mum["name"], mum["phone"]) == ("王芳", "13800000001")  # 小红 is still here
    assert (await get(school, "/students/xiaohong", ADMIN))["name"] == "小红"

    # Nothing of them is left anywhere in the database once the relay's housekeeping dropped the week-old stored
    # answers of the writes that named them and the day-old sent events (chassis/outbox.py).
    async def personal_left() -> list[str]:
        stored = await every_stored_text(pg_url)
        return [p for p in ("小明", "李强", "13900000002", "王建国", "card-7", GRANDPA_ID) if p in stored]

    with contextlib.suppress(AssertionError):
        await eventually(lambda: _none(personal_left()))
    assert await personal_left() == []  # names what is left, if anything
    everything = await read_topic(school.prefix, "enrollment.events", count=100, timeout=3)
    events = [e for e in everything if e.type == "enrollment.student_erased.v1"]  # once: the worker ran on since
    assert [(e.data["student_id"], e.data["guardian_ids"], e.data["left_on"]) for e in events] == [
        (XIAOMING, [scoped("guardian", "dad")], "2026-11-25")
    ]


async def test_a_family_exports_its_own_data_and_nobody_elses(school: ServiceClient) -> None:
    export = await get(school, "/me/export", MUM)
    assert (export["guardian"]["name"], export["guardian"]["phone"]) == ("王芳", "13800000001")
    children = {c["student_id"]: c for c in export["children"]}
    assert sorted(children) == sorted([XIAOHONG, XIAOMING])
    assert children[XIAOMING]["relation"] == "母亲"
    assert children[XIAOMING]["walk_home_allowed"] is False
    assert [(p["name"], p["id_number"]) for p in children[XIAOMING]["pickups"]] == [("王建国", "****1234")]
    assert children[XIAOHONG]["pickups"] == []
    assert export["elsewhere"]["notify"] == ["/notify/v2/notifications", "/notify/v1/preferences"]

    dads = await get(school, "/me/export", DAD)
    assert [c["student_id"] for c in dads["children"]] == [XIAOMING]
    assert "王芳" not in str(dads["guardian"])
    # The same guardian id, bound to another school.
    await get(school, "/me/export", auth(Role.GUARDIAN, scoped("guardian", "mum"), school="yucai"), status=404)
    await get(school, "/me/export", ADMIN, status=403)


async def test_an_import_job_and_its_report_are_forgotten_after_the_kept_days(school: ServiceClient) -> None:
    """PIPL: a job's report may quote the file's cells; it goes with the job once `import_jobs_kept_days` passed."""
    job = await imported(school, "classes", "班级编号,年级,班级名称\ng4c1,4,四年级1班\n", headers=ADMIN)
    path = f"/enrollment/v1/imports/{job['job_id']}"
    school.fake_clock.advance(timedelta(days=30))  # finished exactly 30 days ago: kept
    await asyncio.sleep(0.5)  # the worker looks every 0.05 s
    assert (await school.get(path, headers=ADMIN)).status_code == 200

    school.fake_clock.advance(timedelta(seconds=1))

    async def forgotten() -> bool:
        return (await school.get(path, headers=ADMIN)).status_code == 404

    await eventually(forgotten)
    async with school.runtime.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ImportJob)) == 0
    assert "g4c1" in await class_ids(school)  # what it imported stays


async def _none(found: Awaitable[list[str]]) -> bool:
    return not await found


async def _all_sent(school: ServiceClient) -> bool:
    outbox = school.runtime.tables.outbox
    async with school.runtime.db.sessions() as session:
        unsent = await session.scalar(select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None)))
    return unsent == 0


async def _erased(school: ServiceClient, student_id: str) -> bool:
    return bool((await get(school, f"/students/{student_id}", ADMIN))["name"] == ERASED_NAME)
