"""Delivery rules on the real stack (NT-2, NT-3): back-off, dead letters and their replay, urgent fall-back,
quiet hours, rate limits, and a slow provider that holds up only its own channel. Time moves only on the
FakeClock the test holds."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import datetime, timedelta

import pytest

from chassis.auth import Role
from chassis.clock import SCHOOL_TZ, FakeClock
from contracts.enrollment import GuardianLinked, StudentEnrolled
from tests.conftest import ServiceClient, auth, eventually
from tests.services.conftest import publish_as_producer
from tests.simulators.notify_stack import (
    ADMIN,
    EMAIL,
    MUM,
    OPENID,
    PHONE,
    ROSTER,
    absent,
    checked_in,
    deliveries,
    in_states,
    notify_after,
    notify_with,
    providers,
    set_preferences,
)

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

URGENT_WECHAT_THEN_SMS = {
    "channels": {"urgent": ["wechat", "sms"]},
    "wechat_openid": OPENID,
    "phone": PHONE,
}


async def test_a_throttled_sms_waits_as_long_as_the_provider_asks_then_goes_out(pg_url: str, topic_prefix: str) -> None:
    async with notify_after(pg_url, topic_prefix, ROSTER) as (outside, notify):
        await set_preferences(notify, {"channels": {"attendance": ["sms"]}, "phone": PHONE})
        outside.sms.fail_next = ["isv.BUSINESS_LIMIT_CONTROL"]
        await publish_as_producer(topic_prefix, [checked_in(9)], school_id="s1")

        async def throttled() -> bool:
            return [(d.state, d.last_error) for d in await deliveries(notify, "sms")] == [
                ("queued", "isv.BUSINESS_LIMIT_CONTROL: simulated isv.BUSINESS_LIMIT_CONTROL")
            ]

        await eventually(throttled)
        [sms] = await deliveries(notify, "sms")
        assert sms.next_attempt_at >= outside.clock.now() + timedelta(seconds=60)  # the provider's 1 a minute
        await asyncio.sleep(0.5)
        assert (outside.sms.calls, outside.sms.sent) == (1, [])  # nothing sent before its time

        outside.clock.advance(timedelta(seconds=61))
        await eventually(in_states(notify, "sms", ["sent"]))
        assert (outside.sms.calls, len(outside.sms.sent)) == (2, 1)


async def test_a_failing_provider_ends_in_dead_letters_and_one_replay_sends_exactly_once(
    pg_url: str, topic_prefix: str
) -> None:
    async with notify_after(pg_url, topic_prefix, ROSTER) as (outside, notify):
        await set_preferences(notify, {"channels": {"attendance": ["wechat"]}, "wechat_openid": OPENID})
        outside.wechat.fail_next = [-1, -1, -1, -1]  # "system busy" on every one of WeChat's 4 attempts
        await publish_as_producer(topic_prefix, [checked_in(10)], school_id="s1")

        async def attempts() -> list[tuple[str, int, str | None]]:
            return [(d.state, d.attempts, d.last_error) for d in await deliveries(notify, "wechat")]

        for attempt in (1, 2, 3):  # each failure recorded with its back-off before time moves on
            await eventually(lambda n=attempt: _equals(attempts(), [("queued", n, "-1: simulated")]))
            outside.clock.advance(timedelta(seconds=301))  # past the longest WeChat back-off
        await eventually(lambda: _equals(attempts(), [("failed", 4, "-1: simulated")]))
        assert outside.wechat.sent == []

        listed = await notify.get("/notify/v1/dead-letters", headers=ADMIN)
        assert listed.status_code == 200
        [dead] = listed.json()
        assert (dead["channel"], dead["attempts"], dead["last_error"]) == ("wechat", 4, "-1: simulated")
        other_school = await notify.get("/notify/v1/dead-letters", headers=auth(Role.SCHOOL_ADMIN, "a", school="s2"))
        assert other_school.json() == []
        guardian = await notify.post("/notify/v1/dead-letters/replay", json={}, headers=MUM)
        assert guardian.status_code == 403

        replays = await asyncio.gather(
            *(notify.post("/notify/v1/dead-letters/replay", json={"channel": "wechat"}, headers=ADMIN) for _ in "ab")
        )
        assert sorted(len(r.json()["replayed"]) for r in replays) == [0, 1]  # two operators at once: one replay
        await eventually(in_states(notify, "wechat", ["sent"]))
        again = await notify.post(
            "/notify/v1/dead-letters/replay", json={"delivery_ids": [dead["delivery_id"]]}, headers=ADMIN
        )
        assert again.json() == {"replayed": []}  # it got through: never sent again (NT-3)
        await asyncio.sleep(0.5)
        assert len(outside.wechat.sent) == 1
        [delivery] = await deliveries(notify, "wechat")
        assert (delivery.replays, delivery.attempts) == (1, 1)


async def _equals(found: Awaitable[object], expected: object) -> bool:
    return await found == expected


async def test_an_urgent_alert_falls_back_to_sms_when_wechat_refuses_it(pg_url: str, topic_prefix: str) -> None:
    async with notify_after(pg_url, topic_prefix, ROSTER) as (outside, notify):
        await set_preferences(notify, URGENT_WECHAT_THEN_SMS)
        outside.wechat.followers.clear()  # mum unfollowed the account: 43004, no retry can help
        await publish_as_producer(topic_prefix, [absent()], school_id="s1")

        await eventually(in_states(notify, "sms", ["sent"]))
        assert await _states(notify) == {"in_app": ["delivered"], "wechat": ["failed"], "sms": ["sent"]}
        [wechat] = await deliveries(notify, "wechat")
        assert (wechat.last_error, wechat.attempts) == ("43004: require subscribe", 1)
        [sms] = outside.sms.sent
        assert sms.params["title"] == "未到提醒"


async def test_a_non_urgent_alert_does_not_fall_back(pg_url: str, topic_prefix: str) -> None:
    async with notify_after(pg_url, topic_prefix, ROSTER) as (outside, notify):
        await set_preferences(
            notify, {"channels": {"attendance": ["wechat", "sms"]}, "wechat_openid": OPENID, "phone": PHONE}
        )
        outside.wechat.followers.clear()
        await publish_as_producer(topic_prefix, [checked_in(11)], school_id="s1")
        await eventually(in_states(notify, "wechat", ["failed"]))
        await asyncio.sleep(0.5)
        assert await _states(notify) == {"in_app": ["delivered"], "wechat": ["failed"]}
        assert outside.sms.calls == 0


async def test_an_urgent_alert_nobody_reads_moves_to_the_next_channel_after_the_setting(
    pg_url: str, topic_prefix: str
) -> None:
    await publish_as_producer(topic_prefix, ROSTER, school_id="s1")
    async with providers() as outside, notify_with(pg_url, topic_prefix, outside, urgent_fallback_seconds=90) as notify:
        await set_preferences(notify, {"channels": {"urgent": ["email", "sms"]}, "email": EMAIL, "phone": PHONE})
        await publish_as_producer(topic_prefix, [absent()], school_id="s1")
        await eventually(in_states(notify, "email", ["sent"]))

        outside.clock.advance(timedelta(seconds=89))
        await asyncio.sleep(0.5)
        assert outside.sms.calls == 0  # not yet
        outside.clock.advance(timedelta(seconds=2))
        await eventually(in_states(notify, "sms", ["sent"]))
        assert len(outside.mail.messages) == len(outside.sms.sent) == 1


async def test_an_urgent_alert_read_in_the_app_stops_the_fall_back(pg_url: str, topic_prefix: str) -> None:
    await publish_as_producer(topic_prefix, ROSTER, school_id="s1")
    async with providers() as outside, notify_with(pg_url, topic_prefix, outside, urgent_fallback_seconds=90) as notify:
        await set_preferences(notify, {"channels": {"urgent": ["email", "sms"]}, "email": EMAIL, "phone": PHONE})
        await publish_as_producer(topic_prefix, [absent()], school_id="s1")
        await eventually(in_states(notify, "email", ["sent"]))

        [notification] = (await notify.get("/notify/v1/notifications", headers=MUM)).json()["items"]
        dad = auth(Role.GUARDIAN, "dad", school="s1")
        path = f"/notify/v1/notifications/{notification['notification_id']}/read"
        assert (await notify.post(path, headers=dad)).status_code == 404  # not his to read
        assert (await notify.post(path, headers=MUM)).status_code == 204

        outside.clock.advance(timedelta(seconds=120))
        await asyncio.sleep(1.0)
        assert outside.sms.calls == 0
        assert await _states(notify) == {"in_app": ["read"], "email": ["read"]}


async def test_quiet_hours_hold_a_check_in_until_morning_but_not_an_absence(pg_url: str, topic_prefix: str) -> None:
    late_evening = FakeClock(datetime(2026, 11, 25, 22, 0, tzinfo=SCHOOL_TZ))
    await publish_as_producer(topic_prefix, ROSTER, school_id="s1")
    async with providers(late_evening) as outside, notify_with(pg_url, topic_prefix, outside) as notify:
        await set_preferences(
            notify,
            {
                "channels": {"attendance": ["email"], "urgent": ["email"]},
                "email": EMAIL,
                "quiet_hours": {"start": "21:30", "end": "07:00"},
            },
        )
        await publish_as_producer(topic_prefix, [checked_in(12)], school_id="s1")
        await eventually(in_states(notify, "email", ["queued"]))
        [held] = await deliveries(notify, "email")
        assert held.next_attempt_at == datetime(2026, 11, 26, 7, 0, tzinfo=SCHOOL_TZ)
        items = (await notify.get("/notify/v1/notifications", headers=MUM)).json()["items"]
        assert len(items) == 1  # the in-app inbox has it at once; only the e-mail waits

        await publish_as_producer(topic_prefix, [absent()], school_id="s1")  # NT-2: urgent ignores quiet hours
        await eventually(lambda: len(outside.mail.messages) == 1)
        assert outside.mail.messages[0]["Subject"] == "未到提醒"
        await asyncio.sleep(0.5)
        assert len(outside.mail.messages) == 1

        outside.clock.advance(timedelta(hours=8, minutes=59))  # 06:59
        await asyncio.sleep(0.5)
        assert len(outside.mail.messages) == 1
        outside.clock.advance(timedelta(minutes=1))  # 07:00
        await eventually(lambda: len(outside.mail.messages) == 2)
        assert outside.mail.messages[1]["Subject"] == "课后服务签到"


async def test_a_channels_rate_limit_spreads_a_burst_over_time(pg_url: str, topic_prefix: str) -> None:
    await publish_as_producer(topic_prefix, ROSTER, school_id="s1")
    async with providers() as outside, notify_with(pg_url, topic_prefix, outside, rate_email_per_second=2) as notify:
        await set_preferences(notify, {"channels": {"attendance": ["email"]}, "email": EMAIL})
        await publish_as_producer(topic_prefix, [checked_in(n) for n in range(20, 25)], school_id="s1")

        async def queued() -> int:
            return sum(d.state == "queued" for d in await deliveries(notify, "email"))

        await eventually(lambda: _equals(queued(), 3))  # 5 queued, a burst of 2 a second went out
        await asyncio.sleep(0.5)
        assert len(outside.mail.messages) == 2  # time has not moved: no new tokens
        outside.clock.advance(timedelta(seconds=1))
        await eventually(lambda: len(outside.mail.messages) == 4)
        await asyncio.sleep(0.3)
        assert len(outside.mail.messages) == 4
        outside.clock.advance(timedelta(seconds=1))
        await eventually(lambda: len(outside.mail.messages) == 5)


async def test_a_slow_sms_provider_holds_up_only_the_sms_channel(pg_url: str, topic_prefix: str) -> None:
    roster = [*ROSTER, ROSTER[1].model_copy(update={"guardian_id": "dad", "relation": "父亲"})]
    async with notify_after(pg_url, topic_prefix, roster) as (outside, notify):
        await set_preferences(notify, {"channels": {"attendance": ["sms"]}, "phone": PHONE})
        dad = auth(Role.GUARDIAN, "dad", school="s1")
        await set_preferences(notify, {"channels": {"attendance": ["email"]}, "email": "dad@example.cn"}, dad)
        outside.sms.delay = 3.0
        await publish_as_producer(topic_prefix, [checked_in(30)], school_id="s1")

        await eventually(lambda: len(outside.mail.messages) == 1)
        assert outside.sms.sent == []  # the e-mail went while the SMS provider was still answering
        await eventually(in_states(notify, "sms", ["sent"]))


async def test_an_email_due_while_a_slow_sms_is_in_flight_is_not_held_up_by_it(pg_url: str, topic_prefix: str) -> None:
    """Issue 10: each channel runs its own loop, so an e-mail that becomes due after a slow SMS call started goes out
    at the next e-mail tick, not after the SMS provider answers (the old shared tick waited for every channel)."""
    sister = [
        StudentEnrolled(student_id="xiaohong", school_id="s1", class_id="s1-g1-c1", grade=1, name="小红"),
        GuardianLinked(guardian_id="dad", student_id="xiaohong", school_id="s1", relation="父亲"),
    ]
    async with notify_after(pg_url, topic_prefix, [*ROSTER, *sister]) as (outside, notify):
        await set_preferences(notify, {"channels": {"attendance": ["sms"]}, "phone": PHONE})
        dad = auth(Role.GUARDIAN, "dad", school="s1")
        await set_preferences(notify, {"channels": {"attendance": ["email"]}, "email": "dad@example.cn"}, dad)
        outside.sms.delay = 5.0
        await publish_as_producer(topic_prefix, [checked_in(31)], school_id="s1")
        await eventually(lambda: _true(outside.sms.calls == 1))  # the SMS call is in flight, for 5 s

        await publish_as_producer(topic_prefix, [checked_in(32, "xiaohong")], school_id="s1")
        await eventually(lambda: _true(len(outside.mail.messages) == 1))
        assert outside.sms.sent == []  # still waiting for the SMS provider's answer
        await eventually(in_states(notify, "sms", ["sent"]))


async def _true(value: bool) -> bool:
    return value


async def _states(notify: ServiceClient) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for delivery in await deliveries(notify):
        found.setdefault(delivery.channel, []).append(delivery.state)
    return found
