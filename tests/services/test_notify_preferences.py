"""A guardian's own preferences (NT-2) on the real stack: set and read by the guardian alone, validated as
problem+json, and the chosen language used for what they are told next; and what they are told at check-out (NT-1)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from chassis.auth import Role
from contracts.attendance.dismissal import HandledBy, Release, StudentCheckedOut
from contracts.enrollment import PickupPersonAdded
from tests.conftest import auth, eventually
from tests.services.conftest import publish_as_producer
from tests.simulators.notify_stack import EMAIL, MUM, OPENID, PHONE, ROSTER, checked_in, notify_with, providers

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

CHOICES: dict[str, Any] = {
    "language": "en",
    "channels": {"urgent": ["wechat", "sms", "email"], "homework": ["email"]},
    "email": EMAIL,
    "phone": PHONE,
    "wechat_openid": OPENID,
    "quiet_hours": {"start": "21:30", "end": "07:00"},
}


async def test_a_guardian_sets_and_reads_back_their_own_preferences(pg_url: str, topic_prefix: str) -> None:
    async with providers() as outside, notify_with(pg_url, topic_prefix, outside) as notify:
        default = await notify.get("/notify/v1/preferences", headers=MUM)
        assert default.json() == {
            "guardian_id": "mum",
            "language": "zh-CN",
            "channels": {},
            "email": None,
            "phone": None,
            "wechat_openid": None,
            "quiet_hours": None,
        }
        saved = await notify.put("/notify/v1/preferences", json=CHOICES, headers=MUM)
        assert saved.status_code == 200
        expected = {**CHOICES, "guardian_id": "mum", "quiet_hours": {"start": "21:30:00", "end": "07:00:00"}}
        assert saved.json() == expected
        assert (await notify.get("/notify/v1/preferences", headers=MUM)).json() == expected
        assert (await notify.get("/notify/v1/guardians/mum/preferences", headers=MUM)).json() == expected


async def test_nobody_else_reads_or_changes_a_guardians_preferences(pg_url: str, topic_prefix: str) -> None:
    async with providers() as outside, notify_with(pg_url, topic_prefix, outside) as notify:
        assert (await notify.put("/notify/v1/preferences", json=CHOICES, headers=MUM)).status_code == 200
        dad = auth(Role.GUARDIAN, "dad", school="s1")
        assert (await notify.get("/notify/v1/guardians/mum/preferences", headers=dad)).status_code == 404
        teacher = auth(Role.CLASS_TEACHER, "mum", school="s1")  # the same id, but not a guardian's token
        for response in (
            await notify.get("/notify/v1/guardians/mum/preferences", headers=teacher),
            await notify.get("/notify/v1/preferences", headers=teacher),
            await notify.put("/notify/v1/preferences", json=CHOICES, headers=teacher),
        ):
            assert response.status_code == 403
            assert response.headers["content-type"] == "application/problem+json"
        # dad's PUT changes dad's preferences only, whatever he sends
        assert (await notify.put("/notify/v1/preferences", json={"language": "zh-CN"}, headers=dad)).status_code == 200
        assert (await notify.get("/notify/v1/preferences", headers=MUM)).json()["language"] == "en"
        other_school = auth(Role.GUARDIAN, "mum", school="s2")
        assert (await notify.get("/notify/v1/preferences", headers=other_school)).json()["channels"] == {}


BAD_CHOICES: list[tuple[dict[str, Any], str]] = [
    ({"channels": {"urgent": ["sms"]}, "phone": None}, "channel 'sms' needs its address"),
    ({"phone": "call me"}, "phone"),
    ({"email": "not-an-address"}, "email"),
    ({"channels": {"urgent": ["sms", "sms"]}}, "appears twice"),
    ({"channels": {"urgent": ["fax"]}}, "urgent"),
    ({"channels": {"gossip": ["sms"]}}, "gossip"),
    ({"language": "fr"}, "language"),
    ({"quiet_hours": {"start": "22:00", "end": "22:00"}}, "same time"),
]


async def test_bad_preferences_are_refused_as_problem_json_and_change_nothing(pg_url: str, topic_prefix: str) -> None:
    async with providers() as outside, notify_with(pg_url, topic_prefix, outside) as notify:
        for change, where in BAD_CHOICES:
            response = await notify.put("/notify/v1/preferences", json={**CHOICES, **change}, headers=MUM)
            assert response.status_code == 422, change
            assert response.headers["content-type"] == "application/problem+json"
            assert where in response.text, (change, response.text)
        assert (await notify.get("/notify/v1/preferences", headers=MUM)).json()["channels"] == {}


async def test_the_chosen_language_wins_over_the_one_the_school_recorded(pg_url: str, topic_prefix: str) -> None:
    await publish_as_producer(topic_prefix, ROSTER, school_id="s1")  # enrolled with Chinese
    async with providers() as outside, notify_with(pg_url, topic_prefix, outside) as notify:
        assert (await notify.put("/notify/v1/preferences", json={"language": "en"}, headers=MUM)).status_code == 200
        await publish_as_producer(topic_prefix, [checked_in(15)], school_id="s1")

        async def told() -> list[str]:
            items = (await notify.get("/notify/v1/notifications", headers=MUM)).json()["items"]
            return [item["body"] for item in items]

        await eventually(told)
        assert await told() == ["小明 checked in to the after-school service at 16:15."]


async def test_a_check_out_alert_names_who_collected_the_child(pg_url: str, topic_prefix: str) -> None:
    grandma = PickupPersonAdded(
        person_id="p-waipo", student_id="xiaoming", school_id="s1", relation="外婆", credential_ref="card-77"
    )
    await publish_as_producer(topic_prefix, [*ROSTER, grandma], school_id="s1")
    out = StudentCheckedOut(
        check_out_id="o1",
        student_id="xiaoming",
        school_id="s1",
        day=date(2026, 11, 25),
        occurred_at=datetime(2026, 11, 25, 9, 5, tzinfo=UTC),
        release=Release.PICKUP_PERSON,
        person_id="p-waipo",
        handled_by=next(iter(HandledBy)),
    )
    async with providers() as outside, notify_with(pg_url, topic_prefix, outside) as notify:
        await publish_as_producer(topic_prefix, [out], school_id="s1")

        async def told() -> list[str]:
            items = (await notify.get("/notify/v1/notifications", headers=MUM)).json()["items"]
            return [item["body"] for item in items]

        await eventually(told)
        assert await told() == ["小明已于17:05由外婆接走。"]  # NT-1: by whom and when
