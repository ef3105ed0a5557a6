"""Notify on the real stack (HW-8, NT-1): the guardians of a class are told when its weekly homework plan is
published, once per child even when the event is delivered twice, and nobody outside the class is."""

from __future__ import annotations

import asyncio
from datetime import date

import httpx
import pytest

from chassis.auth import Role
from contracts.enrollment import GuardianLinked, StudentEnrolled
from contracts.envelope import Envelope
from contracts.homework import HomeworkAssigned, HomeworkChanged, HomeworkKind, Tier, WeeklyPlanPublished
from services.notify.app import DEFINITION
from tests.conftest import auth, eventually, running, stack_settings
from tests.services.conftest import publish_as_producer, publish_envelopes

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

CLASS = "shiyan-3-1"
ROSTER = [
    StudentEnrolled(student_id="xiaoming", school_id="shiyan", class_id=CLASS, grade=3, name="小明"),
    StudentEnrolled(student_id="xiaoli", school_id="shiyan", class_id=CLASS, grade=3, name="小丽"),
    StudentEnrolled(student_id="xiaohong", school_id="shiyan", class_id="shiyan-3-2", grade=3, name="小红"),
    GuardianLinked(guardian_id="mum", student_id="xiaoming", school_id="shiyan", relation="母亲"),
    GuardianLinked(guardian_id="mum", student_id="xiaoli", school_id="shiyan", relation="母亲"),
    GuardianLinked(
        guardian_id="dad", student_id="xiaoming", school_id="shiyan", relation="父亲", preferred_language="en"
    ),
    GuardianLinked(guardian_id="hong-mum", student_id="xiaohong", school_id="shiyan", relation="母亲"),
]


def plan(version: int) -> WeeklyPlanPublished:
    return WeeklyPlanPublished(
        plan_id=f"plan-{version}",
        school_id="shiyan",
        class_id=CLASS,
        week_start=date(2026, 11, 30),
        version=version,
        assignment_ids=["a1"],
        published_by="li",
        late=False,
        student_ids=["xiaoli", "xiaoming"],
    )


async def bodies(client: httpx.AsyncClient, guardian: str, school: str = "shiyan") -> list[str]:
    response = await client.get("/notify/v1/notifications", headers=auth(Role.GUARDIAN, guardian, school=school))
    assert response.status_code == 200
    return sorted(n["body"] for n in response.json()["items"])


async def test_hw8_guardians_of_the_class_are_told_once_per_child_when_the_plan_is_published(
    pg_url: str, topic_prefix: str
) -> None:
    await publish_as_producer(topic_prefix, ROSTER, school_id="shiyan")
    async with running(DEFINITION, stack_settings(DEFINITION, pg_url, topic_prefix)) as client:
        published = Envelope.wrap(plan(1), source="/afterschool/homework", school_id="shiyan")
        await publish_envelopes(topic_prefix, [published, published])

        async def told() -> bool:
            return len(await bodies(client, "mum")) == 2 and len(await bodies(client, "dad")) == 1

        await eventually(told)
        await asyncio.sleep(1.0)  # a late duplicate would land now
        assert await bodies(client, "mum") == [
            "小丽所在班级11月30日起一周的家庭作业安排已公示，请查看。",
            "小明所在班级11月30日起一周的家庭作业安排已公示，请查看。",
        ]
        assert await bodies(client, "dad") == [
            "The homework plan of 小明's class for the week of 2026-11-30 is online."
        ]
        assert await bodies(client, "hong-mum") == []  # another class
        assert await bodies(client, "mum", school="other") == []  # the same id in another school's token

        await publish_as_producer(topic_prefix, [plan(2)], school_id="shiyan")

        async def revised() -> bool:
            return len(await bodies(client, "dad")) == 2

        await eventually(revised)
        titles = await client.get("/notify/v1/notifications", headers=auth(Role.GUARDIAN, "dad", school="shiyan"))
        assert [n["title"] for n in titles.json()["items"]] == ["Homework plan revised", "Homework plan published"]


def chinese_homework(
    model: type[HomeworkAssigned] | type[HomeworkChanged], *, after_plan: bool
) -> HomeworkAssigned | HomeworkChanged:
    return model(
        assignment_id="a1",
        school_id="shiyan",
        class_id=CLASS,
        teacher_id="wang",
        school_subject="语文",
        kind=HomeworkKind.WRITTEN,
        tiers=[Tier(name="全体", estimated_minutes=20)],
        counted_minutes=20,
        on=date(2026, 12, 1),
        due_on=date(2026, 12, 1),
        version=2 if after_plan else 1,
        after_plan_published=after_plan,
        student_ids=["xiaoming"] if after_plan else [],
    )


async def test_hw8_homework_changed_after_the_plan_was_published_is_announced_again(
    pg_url: str, topic_prefix: str
) -> None:
    await publish_as_producer(topic_prefix, ROSTER, school_id="shiyan")
    async with running(DEFINITION, stack_settings(DEFINITION, pg_url, topic_prefix)) as client:
        before_plan = chinese_homework(HomeworkAssigned, after_plan=False)
        after_plan = chinese_homework(HomeworkChanged, after_plan=True)
        await publish_as_producer(topic_prefix, [before_plan, after_plan], school_id="shiyan")

        async def told() -> bool:
            return len(await bodies(client, "dad")) == 1

        await eventually(told)
        await asyncio.sleep(1.0)  # the assignment made before publication is in the plan already: no notice
        assert await bodies(client, "mum") == ["小明所在班级12月1日的语文作业在公示后调整，请查看。"]
        assert await bodies(client, "dad") == [
            "After the plan was published, 语文 homework of 小明's class for 2026-12-01 was changed."
        ]
