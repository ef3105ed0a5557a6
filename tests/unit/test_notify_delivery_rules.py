"""Pure delivery rules of notify (NT-2, NT-3): quiet hours, channel order and fall-back, back-off, rate limits,
delivery states, and the Standard Webhooks signature. No I/O."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chassis.clock import SCHOOL_TZ
from services.notify.adapters.sms import percent_encode
from services.notify.adapters.webhook import new_secret, sign, verify
from services.notify.domain.broadcasts import broadcast_key, is_repeat
from services.notify.domain.channels import Category, Channel, DeliveryState, can_move, category_of
from services.notify.domain.circuit import Breaker, CircuitState, after_success
from services.notify.domain.quiet_hours import QuietHours, send_at
from services.notify.domain.rate_limit import TokenBucket
from services.notify.domain.retry import POLICIES, RetryPolicy
from services.notify.domain.routing import Addresses, Preferences, falls_back, route

pytestmark = pytest.mark.unit

NIGHT = QuietHours(time(21, 30), time(7, 0))
EVENING = datetime(2026, 11, 25, 22, 15, tzinfo=SCHOOL_TZ)
AFTERNOON = datetime(2026, 11, 25, 15, 0, tzinfo=SCHOOL_TZ)


def test_quiet_hours_run_past_midnight() -> None:
    assert NIGHT.contains(EVENING)
    assert NIGHT.contains(datetime(2026, 11, 26, 6, 59, tzinfo=SCHOOL_TZ))
    assert not NIGHT.contains(datetime(2026, 11, 26, 7, 0, tzinfo=SCHOOL_TZ))
    assert not NIGHT.contains(AFTERNOON)


def test_a_homework_plan_at_night_waits_for_the_morning_but_an_urgent_alert_does_not() -> None:
    assert send_at(EVENING, NIGHT, urgent=False) == datetime(2026, 11, 26, 7, 0, tzinfo=SCHOOL_TZ)
    assert send_at(EVENING, NIGHT, urgent=True) == EVENING  # NT-2: urgent alerts ignore quiet hours
    assert send_at(AFTERNOON, NIGHT, urgent=False) == AFTERNOON
    after_midnight = datetime(2026, 11, 26, 1, 0, tzinfo=SCHOOL_TZ)
    assert send_at(after_midnight, NIGHT, urgent=False) == datetime(2026, 11, 26, 7, 0, tzinfo=SCHOOL_TZ)


def test_a_daytime_quiet_window_ends_the_same_day() -> None:
    nap = QuietHours(time(12, 0), time(14, 0))
    noon = datetime(2026, 11, 25, 12, 30, tzinfo=SCHOOL_TZ)
    assert send_at(noon, nap, urgent=False) == datetime(2026, 11, 25, 14, 0, tzinfo=SCHOOL_TZ)


def test_an_empty_quiet_window_is_refused() -> None:
    with pytest.raises(ValueError, match="same time"):
        QuietHours(time(8, 0), time(8, 0))


MUM = Preferences(
    channels={Category.URGENT: [Channel.WECHAT, Channel.SMS, Channel.EMAIL], Category.HOMEWORK: [Channel.EMAIL]},
    addresses=Addresses(email="mum@example.cn", phone="+8613800000000", wechat_openid="o-mum"),
)


def test_channels_are_tried_in_the_guardians_order_with_their_addresses() -> None:
    assert route(MUM, Category.URGENT) == [
        (Channel.WECHAT, "o-mum"),
        (Channel.SMS, "+8613800000000"),
        (Channel.EMAIL, "mum@example.cn"),
    ]
    assert route(MUM, Category.HOMEWORK) == [(Channel.EMAIL, "mum@example.cn")]
    assert route(MUM, Category.FEES) == []  # no outside channel chosen: the in-app inbox only
    assert route(None, Category.URGENT) == []


def test_a_channel_without_an_address_is_skipped() -> None:
    no_wechat = Preferences(
        channels={Category.URGENT: [Channel.WECHAT, Channel.SMS]}, addresses=Addresses(phone="123456")
    )
    assert route(no_wechat, Category.URGENT) == [(Channel.SMS, "123456")]


def test_only_urgent_alerts_fall_back_to_the_next_channel() -> None:
    assert falls_back(urgent=True, remaining=[("sms", "1")])
    assert not falls_back(urgent=False, remaining=[("sms", "1")])
    assert not falls_back(urgent=True, remaining=[])


def test_categories_follow_urgency_fees_and_the_producer() -> None:
    assert category_of("attendance.student_checked_in.v1", urgent=False) == Category.ATTENDANCE
    assert category_of("attendance.unexcused_absence.v1", urgent=True) == Category.URGENT
    assert category_of("attendance.late_pickup_charged.v1", urgent=False) == Category.FEES
    assert category_of("homework.weekly_plan_published.v1", urgent=False) == Category.HOMEWORK
    assert category_of("enrollment.application_approved.v1", urgent=False) == Category.ENROLLMENT


def test_back_off_doubles_up_to_the_cap_with_full_jitter() -> None:
    policy = RetryPolicy(max_attempts=5, base_seconds=10, cap_seconds=60)
    assert [policy.delay(n, 0.999) for n in (1, 2, 3, 4, 5)] == pytest.approx([9.99, 19.98, 39.96, 59.94, 59.94])
    assert policy.delay(3, 0.0) == 1.0  # never a zero wait: a tenth of the base
    assert policy.delay(1, 0.5, at_least=60) == 60  # the provider's Retry-After wins
    assert not policy.gives_up_after(4)
    assert policy.gives_up_after(5)


@given(attempts=st.integers(1, 50), jitter=st.floats(0, 0.999999))
def test_every_back_off_stays_between_a_tenth_of_the_base_and_the_cap(attempts: int, jitter: float) -> None:
    for policy in POLICIES.values():
        assert policy.base_seconds / 10 <= policy.delay(attempts, jitter) <= policy.cap_seconds


def test_jitter_outside_zero_to_one_is_a_bug() -> None:
    with pytest.raises(ValueError, match="jitter"):
        POLICIES[Channel.SMS].delay(1, 1.0)


def test_the_bucket_grants_a_burst_then_refills_with_time() -> None:
    bucket = TokenBucket(rate=2, burst=2)
    assert bucket.take(AFTERNOON, 5) == 2
    assert bucket.take(AFTERNOON, 5) == 0
    assert bucket.take(AFTERNOON + timedelta(milliseconds=500), 5) == 1
    assert bucket.take(AFTERNOON + timedelta(seconds=10), 5) == 2  # never more than the burst
    bucket.refund(1)
    assert bucket.take(AFTERNOON + timedelta(seconds=10), 5) == 1


def test_a_delivery_that_got_through_never_goes_back_to_the_queue() -> None:
    assert can_move(DeliveryState.QUEUED, DeliveryState.SENT)
    assert can_move(DeliveryState.SENT, DeliveryState.READ)
    assert can_move(DeliveryState.FAILED, DeliveryState.QUEUED)  # an operator's replay
    for done in (DeliveryState.SENT, DeliveryState.DELIVERED, DeliveryState.READ):
        assert not can_move(done, DeliveryState.QUEUED)


def test_the_webhook_signature_matches_the_standard_webhooks_reference_vector() -> None:
    signature = sign(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}'
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_a_receiver_rejects_a_tampered_body_or_another_secret() -> None:
    secret = new_secret()
    headers = {"webhook-id": "d1", "webhook-timestamp": "1764050400"}
    headers["webhook-signature"] = sign(secret, "d1", 1764050400, b'{"a":1}')
    assert verify(secret, headers, b'{"a":1}')
    assert not verify(secret, headers, b'{"a":2}')
    assert not verify(new_secret(), headers, b'{"a":1}')


def test_alibaba_cloud_percent_encoding_keeps_only_unreserved_characters() -> None:
    assert percent_encode("a b*c~d/e:f") == "a%20b%2Ac~d%2Fe%3Af"
    assert percent_encode("小明") == "%E5%B0%8F%E6%98%8E"


def test_a_circuit_opens_after_failures_in_a_row_and_half_opens_after_the_cool_down() -> None:
    breaker = Breaker(failures_to_open=3, cooldown=timedelta(minutes=5))
    failures, until = 0, None
    for _ in range(2):
        failures, until = breaker.after_failure(failures, AFTERNOON)
        assert breaker.state(failures, until, AFTERNOON) == CircuitState.CLOSED
    failures, until = breaker.after_failure(failures, AFTERNOON)
    assert until == AFTERNOON + timedelta(minutes=5)
    assert breaker.state(failures, until, AFTERNOON + timedelta(minutes=4)) == CircuitState.OPEN
    assert breaker.state(failures, until, AFTERNOON + timedelta(minutes=5)) == CircuitState.HALF_OPEN
    later = AFTERNOON + timedelta(minutes=6)
    assert breaker.after_failure(failures, later) == (4, later + timedelta(minutes=5))  # a failed trial reopens
    assert breaker.state(*after_success(), later) == CircuitState.CLOSED


def test_a_broadcast_repeats_another_only_with_the_same_message_to_the_same_guardians_within_the_window() -> None:
    same = {"school_id": "s1", "drill": False, "reason": "weather", "dismiss_at": AFTERNOON, "note": "雨"}
    first = broadcast_key(grades=[5, 4], **same)  # type: ignore[arg-type]
    assert broadcast_key(grades=[4, 5, 5], **same) == first  # type: ignore[arg-type]
    assert broadcast_key(grades=[4], **same) != first  # type: ignore[arg-type]
    assert broadcast_key(grades=[4, 5], **{**same, "note": "雪"}) != first  # type: ignore[arg-type]
    window = timedelta(minutes=10)
    assert is_repeat(AFTERNOON, AFTERNOON + timedelta(minutes=9), window)
    assert is_repeat(AFTERNOON + timedelta(minutes=9), AFTERNOON, window)  # out of order
    assert not is_repeat(AFTERNOON, AFTERNOON + timedelta(minutes=10), window)
    assert not is_repeat(None, AFTERNOON, window)
