"""Staff inboxes on the real stack: the class teacher is told of an unexcused absence (AT-3), and the staff member
called at a not-collected step (AT-6), once per event (NT-3), in their own inbox only."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from chassis.auth import Role
from contracts.attendance.dismissal import EscalationStep, StudentNotCollected
from contracts.envelope import Envelope
from tests.conftest import auth, eventually
from tests.services.conftest import every_page, publish_as_producer, publish_envelopes
from tests.simulators.notify_stack import MUM, ROSTER, absent, notify_with, providers

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

TEACHER = auth(Role.CLASS_TEACHER, "t-wang", school="s1")
DUTY = auth(Role.DUTY_LEADER, "duty-li", school="s1")


def not_collected(step: int, escalation: EscalationStep, recipient: str) -> StudentNotCollected:
    return StudentNotCollected(
        student_id="xiaoming",
        school_id="s1",
        day=date(2026, 11, 25),
        step=step,
        escalation=escalation,
        recipient_id=recipient,
        dismissal_at=datetime(2026, 11, 25, 9, 0, tzinfo=UTC),
        minutes_after_dismissal=15 * step,
    )


async def inbox(
    client: httpx.AsyncClient, headers: dict[str, str], path: str = "/notify/v1/staff/notifications"
) -> list[str]:
    response = await client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return [item["body"] for item in response.json()["items"]]


async def test_the_class_teacher_and_the_duty_leader_are_told_in_their_own_inboxes(
    pg_url: str, topic_prefix: str
) -> None:
    await publish_as_producer(topic_prefix, ROSTER, school_id="s1")
    async with providers() as outside, notify_with(pg_url, topic_prefix, outside) as notify:
        absence = Envelope.wrap(
            absent().model_copy(update={"class_teacher_id": "t-wang"}), source="/attendance", school_id="s1"
        )
        steps = [
            Envelope.wrap(not_collected(3, EscalationStep.CLASS_TEACHER, "t-wang"), source="/a", school_id="s1"),
            Envelope.wrap(not_collected(4, EscalationStep.DUTY_LEADER, "duty-li"), source="/a", school_id="s1"),
        ]
        await publish_envelopes(topic_prefix, [absence, absence, *steps])  # the absence redelivered

        async def both_told() -> bool:
            return len(await inbox(notify, TEACHER)) == 2 and len(await inbox(notify, DUTY)) == 1

        await eventually(both_told)
        await asyncio.sleep(1.0)
        assert sorted(await inbox(notify, TEACHER)) == [
            "小明放学后仍未被接走（第3步），请处理。",
            "小明未到课后服务签到，且未请假，请联系家长。",
        ]
        assert await inbox(notify, DUTY) == ["小明放学后仍未被接走（第4步），请处理。"]
        assert len(await inbox(notify, MUM, "/notify/v1/notifications")) == 3  # the guardian's alerts as before

        other_teacher = auth(Role.CLASS_TEACHER, "t-zhao", school="s1")
        assert await inbox(notify, other_teacher) == []
        assert await inbox(notify, auth(Role.CLASS_TEACHER, "t-wang", school="s2")) == []
        as_guardian = auth(Role.GUARDIAN, "t-wang", school="s1")  # the same id with a guardian's token
        assert await inbox(notify, as_guardian, "/notify/v1/notifications") == []
        assert (await notify.get("/notify/v1/staff/notifications", headers=MUM)).status_code == 403


async def test_v2_inboxes_page_alerts_of_one_instant_each_once_newest_first(pg_url: str, topic_prefix: str) -> None:
    await publish_as_producer(topic_prefix, ROSTER, school_id="s1")
    async with providers() as outside, notify_with(pg_url, topic_prefix, outside) as notify:
        calls = [(step, EscalationStep.CLASS_TEACHER) for step in range(1, 5)] + [(4, EscalationStep.DUTY_LEADER)]
        steps = [
            Envelope.wrap(not_collected(step, escalation, "t-wang"), source="/a", school_id="s1")
            for step, escalation in calls
        ]
        await publish_envelopes(topic_prefix, steps[:3])  # three alerts stored in the same instant
        await eventually(lambda: _told(notify, TEACHER, 3))
        outside.clock.advance(timedelta(minutes=15))
        await publish_envelopes(topic_prefix, steps[3:])  # and two more, later, in one instant too
        await eventually(lambda: _told(notify, TEACHER, 5))
        await eventually(lambda: _told(notify, MUM, 5, "/notify/v1/notifications"))

        for headers, v1, v2 in (
            (TEACHER, "/notify/v1/staff/notifications", "/notify/v2/staff/notifications"),
            (MUM, "/notify/v1/notifications", "/notify/v2/notifications"),
        ):
            walked = await every_page(notify, v2, headers, limit=2)  # every page boundary cuts an instant's alerts
            keys = [(datetime.fromisoformat(n["created_at"]), n["notification_id"]) for n in walked]
            assert keys == sorted(keys, reverse=True)
            assert len(set(keys)) == 5
            listed = (await notify.get(v1, headers=headers)).json()["items"]
            assert sorted(n["notification_id"] for n in listed) == sorted(key for _, key in keys)
            refused = await notify.get(v2, params={"after": "yesterday|x"}, headers=headers)
            assert (refused.status_code, refused.headers["content-type"]) == (422, "application/problem+json")
        elsewhere = auth(Role.CLASS_TEACHER, "t-wang", school="s2")  # the same id in another school's token
        assert await every_page(notify, "/notify/v2/staff/notifications", elsewhere, limit=2) == []
        assert (await notify.get("/notify/v2/staff/notifications", headers=MUM)).status_code == 403
        assert (await notify.get("/notify/v2/notifications", headers=TEACHER)).status_code == 403


@pytest.mark.parametrize(
    ("path", "successor", "headers"),
    [
        ("/notify/v1/notifications", "/notify/v2/notifications", MUM),
        ("/notify/v1/staff/notifications", "/notify/v2/staff/notifications", TEACHER),
    ],
)
async def test_v1_inboxes_answer_as_before_and_name_their_successor_and_sunset(
    pg_url: str, topic_prefix: str, path: str, successor: str, headers: dict[str, str]
) -> None:
    async with providers() as outside, notify_with(pg_url, topic_prefix, outside) as notify:
        response = await notify.get(path, headers=headers)
        assert (response.status_code, response.json()) == (200, {"items": [], "next_before": None})
        assert response.headers["Deprecation"] == "@1796428800"
        assert response.headers["Sunset"] == "Tue, 31 Aug 2027 15:59:59 GMT"
        assert response.headers["Link"] == f'<{successor}>; rel="successor-version"'
        spec = (await notify.get("/notify/openapi.json")).json()["paths"]
        assert (spec[path]["get"].get("deprecated"), spec[successor]["get"].get("deprecated")) == (True, None)


async def _told(client: httpx.AsyncClient, headers: dict[str, str], count: int, path: str = "") -> bool:
    return len(await inbox(client, headers, path or "/notify/v1/staff/notifications")) == count
