"""Homework on the real stack: assignments judged by the caps (HW-1..HW-6), the class teacher's view (HW-4),
concurrent teachers racing for the last minutes, and weekly plans (HW-8)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from chassis.auth import Role
from chassis.clock import FakeClock
from contracts.enrollment import (
    ClassCreated,
    ClassTeacherAssigned,
    GuardianLinked,
    PolicyProfileSet,
    StudentEnrolled,
    TeachingAssigned,
    TermCalendarSet,
)
from contracts.envelope import Event
from contracts.policy import PolicySettings
from services.homework.app import DEFINITION
from tests.conftest import ServiceClient, auth, eventually, running, stack_settings
from tests.services.conftest import publish_as_producer, read_topic

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

SCHOOL, CLASS, LOWER = "shiyan", "shiyan-3-1", "shiyan-2-1"
OTHER_SCHOOL, OTHER_CLASS = "other", "other-3-1"
WEDNESDAY, THURSDAY, SATURDAY = date(2026, 11, 25), date(2026, 11, 26), date(2026, 11, 28)
NEXT_MONDAY = date(2026, 11, 30)
# HW-2: 实验小学 sets the per-grade caps 30/40/50/60 for grades 3/4/5/6.
PER_GRADE = PolicySettings(written_minutes_cap_by_grade={3: 30, 4: 40, 5: 50, 6: 60, 7: 90, 8: 90, 9: 90})
TEACHERS = {"wang": "语文", "zhang": "数学", "liu": "英语", "chen": "体育"}

WORLD: list[Event] = [
    ClassCreated(class_id=CLASS, school_id=SCHOOL, grade=3, name="三年级1班"),
    ClassTeacherAssigned(class_id=CLASS, school_id=SCHOOL, staff_id="li"),
    *[TeachingAssigned(class_id=CLASS, school_id=SCHOOL, staff_id=t, school_subject=s) for t, s in TEACHERS.items()],
    ClassCreated(class_id=LOWER, school_id=SCHOOL, grade=2, name="二年级1班"),
    TeachingAssigned(class_id=LOWER, school_id=SCHOOL, staff_id="wang", school_subject="语文"),
    StudentEnrolled(student_id="xiaoming", school_id=SCHOOL, class_id=CLASS, grade=3, name="小明"),
    StudentEnrolled(student_id="xiaohong", school_id=SCHOOL, class_id=CLASS, grade=3, name="小红"),
    GuardianLinked(guardian_id="mum", student_id="xiaoming", school_id=SCHOOL, relation="母亲"),
    GuardianLinked(guardian_id="hong-mum", student_id="xiaohong", school_id=SCHOOL, relation="母亲"),
    PolicyProfileSet(school_id=SCHOOL, effective_from=date(2026, 9, 1), version=1, settings=PER_GRADE),
    TermCalendarSet(
        term_id="2026-autumn",
        school_id=SCHOOL,
        name="2026秋季学期",
        starts_on=date(2026, 9, 1),
        ends_on=date(2027, 1, 20),
        holidays=[date(2027, 1, 1)],
    ),
]
ELSEWHERE: list[Event] = [
    ClassCreated(class_id=OTHER_CLASS, school_id=OTHER_SCHOOL, grade=3, name="三年级1班"),
    ClassTeacherAssigned(class_id=OTHER_CLASS, school_id=OTHER_SCHOOL, staff_id="li"),
    TeachingAssigned(class_id=OTHER_CLASS, school_id=OTHER_SCHOOL, staff_id="wang", school_subject="语文"),
]


def as_teacher(staff: str, school: str = SCHOOL) -> dict[str, str]:
    return auth(Role.SUBJECT_TEACHER, staff, school=school)


CLASS_TEACHER = auth(Role.CLASS_TEACHER, "li", school=SCHOOL)
ADMIN = auth(Role.SCHOOL_ADMIN, "principal", school=SCHOOL)


def homework(subject: str, minutes: int, *, on: date = THURSDAY, kind: str = "written", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "class_id": CLASS,
        "school_subject": subject,
        "kind": kind,
        "tiers": [{"name": "全体", "estimated_minutes": minutes}],
        "on": on.isoformat(),
        "due_on": on.isoformat(),
        "instructions": "练习册第12页",
    }
    return body | extra


async def world_ready(client: ServiceClient) -> bool:
    day = await client.get(f"/homework/v1/classes/{CLASS}/days/{SATURDAY}", headers=CLASS_TEACHER)
    child = await client.get(
        "/homework/v1/students/xiaohong/homework", headers=auth(Role.GUARDIAN, "hong-mum", school=SCHOOL)
    )
    other = await client.get(
        f"/homework/v1/classes/{OTHER_CLASS}/days/{SATURDAY}",
        headers=auth(Role.CLASS_TEACHER, "li", school=OTHER_SCHOOL),
    )
    return (
        day.status_code == 200
        and len(day.json()["not_yet_assigned"]) == 4
        and day.json()["room"]["written_cap"] == 30
        and day.json()["day_kind"] == "weekend"
        and child.status_code == 200
        and other.status_code == 200
        and (await client.get(f"/homework/v1/classes/{LOWER}/days/{THURSDAY}", headers=ADMIN)).status_code == 200
    )


@pytest.fixture
async def homework_app(pg_url: str, topic_prefix: str) -> AsyncIterator[ServiceClient]:
    """The homework service on PostgreSQL and Kafka, on Wednesday 2026-11-25 at 10:00 in Shanghai, with 实验小学."""
    await publish_as_producer(topic_prefix, WORLD, school_id=SCHOOL)
    await publish_as_producer(topic_prefix, ELSEWHERE, school_id=OTHER_SCHOOL)
    clock = FakeClock(datetime(2026, 11, 25, 2, 0, tzinfo=UTC))
    async with running(DEFINITION, stack_settings(DEFINITION, pg_url, topic_prefix), clock=clock) as client:
        await eventually(lambda: world_ready(client), timeout=90)  # a consumer group join is slow on a busy machine
        yield client


async def assign(client: ServiceClient, teacher: str, body: dict[str, Any]) -> httpx.Response:
    return await client.post("/homework/v1/assignments", json=body, headers=as_teacher(teacher))


async def test_hw5_a_subject_teacher_sets_tiered_homework_and_it_is_published(homework_app: ServiceClient) -> None:
    tiers = [
        {"name": "基础", "estimated_minutes": 15},
        {"name": "提高", "estimated_minutes": 25, "student_ids": ["xiaohong"]},
    ]
    body = homework("语文", 0, layer="basic") | {"tiers": tiers}
    stranger = body | {"tiers": [*tiers, {"name": "拓展", "estimated_minutes": 20, "student_ids": ["xiaogang"]}]}
    unknown = await assign(homework_app, "wang", stranger)
    assert (unknown.status_code, unknown.json()["rule"]) == (422, "HW-5")  # a tier names a child of another class
    response = await assign(homework_app, "wang", body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["counted_minutes"], created["layer"], created["version"]) == (25, "basic", 1)  # heaviest tier

    events = await read_topic(homework_app.prefix, "homework.events", count=1)
    assert [(e.type, e.subject, e.data["counted_minutes"]) for e in events] == [
        ("homework.homework_assigned.v1", CLASS, 25)
    ]
    day = (await homework_app.get(f"/homework/v1/classes/{CLASS}/days/{THURSDAY}", headers=CLASS_TEACHER)).json()
    assert day["subjects"] == [
        {"school_subject": "语文", "minutes": 25, "written_minutes": 25, "assignment_ids": [created["assignment_id"]]}
    ]
    assert day["room"] == {
        "written_cap": 30,
        "written_left": 5,
        "subjects_cap": 2,
        "subjects_left": 1,
        "total_cap": None,
        "total_left": None,
    }
    assert [t["staff_id"] for t in day["not_yet_assigned"]] == ["chen", "zhang", "liu"]  # by subject


async def test_hw2_hw4_a_refusal_names_the_rule_the_cap_and_the_day_and_is_published(
    homework_app: ServiceClient,
) -> None:
    assert (await assign(homework_app, "wang", homework("语文", 20))).status_code == 201
    refused = await assign(homework_app, "zhang", homework("数学", 11))
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert (problem["rule"], problem["cap"], problem["assigned_minutes"], problem["requested_minutes"]) == (
        "HW-2",
        30,
        20,
        11,
    )
    assert problem["minutes_by_subject"] == {"语文": 20}
    assert (await assign(homework_app, "zhang", homework("数学", 10))).status_code == 201  # exactly 30

    events = await read_topic(homework_app.prefix, "homework.events", count=3)
    refusals = [e.data for e in events if e.type == "homework.homework_refused.v1"]
    assert [(r["rule"], r["cap"], r["assigned_minutes"], r["teacher_id"]) for r in refusals] == [
        ("HW-2", 30, 20, "zhang")
    ]


async def test_hw1_hw3_hw6_refusals_on_the_real_service(homework_app: ServiceClient) -> None:
    grade_two = homework("语文", 10) | {"class_id": LOWER}
    assert (await assign(homework_app, "wang", grade_two)).json()["rule"] == "HW-1"
    practical = homework("语文", 20, kind="reading") | {"class_id": LOWER}
    assert (await assign(homework_app, "wang", practical)).status_code == 201  # HW-1 allows practical homework

    assert (await assign(homework_app, "wang", homework("语文", 10))).status_code == 201
    assert (await assign(homework_app, "zhang", homework("数学", 10))).status_code == 201
    third = await assign(homework_app, "chen", homework("体育", 20, kind="sport"))
    assert (third.json()["rule"], third.json()["cap"]) == ("HW-3", 2)

    # Saturday: three subjects, at most 120 min in all (HW-3), the written cap still 30 (HW-2).
    for teacher, subject, minutes, kind in [("wang", "语文", 30, "written"), ("chen", "体育", 60, "sport")]:
        assert (
            await assign(homework_app, teacher, homework(subject, minutes, on=SATURDAY, kind=kind))
        ).status_code == 201
    too_long = await assign(homework_app, "liu", homework("英语", 31, on=SATURDAY, kind="reading"))
    assert (too_long.json()["rule"], too_long.json()["cap"], too_long.json()["assigned_minutes"]) == ("HW-3", 120, 90)
    assert (await assign(homework_app, "liu", homework("英语", 30, on=SATURDAY, kind="reading"))).status_code == 201

    for flag in ("for_parents", "graded_by_parents", "via_phone"):
        refused = await assign(homework_app, "liu", homework("英语", 5, on=date(2026, 12, 2)) | {flag: True})
        assert (refused.status_code, refused.json()["rule"]) == (422, "HW-6")


async def test_hw4_a_teacher_sets_homework_only_for_a_subject_they_teach_the_class(
    homework_app: ServiceClient,
) -> None:
    not_theirs = await assign(homework_app, "zhang", homework("语文", 10))
    assert (not_theirs.status_code, not_theirs.json()["rule"]) == (403, "HW-4")
    other_school = await homework_app.post(
        "/homework/v1/assignments", json=homework("语文", 10), headers=as_teacher("wang", OTHER_SCHOOL)
    )
    assert other_school.status_code == 404


async def test_hw4_two_teachers_racing_for_the_last_minutes_exactly_one_wins(homework_app: ServiceClient) -> None:
    for n, on in enumerate([date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3)]):
        assert (await assign(homework_app, "liu", homework("英语", 10, on=on, kind="reading"))).status_code == 201
        assert (await assign(homework_app, "wang", homework("语文", 10, on=on))).status_code == 201
        # 10 written minutes used of 30: 语文 and 英语 each want 15 more; together 40 would break HW-2.
        first, second = await asyncio.gather(
            assign(homework_app, "wang", homework("语文", 15, on=on)),
            assign(homework_app, "liu", homework("英语", 15, on=on)),
        )
        assert sorted([first.status_code, second.status_code]) == [201, 422], n
        day = (await homework_app.get(f"/homework/v1/classes/{CLASS}/days/{on}", headers=CLASS_TEACHER)).json()
        assert day["room"]["written_left"] == 5


async def test_changing_and_withdrawing_homework_rejudges_the_caps(homework_app: ServiceClient) -> None:
    chinese = (await assign(homework_app, "wang", homework("语文", 10))).json()
    assert (await assign(homework_app, "zhang", homework("数学", 15))).status_code == 201
    url = f"/homework/v1/assignments/{chinese['assignment_id']}"
    too_much = await homework_app.put(url, json=homework("语文", 16), headers=as_teacher("wang"))
    assert (too_much.status_code, too_much.json()["rule"], too_much.json()["assigned_minutes"]) == (422, "HW-2", 15)
    changed = await homework_app.put(url, json=homework("语文", 15), headers=as_teacher("wang"))
    assert (changed.status_code, changed.json()["version"], changed.json()["counted_minutes"]) == (200, 2, 15)
    assert (await homework_app.put(url, json=homework("语文", 5), headers=as_teacher("zhang"))).status_code == 403

    withdrawn = await homework_app.post(f"{url}/withdrawal", headers=as_teacher("wang"))
    assert (withdrawn.status_code, withdrawn.json()["withdrawn"]) == (200, True)
    assert (await homework_app.put(url, json=homework("语文", 5), headers=as_teacher("wang"))).status_code == 409
    assert (await assign(homework_app, "zhang", homework("数学", 15))).status_code == 201  # 30 again, now free
    listed = await homework_app.get(
        f"/homework/v1/classes/{CLASS}/assignments",
        params={"from": THURSDAY.isoformat(), "to": THURSDAY.isoformat(), "limit": 2},
        headers=CLASS_TEACHER,
    )
    page = listed.json()
    assert len(page["items"]) == 2
    assert page["next"] is not None
    rest = await homework_app.get(
        f"/homework/v1/classes/{CLASS}/assignments",
        params={"from": THURSDAY.isoformat(), "to": THURSDAY.isoformat(), "after": page["next"]},
        headers=CLASS_TEACHER,
    )
    assert len(rest.json()["items"]) == 1
    assert rest.json()["next"] is None

    events = await read_topic(homework_app.prefix, "homework.events", count=6)
    assert [e.type.split(".")[1] for e in events] == [
        "homework_assigned",
        "homework_assigned",
        "homework_refused",
        "homework_changed",
        "homework_withdrawn",
        "homework_assigned",
    ]


async def test_hw8_the_weekly_plan_is_published_and_later_changes_show_as_such(homework_app: ServiceClient) -> None:
    tuesday = date(2026, 12, 1)
    planned = (await assign(homework_app, "wang", homework("语文", 20, on=tuesday))).json()
    published = await homework_app.post(
        f"/homework/v1/classes/{CLASS}/plans", json={"week_start": NEXT_MONDAY.isoformat()}, headers=CLASS_TEACHER
    )
    assert published.status_code == 201, published.text
    plan = published.json()
    assert (plan["version"], plan["late"], plan["assignment_ids"]) == (1, False, [planned["assignment_id"]])
    assert plan["changed_since_publication"] == []

    changed = await homework_app.put(
        f"/homework/v1/assignments/{planned['assignment_id']}",
        json=homework("语文", 25, on=tuesday),
        headers=as_teacher("wang"),
    )
    assert changed.json()["after_plan_published"] is True
    added = (await assign(homework_app, "zhang", homework("数学", 5, on=tuesday))).json()
    assert added["after_plan_published"] is True
    guardian = auth(Role.GUARDIAN, "mum", school=SCHOOL)
    view = (await homework_app.get(f"/homework/v1/classes/{CLASS}/plans/{NEXT_MONDAY}", headers=guardian)).json()
    assert sorted((h["school_subject"], h["counted_minutes"], h["version"]) for h in view["homework"]) == [
        ("数学", 5, 1),
        ("语文", 25, 2),
    ]
    changes = {c["assignment_id"]: c["change"] for c in view["changed_since_publication"]}
    assert changes == {planned["assignment_id"]: "changed", added["assignment_id"]: "added"}

    homework_app.fake_clock.advance(datetime(2026, 11, 28, 2, tzinfo=UTC) - homework_app.clock.now())
    again = await homework_app.post(
        f"/homework/v1/classes/{CLASS}/plans", json={"week_start": NEXT_MONDAY.isoformat()}, headers=ADMIN
    )
    assert (again.json()["version"], again.json()["late"], again.json()["changed_since_publication"]) == (2, True, [])
    not_monday = await homework_app.post(
        f"/homework/v1/classes/{CLASS}/plans", json={"week_start": "2026-12-01"}, headers=ADMIN
    )
    assert (not_monday.status_code, not_monday.json()["rule"]) == (422, "HW-8")

    events = await read_topic(homework_app.prefix, "homework.events", count=5)
    assert [e.type.split(".")[1] for e in events] == [
        "homework_assigned",
        "weekly_plan_published",
        "homework_changed",
        "homework_assigned",
        "weekly_plan_published",
    ]
    assert [e.data["student_ids"] for e in events[2:4]] == [["xiaohong", "xiaoming"]] * 2  # to be told again
    plans = [e.data for e in events if e.type == "homework.weekly_plan_published.v1"]
    assert [(p["version"], p["late"], p["class_id"]) for p in plans] == [(1, False, CLASS), (2, True, CLASS)]
    assert plans[0]["student_ids"] == ["xiaohong", "xiaoming"]  # whose guardians notify tells (HW-8, NT-1)


async def test_hw2_the_profile_in_force_on_the_day_sets_the_cap(homework_app: ServiceClient) -> None:
    """PL-1: from Monday 2026-12-07 实验小学 goes back to the national 60 min for grades 3–6."""
    national = PolicyProfileSet(
        school_id=SCHOOL, effective_from=date(2026, 12, 7), version=2, settings=PolicySettings()
    )
    await publish_as_producer(homework_app.prefix, [national], school_id=SCHOOL)

    async def in_force() -> bool:
        day = await homework_app.get(f"/homework/v1/classes/{CLASS}/days/2026-12-07", headers=CLASS_TEACHER)
        return bool(day.json()["room"]["written_cap"] == 60)

    await eventually(in_force)
    friday = await assign(homework_app, "wang", homework("语文", 45, on=date(2026, 12, 4)))
    assert (friday.json()["rule"], friday.json()["cap"]) == ("HW-2", 30)
    assert (await assign(homework_app, "wang", homework("语文", 45, on=date(2026, 12, 7)))).status_code == 201


async def test_hw2_ten_concurrent_attempts_fill_the_cap_exactly(homework_app: ServiceClient) -> None:
    """Ten 5-minute pieces at once against the 30-minute cap: exactly six are accepted, the rest refused."""
    on = date(2026, 12, 8)
    answers = await asyncio.gather(*(assign(homework_app, "wang", homework("语文", 5, on=on)) for _ in range(10)))
    assert sorted(a.status_code for a in answers) == [201] * 6 + [422] * 4
    assert {a.json()["rule"] for a in answers if a.status_code == 422} == {"HW-2"}
    day = (await homework_app.get(f"/homework/v1/classes/{CLASS}/days/{on}", headers=CLASS_TEACHER)).json()
    assert (day["subjects"][0]["minutes"], day["room"]["written_left"]) == (30, 0)
