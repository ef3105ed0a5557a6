"""BX-8 on the real stack: a district system subscribes to event types of some schools through the API and gets
each such event once, as its CloudEvents envelope, in a Standard Webhooks-signed request."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from chassis.auth import Role
from contracts.enrollment import ClassCreated, StudentErased
from contracts.envelope import Envelope
from tests.conftest import auth, eventually
from tests.services.conftest import publish_as_producer, publish_envelopes
from tests.services.test_enrollment_privacy import every_stored_text
from tests.simulators.notify_stack import ROSTER, checked_in, in_states, notify_after, notify_with, providers

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

OPERATOR = auth(Role.DISTRICT_OPERATOR, "d1-ops", district="d1")
WANTED = ["attendance.student_checked_in.v1", "enrollment.class_created.v1"]


async def test_a_district_system_gets_the_event_types_and_schools_it_subscribed_to_once_each(
    pg_url: str, topic_prefix: str
) -> None:
    async with notify_after(pg_url, topic_prefix, ROSTER) as (outside, notify):
        created = await notify.post(
            "/notify/v1/subscriptions",
            json={"url": outside.settings["hooks_url"], "event_types": WANTED, "school_ids": ["s1"]},
            headers=OPERATOR,
        )
        assert created.status_code == 201, created.text
        outside.hooks.secret = created.json()["secret"]

        ours = Envelope.wrap(checked_in(1), source="/attendance", school_id="s1")
        other_school = Envelope.wrap(checked_in(2).model_copy(update={"school_id": "s2"}), source="/a", school_id="s2")
        new_class = Envelope.wrap(
            ClassCreated(class_id="s1-g1-c9", school_id="s1", grade=1, name="一年级九班"), source="/e", school_id="s1"
        )
        await publish_envelopes(topic_prefix, [ours, ours, other_school, new_class])  # `ours` redelivered

        await eventually(in_states(notify, "webhook", ["delivered", "delivered"]))
        await asyncio.sleep(1.0)
        assert outside.hooks.bad_signatures == 0
        assert sorted(outside.hooks.attempts) == sorted(outside.hooks.received)  # each sent once
        got = {message["id"]: message for message in outside.hooks.received.values()}
        assert set(got) == {ours.id, new_class.id}
        assert got[ours.id]["type"] == "attendance.student_checked_in.v1"
        assert got[ours.id]["schoolid"] == "s1"
        assert got[new_class.id]["data"]["name"] == "一年级九班"


async def test_an_erasure_reaches_every_subscriber_of_the_school_and_takes_notifys_copies_of_the_childs_events(
    pg_url: str, topic_prefix: str
) -> None:
    """PIPL (issue 11): a subscriber that got the child's data hears of the erasure, subscribed to it or not, and the
    bodies notify kept of what it sent them go."""
    async with providers() as outside, notify_with(pg_url, topic_prefix, outside) as notify:
        enrolments = {"url": outside.settings["hooks_url"], "event_types": ["enrollment.student_enrolled.v1"]}
        created = await notify.post("/notify/v1/subscriptions", json=enrolments, headers=OPERATOR)
        assert created.status_code == 201, created.text
        outside.hooks.secret = created.json()["secret"]
        await publish_as_producer(topic_prefix, ROSTER, school_id="s1")
        await eventually(in_states(notify, "webhook", ["delivered"]))
        assert "小明" in await every_stored_text(pg_url)

        erased = StudentErased(student_id="xiaoming", school_id="s1", left_on=date(2025, 11, 20), guardian_ids=[])
        await publish_as_producer(topic_prefix, [erased], school_id="s1")

        def received() -> list[str]:
            return sorted(message["type"] for message in outside.hooks.received.values())

        await eventually(lambda: len(received()) == 2)
        assert received() == ["enrollment.student_enrolled.v1", "enrollment.student_erased.v1"]
        await eventually(in_states(notify, "webhook", ["delivered"]))  # the erasure's own; the enrolment's is gone
        assert outside.hooks.bad_signatures == 0
    assert "小明" not in await every_stored_text(pg_url)


async def test_subscriptions_are_the_districts_own_and_name_published_event_types(
    pg_url: str, topic_prefix: str
) -> None:
    async with providers() as outside, notify_with(pg_url, topic_prefix, outside) as notify:
        body = {"url": outside.settings["hooks_url"], "event_types": WANTED}
        unknown = await notify.post(
            "/notify/v1/subscriptions", json={**body, "event_types": ["attendance.gossip.v1"]}, headers=OPERATOR
        )
        assert unknown.status_code == 422
        assert unknown.headers["content-type"] == "application/problem+json"
        assert "attendance.gossip.v1" in unknown.text
        school_admin = auth(Role.SCHOOL_ADMIN, "s1-admin", school="s1")
        assert (await notify.post("/notify/v1/subscriptions", json=body, headers=school_admin)).status_code == 403

        created = (await notify.post("/notify/v1/subscriptions", json=body, headers=OPERATOR)).json()
        listed = (await notify.get("/notify/v1/subscriptions", headers=OPERATOR)).json()
        assert [(s["subscription_id"], s["secret"]) for s in listed] == [(created["subscription_id"], None)]
        elsewhere = auth(Role.DISTRICT_OPERATOR, "d2-ops", district="d2")
        assert (await notify.get("/notify/v1/subscriptions", headers=elsewhere)).json() == []
        path = f"/notify/v1/subscriptions/{created['subscription_id']}"
        assert (await notify.delete(path, headers=elsewhere)).status_code == 404
        assert (await notify.delete(path, headers=OPERATOR)).status_code == 204
