"""Each outside channel on the real stack (NT-2, NT-3): notify consumes the event from Kafka, stores the
notification and its deliveries in PostgreSQL, and its dispatcher worker sends after commit to a real SMTP server
or a simulator of the provider's documented API, on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest

from chassis.auth import Role
from contracts.envelope import Envelope
from tests.conftest import ServiceClient, auth, eventually
from tests.services.conftest import publish_as_producer, publish_envelopes
from tests.simulators.notify_stack import (
    ADMIN,
    EMAIL,
    MUM,
    OPENID,
    PHONE,
    ROSTER,
    checked_in,
    deliveries,
    in_states,
    notify_after,
    notify_with,
    providers,
    set_preferences,
)

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]


async def test_an_email_is_sent_once_over_smtp_even_when_the_event_is_delivered_twice(
    pg_url: str, topic_prefix: str
) -> None:
    async with notify_after(pg_url, topic_prefix, ROSTER) as (outside, notify):
        await set_preferences(notify, {"channels": {"attendance": ["email"]}, "email": EMAIL})
        envelope = Envelope.wrap(checked_in(5), source="/attendance", school_id="s1")
        await publish_envelopes(topic_prefix, [envelope, envelope])  # NT-3: a redelivery

        await eventually(in_states(notify, "email", ["sent"]))
        await asyncio.sleep(1.0)  # a second send would land now
        assert len(outside.mail.messages) == 1
        mail = outside.mail.messages[0]
        assert mail["To"] == EMAIL
        assert mail["Subject"] == "课后服务签到"
        assert mail.get_content().strip() == "小明已于16:05签到参加课后服务。"
        [email] = await deliveries(notify, "email")
        assert mail["Message-ID"] == f"<{email.delivery_id}@afterschool.notify>"
        assert (email.state, email.attempts) == ("sent", 1)


async def test_an_sms_goes_through_alibaba_cloud_signed_with_the_accounts_key(pg_url: str, topic_prefix: str) -> None:
    async with notify_after(pg_url, topic_prefix, ROSTER) as (outside, notify):
        await set_preferences(notify, {"channels": {"attendance": ["sms"]}, "phone": PHONE, "language": "en"})
        await publish_as_producer(topic_prefix, [checked_in(6)], school_id="s1")

        await eventually(in_states(notify, "sms", ["sent"]))
        [sms] = outside.sms.sent
        [delivery] = await deliveries(notify, "sms")
        assert (sms.phone, sms.template_code, sms.out_id) == (PHONE, "SMS_123456789", delivery.delivery_id)
        assert sms.params == {"title": "Checked in", "content": "小明 checked in to the after-school service at 16:06."}
        assert (delivery.state, delivery.provider_id) == ("sent", sms.biz_id)


async def test_a_wrong_sms_key_is_refused_by_the_provider_and_parked(pg_url: str, topic_prefix: str) -> None:
    await publish_as_producer(topic_prefix, ROSTER, school_id="s1")
    async with (
        providers() as outside,
        notify_with(pg_url, topic_prefix, outside, sms_access_key_secret="not-the-accounts-secret") as notify,
    ):
        await set_preferences(notify, {"channels": {"attendance": ["sms"]}, "phone": PHONE})
        await publish_as_producer(topic_prefix, [checked_in(7)], school_id="s1")

        await eventually(in_states(notify, "sms", ["failed"]))
        [delivery] = await deliveries(notify, "sms")
        assert (delivery.last_error or "").startswith("SignatureDoesNotMatch")
        assert (outside.sms.sent, outside.sms.calls) == ([], 1)  # permanent: not retried


async def test_wechat_caches_the_access_token_and_fetches_a_new_one_when_it_expires_or_is_revoked(
    pg_url: str, topic_prefix: str
) -> None:
    async with notify_after(pg_url, topic_prefix, ROSTER) as (outside, notify):
        await set_preferences(notify, {"channels": {"attendance": ["wechat"]}, "wechat_openid": OPENID})
        wechat = outside.wechat

        await publish_as_producer(topic_prefix, [checked_in(1), checked_in(2)], school_id="s1")
        await eventually(in_states(notify, "wechat", ["sent", "sent"]))
        assert wechat.token_requests == 1  # cached between sends

        outside.clock.advance(timedelta(hours=2, minutes=1))  # past the token's 7200 s
        await publish_as_producer(topic_prefix, [checked_in(3)], school_id="s1")
        await eventually(in_states(notify, "wechat", ["sent"] * 3))
        assert wechat.token_requests == 2

        wechat.revoke_tokens()  # 40001 on the next send: fetch with force_refresh and send again
        await publish_as_producer(topic_prefix, [checked_in(4)], school_id="s1")
        await eventually(in_states(notify, "wechat", ["sent"] * 4))
        assert wechat.token_requests == 3
        assert {m.openid for m in wechat.sent} == {OPENID}
        assert sorted(m.data["content"]["value"] for m in wechat.sent) == [
            f"小明已于16:0{n}签到参加课后服务。" for n in (1, 2, 3, 4)
        ]
        assert {d.state for d in await deliveries(notify, "wechat")} == {"sent"}


async def test_a_schools_webhook_is_signed_retried_with_the_same_id_and_delivered_once(
    pg_url: str, topic_prefix: str
) -> None:
    async with notify_after(pg_url, topic_prefix, ROSTER) as (outside, notify):
        created = await notify.post("/notify/v1/webhooks", json={"url": outside.settings["hooks_url"]}, headers=ADMIN)
        assert created.status_code == 201, created.text
        outside.hooks.secret = created.json()["secret"]
        assert outside.hooks.secret.startswith("whsec_")
        outside.hooks.answer_next = [503]  # the school's system is briefly down

        envelope = Envelope.wrap(checked_in(8), source="/attendance", school_id="s1")
        await publish_envelopes(topic_prefix, [envelope, envelope])

        async def refused_once() -> bool:
            return [(d.state, d.attempts, d.last_error) for d in await deliveries(notify, "webhook")] == [
                ("queued", 1, "http-503")
            ]

        await eventually(refused_once)
        [hook] = await deliveries(notify, "webhook")
        assert hook.next_attempt_at > outside.clock.now()  # backing off, not hammering

        outside.clock.advance(timedelta(seconds=6))  # past the first back-off of webhooks (at most 5 s)
        await eventually(in_states(notify, "webhook", ["delivered"]))
        await asyncio.sleep(0.5)
        assert outside.hooks.attempts == [hook.delivery_id, hook.delivery_id]  # one webhook-id across retries
        assert outside.hooks.bad_signatures == 0
        [payload] = outside.hooks.received.values()
        assert payload["type"] == "attendance.student_checked_in.v1"
        assert payload["data"]["event_id"] == envelope.id
        assert payload["data"]["body"] == "小明已于16:08签到参加课后服务。"
        [hook] = await deliveries(notify, "webhook")
        assert hook.state == "delivered"

        listed = await notify.get("/notify/v1/webhooks", headers=ADMIN)
        assert [e.get("secret") for e in listed.json()] == [None]  # shown once, never again
        other_school = auth(Role.SCHOOL_ADMIN, "s2-admin", school="s2")
        endpoint_id = listed.json()[0]["endpoint_id"]
        assert (await notify.delete(f"/notify/v1/webhooks/{endpoint_id}", headers=other_school)).status_code == 404
        guardian = await notify.post("/notify/v1/webhooks", json={"url": "http://x.example/"}, headers=MUM)
        assert guardian.status_code == 403


def failed_503(notify: ServiceClient, count: int) -> Callable[[], Awaitable[bool]]:
    """Whether `count` webhook deliveries are stored, each failed once with 503 and waiting to retry."""

    async def check() -> bool:
        hooks = await deliveries(notify, "webhook")
        return [(d.attempts, d.last_error) for d in hooks] == [(1, "http-503")] * count

    return check


async def test_a_failing_webhook_endpoint_trips_its_circuit_then_gets_one_trial_before_the_rest(
    pg_url: str, topic_prefix: str
) -> None:
    await publish_as_producer(topic_prefix, ROSTER, school_id="s1")
    async with (
        providers() as outside,
        notify_with(
            pg_url, topic_prefix, outside, webhook_breaker_failures=2, webhook_breaker_cooldown_seconds=300
        ) as notify,
    ):
        created = await notify.post("/notify/v1/webhooks", json={"url": outside.settings["hooks_url"]}, headers=ADMIN)
        outside.hooks.secret = created.json()["secret"]
        outside.hooks.answer_next = [503] * 100  # the school's system is down
        # One check-in at a time: published together, they may reach notify in one consumer batch or in several,
        # and a delivery stored after the circuit opened is (rightly) held back, never attempted.
        for n in (1, 2):
            await publish_as_producer(topic_prefix, [checked_in(n)], school_id="s1")
            await eventually(lambda n=n: len(outside.hooks.attempts) == n)
        await eventually(failed_503(notify, 2))  # two failures in a row: the circuit is open

        await publish_as_producer(topic_prefix, [checked_in(3)], school_id="s1")

        async def held_back() -> bool:  # stored and seen by the dispatcher, which holds it until the cool-down ends
            hooks = await deliveries(notify, "webhook")
            return len(hooks) == 3 and any(d.attempts == 0 and d.next_attempt_at > outside.clock.now() for d in hooks)

        await eventually(held_back)
        assert len(outside.hooks.attempts) == 2

        outside.clock.advance(timedelta(seconds=60))  # every retry is due, but the circuit is open
        await asyncio.sleep(0.7)
        assert len(outside.hooks.attempts) == 2
        assert sorted(d.attempts for d in await deliveries(notify, "webhook")) == [0, 1, 1]  # waiting spends none

        outside.clock.advance(timedelta(seconds=241))  # the cool-down is over: one trial, which fails
        await eventually(lambda: len(outside.hooks.attempts) == 3)
        await asyncio.sleep(0.7)
        assert len(outside.hooks.attempts) == 3

        outside.hooks.answer_next = []  # back up
        outside.clock.advance(timedelta(seconds=301))
        await eventually(in_states(notify, "webhook", ["delivered"] * 3))
        assert len(outside.hooks.attempts) == 4 + 2  # one more trial, then the two that waited
        assert len(outside.hooks.received) == 3
