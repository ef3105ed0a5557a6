"""EN-1 and NT-1 on the real stack: guardians are told at every step of the application and of club places."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest

from chassis.auth import Role
from contracts import enrollment as en
from contracts.envelope import Envelope
from services.notify.app import DEFINITION
from tests.conftest import ServiceClient, auth, eventually, running, stack_settings
from tests.services.conftest import publish_as_producer, publish_envelopes

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

AT = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
STEP = {"application_id": "a1", "student_id": "xiaoming", "school_id": "s1", "term_id": "t1", "at": AT}
ROSTER = [
    en.StudentEnrolled(student_id="xiaoming", school_id="s1", class_id="c1", grade=3, name="小明"),
    en.GuardianLinked(guardian_id="mum", student_id="xiaoming", school_id="s1", relation="母亲"),
    en.GuardianLinked(
        guardian_id="dad", student_id="xiaoming", school_id="s1", relation="父亲", preferred_language="en"
    ),
]


async def bodies(client: ServiceClient, guardian: str) -> list[str]:
    response = await client.get("/notify/v1/notifications", headers=auth(Role.GUARDIAN, guardian, school="s1"))
    assert response.status_code == 200
    return [n["body"] for n in reversed(response.json()["items"])]


@pytest.fixture
async def notify(pg_url: str, topic_prefix: str) -> AsyncIterator[ServiceClient]:
    await publish_as_producer(topic_prefix, ROSTER, school_id="s1")
    async with running(DEFINITION, stack_settings(DEFINITION, pg_url, topic_prefix)) as client:
        yield client


async def test_en_1_each_guardian_is_told_every_step_once_in_their_language(notify: ServiceClient) -> None:
    steps = [
        en.ApplicationSubmitted(**STEP, by="mum", club_choices=["chess"]),
        en.ApplicationReviewed(**STEP, by="teacher-li"),
        en.ApplicationApproved(**STEP, by="admin"),
        en.AgreementSigned(**STEP, by="mum", active_from=date(2026, 11, 26)),
        en.ClubPlaceWaitlisted(program_id="chess", student_id="xiaoming", school_id="s1", position=1),
        en.ClubPlacePromoted(program_id="chess", student_id="xiaoming", school_id="s1"),
    ]
    envelopes = [Envelope.wrap(step, source="/enrollment", school_id="s1") for step in steps]
    await publish_envelopes(notify.prefix, [*envelopes, envelopes[0]])

    async def all_told() -> bool:
        return len(await bodies(notify, "mum")) == len(steps)

    await eventually(all_told)
    await asyncio.sleep(1.0)  # a duplicate would land now (NT-3)
    assert await bodies(notify, "mum") == [
        "小明的课后服务申请已提交，等待班主任初审。",
        "小明的课后服务申请已通过班级初审，等待学校核准。",
        "小明的课后服务申请已获学校核准，请签署服务协议。",
        "小明的课后服务协议已签署，报名生效。",
        "小明已列入社团候补名单。",
        "社团有空位，小明已从候补转为正式成员。",
    ]
    received = "The application for 小明 was received; the class teacher reviews it next."
    assert (await bodies(notify, "dad"))[0] == received


async def test_en_1_a_rejection_tells_the_reason_and_an_unlinked_guardian_hears_nothing_more(
    notify: ServiceClient,
) -> None:
    prefix: str = notify.prefix
    rejected = en.ApplicationRejected(**STEP, by="teacher-li", step=en.ApplicationStep.SUBMITTED, reason="名额已满")
    await publish_as_producer(prefix, [rejected], school_id="s1")

    async def told() -> bool:
        return len(await bodies(notify, "dad")) == 1

    await eventually(told)
    assert await bodies(notify, "mum") == ["小明的课后服务申请未通过：名额已满"]
    assert await bodies(notify, "dad") == ["The application for 小明 was not accepted: 名额已满"]

    unlinked = en.GuardianUnlinked(guardian_id="dad", student_id="xiaoming", school_id="s1")
    declined = en.ParticipationDeclined(**STEP, by="mum", reason="家中有人接送")
    await publish_as_producer(prefix, [unlinked, declined], school_id="s1")

    async def mum_told() -> bool:
        return len(await bodies(notify, "mum")) == 2

    await eventually(mum_told)
    assert (await bodies(notify, "mum"))[1] == "已登记小明不参加课后服务：家中有人接送"
    assert len(await bodies(notify, "dad")) == 1
