"""Notify erases its copies when enrollment erases a leaver (PIPL, issue 11): `enrollment.student_erased.v1` takes the
child's name, alerts and deliveries, and the erased guardians' addresses, out of notify's database."""

from __future__ import annotations

from datetime import date

import pytest

from chassis.auth import Role
from contracts.enrollment import GuardianLinked, StudentEnrolled, StudentErased
from tests.conftest import ServiceClient, auth, eventually
from tests.services.conftest import publish_as_producer
from tests.services.test_enrollment_privacy import every_stored_text
from tests.simulators.notify_stack import EMAIL, MUM, OPENID, PHONE, ROSTER, checked_in, notify_after

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

SISTER = [
    StudentEnrolled(student_id="xiaohong", school_id="s1", class_id="s1-g1-c1", grade=1, name="小红"),
    GuardianLinked(guardian_id="mum", student_id="xiaohong", school_id="s1", relation="母亲"),
    GuardianLinked(guardian_id="dad", student_id="xiaoming", school_id="s1", relation="父亲"),
]
DAD = auth(Role.GUARDIAN, "dad", school="s1")
DAD_PHONE = "+8613900139000"


async def inbox(notify: ServiceClient, headers: dict[str, str]) -> list[str]:
    response = await notify.get("/notify/v2/notifications", headers=headers)
    assert response.status_code == 200, response.text
    return [item["body"] for item in response.json()["items"]]


async def test_an_erased_child_and_the_guardians_erased_with_them_leave_nothing_in_notify(
    pg_url: str, topic_prefix: str
) -> None:
    async with notify_after(pg_url, topic_prefix, [*ROSTER, *SISTER]) as (_outside, notify):
        mum = {"email": EMAIL, "phone": PHONE, "wechat_openid": OPENID, "channels": {"urgent": ["sms"]}}
        assert (await notify.put("/notify/v1/preferences", json=mum, headers=MUM)).status_code == 200
        dad = {"phone": DAD_PHONE, "channels": {"urgent": ["sms"]}}
        assert (await notify.put("/notify/v1/preferences", json=dad, headers=DAD)).status_code == 200
        await publish_as_producer(topic_prefix, [checked_in(15), checked_in(16, "xiaohong")], school_id="s1")
        await eventually(lambda: _count(notify, MUM, 2))
        await eventually(lambda: _count(notify, DAD, 1))

        # 小明 left long ago; his father has no other child here, his mother still has 小红
        erased = StudentErased(student_id="xiaoming", school_id="s1", left_on=date(2025, 11, 20), guardian_ids=["dad"])
        await publish_as_producer(topic_prefix, [erased], school_id="s1")
        await eventually(lambda: _count(notify, DAD, 0))
        assert [body for body in await inbox(notify, MUM) if "小明" in body] == []
        assert len(await inbox(notify, MUM)) == 1  # 小红's alert stays
        assert (await notify.get("/notify/v1/preferences", headers=DAD)).json()["phone"] is None
        assert (await notify.get("/notify/v1/preferences", headers=MUM)).json()["phone"] == PHONE

    stored = await every_stored_text(pg_url)
    for personal in ("小明", DAD_PHONE):
        assert personal not in stored, personal
    assert "小红" in stored  # the sister is still here


async def _count(notify: ServiceClient, headers: dict[str, str], n: int) -> bool:
    return len(await inbox(notify, headers)) == n
