"""The dispatcher: sends queued deliveries after commit, from a worker, never inside a consumer's transaction.

Each channel is dispatched on its own, so a slow or failing provider holds up only its own channel. A delivery
is claimed (attempt counted, lease set) and committed before the provider is called, and its outcome is recorded
only if it is still the claim this sender made; a replay or a lapsed lease that moved it on wins (NT-3). The
webhook endpoints' circuit breakers are applied inside those same claim and record transactions.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from chassis.app import Runtime
from chassis.records import from_fields
from services.notify.adapters.base import ChannelAdapter, Outgoing, Permanent, SendFailed, Sent, Transient
from services.notify.adapters.registry import build_adapters
from services.notify.deliveries import handlers as deliveries
from services.notify.dispatch import store
from services.notify.domain.channels import Channel, DeliveryState
from services.notify.domain.circuit import Breaker, CircuitState, after_success
from services.notify.domain.rate_limit import TokenBucket
from services.notify.domain.retry import POLICIES
from services.notify.domain.routing import falls_back
from services.notify.settings import NotifySettings

log = logging.getLogger(__name__)
SERVICE = "notify"
ESCALATION_PERIOD_SECONDS = 1.0
"""How often unanswered urgent alerts are looked for: the fall-back wait is minutes, a second is plenty."""


class Dispatcher:
    """Sends what is due on every configured channel, within each channel's rate limit."""

    def __init__(
        self,
        runtime: Runtime,
        adapters: Mapping[Channel, ChannelAdapter],
        *,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._runtime, self._adapters, self._jitter = runtime, adapters, jitter
        self._settings = runtime.settings_as(NotifySettings)
        rates = {
            Channel.EMAIL: self._settings.rate_email_per_second,
            Channel.SMS: self._settings.rate_sms_per_second,
            Channel.WECHAT: self._settings.rate_wechat_per_second,
            Channel.WEBHOOK: self._settings.rate_webhook_per_second,
        }
        self._breaker = Breaker(
            failures_to_open=self._settings.webhook_breaker_failures,
            cooldown=timedelta(seconds=self._settings.webhook_breaker_cooldown_seconds),
        )
        burst = self._settings.rate_burst_seconds
        self._buckets = {channel: TokenBucket(rate, max(1.0, rate * burst)) for channel, rate in rates.items()}

    @property
    def channels(self) -> list[Channel]:
        """The channels this dispatcher sends on (in-app needs no sending: it is delivered when stored)."""
        return list(self._buckets)

    async def dispatch_channel(self, channel: Channel) -> int:
        """One pass over `channel`: claim what is due and the bucket allows, send concurrently, record."""
        bucket = self._buckets[channel]
        clock = self._runtime.clock
        async with self._runtime.db.sessions() as session:
            if not await store.any_due(session, channel=channel, now=clock.now()):
                return 0  # each channel ticks on its own: an idle one must not lock, commit and refund every tick
        granted = bucket.take(clock.now(), self._settings.delivery_batch)
        if granted == 0:
            return 0
        lease = timedelta(seconds=self._settings.delivery_lease_seconds)
        async with self._runtime.uow() as uow:
            now = clock.now()
            claimed = await store.lock_due(uow.session, channel=channel, now=now, limit=granted)
            secrets: dict[str, str] = {}
            if channel == Channel.WEBHOOK:
                claimed, secrets = await admit_through_circuits(
                    uow.session, self._breaker, claimed, now=now, lease=lease
                )
            store.claim(claimed, now=now, lease=lease)
            outgoing = [(d.delivery_id, d.attempts, _outgoing(d, secrets.get(d.recipient_id))) for d in claimed]
            await uow.commit()
        bucket.refund(granted - len(outgoing))
        await asyncio.gather(*(self._send_and_record(did, attempts, out) for did, attempts, out in outgoing))
        return len(outgoing)

    async def _send_and_record(self, delivery_id: str, attempts: int, outgoing: Outgoing) -> None:
        result: Sent | SendFailed
        adapter = self._adapters.get(outgoing.channel)
        try:
            if adapter is None:
                raise Permanent("channel-not-configured", f"{outgoing.channel} has no provider configured")
            async with asyncio.timeout(self._settings.delivery_send_timeout_seconds):
                result = await adapter.send(outgoing)
        except SendFailed as failure:
            result = failure
        except TimeoutError:
            result = Transient("timeout", f"no answer within {self._settings.delivery_send_timeout_seconds}s")
        except Exception as error:  # an adapter's bug must not stop the channel; retried like a transient failure
            log.exception("channel adapter failed unexpectedly", extra={"channel": outgoing.channel})
            result = Transient("adapter-error", repr(error))
        await self._record(delivery_id, attempts, result)

    async def _record(self, delivery_id: str, attempts: int, result: Sent | SendFailed) -> None:
        async with self._runtime.uow() as uow:
            delivery = await store.lock_claimed(uow.session, delivery_id=delivery_id, attempts=attempts)
            if delivery is None:
                return
            now = uow.clock.now()
            policy = POLICIES[Channel(delivery.channel)]
            if isinstance(result, Sent):
                delivery.state = DeliveryState.DELIVERED if result.delivered else DeliveryState.SENT
                delivery.sent_at = now
                delivery.delivered_at = now if result.delivered else None
                delivery.provider_id = result.provider_id
                delivery.last_error = None
            elif isinstance(result, Transient) and not policy.gives_up_after(delivery.attempts):
                wait = policy.delay(delivery.attempts, self._jitter(), at_least=result.retry_after)
                delivery.next_attempt_at = now + timedelta(seconds=wait)
                delivery.last_error = str(result)[:500]
            else:
                delivery.state = DeliveryState.FAILED
                delivery.failed_at = now
                delivery.last_error = str(result)[:500]
                fall_back(uow.session, delivery, now)
            if delivery.channel == Channel.WEBHOOK:
                await record_on_circuit(
                    uow.session,
                    self._breaker,
                    endpoint_id=delivery.recipient_id,
                    succeeded=isinstance(result, Sent),
                    now=now,
                )
            channel, state = delivery.channel, delivery.state
            await uow.commit()
        deliveries.NOTIFICATIONS.labels(SERVICE, channel, state).inc()

    async def escalate_unanswered(self) -> int:
        """NT-2: urgent deliveries neither delivered nor read within the setting go to the next channel."""
        async with self._runtime.uow() as uow:
            now = uow.clock.now()
            cutoff = now - timedelta(seconds=self._settings.urgent_fallback_seconds)
            late = await store.unanswered_urgent(uow.session, sent_before=cutoff, limit=500)
            for delivery in late:
                fall_back(uow.session, delivery, now)
            await uow.commit()
        return len(late)


CARRIED_ON: tuple[str, ...] = ("event_id", "recipient_id", "school_id", "notification_id", "event_type")
CARRIED_ON += ("title", "body", "language", "urgent")
"""What a fall-back delivery copies from the one it follows."""


def fall_back(session: AsyncSession, delivery: store.Delivery, now: datetime) -> None:
    """Queue the next channel of an urgent alert's order, once (the unique triple stops a second one)."""
    if delivery.escalated or not falls_back(urgent=delivery.urgent, remaining=delivery.fallback):
        return
    (channel, address), rest = delivery.fallback[0], delivery.fallback[1:]
    delivery.escalated = True
    common = {**{column: getattr(delivery, column) for column in CARRIED_ON}, "created_at": now}
    fallback = [(Channel(c), a) for c, a in rest]
    row = deliveries.delivery_row(common, Channel(channel), address, DeliveryState.QUEUED, now, fallback=fallback)
    session.add(store.Delivery(**row))


async def admit_through_circuits(
    session: AsyncSession, breaker: Breaker, due: list[store.Delivery], *, now: datetime, lease: timedelta
) -> tuple[list[store.Delivery], dict[str, str]]:
    """The due webhook deliveries whose endpoint may be called now, and the endpoints' signing secrets.

    An open circuit's deliveries wait, without spending an attempt, until its cool-down ends; a half-open one
    lets a single trial through and stays shut for the trial's lease, so the next tick sends no second trial.
    """
    found = await store.endpoints(session, {d.recipient_id for d in due}, lock=True)
    admitted: list[store.Delivery] = []
    for delivery in due:
        endpoint = found.get(delivery.recipient_id)
        if endpoint is None:
            admitted.append(delivery)  # removed endpoint: the adapter fails it for want of a secret
            continue
        state = breaker.state(endpoint.failures_in_a_row, endpoint.open_until, now)
        if state == CircuitState.CLOSED:
            admitted.append(delivery)
        elif state == CircuitState.HALF_OPEN:
            endpoint.open_until = now + lease
            admitted.append(delivery)
        else:
            delivery.next_attempt_at = max(delivery.next_attempt_at, endpoint.open_until or now)
    return admitted, {e.endpoint_id: e.secret for e in found.values()}


async def record_on_circuit(
    session: AsyncSession, breaker: Breaker, *, endpoint_id: str, succeeded: bool, now: datetime
) -> None:
    """Count the outcome on the endpoint's circuit; a trial that got through reopens the endpoint's queue."""
    endpoint = (await store.endpoints(session, {endpoint_id}, lock=True)).get(endpoint_id)
    if endpoint is None:
        return
    if succeeded:
        was_tripped = endpoint.failures_in_a_row >= breaker.failures_to_open
        endpoint.failures_in_a_row, endpoint.open_until = after_success()
        if was_tripped:
            await store.resume_endpoint(session, endpoint_id=endpoint_id, now=now)
    else:
        endpoint.failures_in_a_row, endpoint.open_until = breaker.after_failure(endpoint.failures_in_a_row, now)


def _outgoing(delivery: store.Delivery, secret: str | None) -> Outgoing:
    return from_fields(Outgoing, delivery, channel=Channel(delivery.channel), signing_secret=secret)


async def run_dispatcher(runtime: Runtime) -> None:
    """The worker: each channel in its own loop, sending what is due every tick, and one loop escalating unanswered
    urgent alerts, until cancelled. Separate loops, so a slow or failing provider (a 2 s SMS gateway, a webhook
    timing out) holds up only its own channel's next pass, never e-mail's or WeChat's (issue 10)."""
    settings = runtime.settings_as(NotifySettings)
    async with httpx.AsyncClient(timeout=settings.webhook_timeout_seconds) as http:
        dispatcher = Dispatcher(runtime, build_adapters(settings, http, runtime.clock))
        async with asyncio.TaskGroup() as loops:
            for channel in dispatcher.channels:
                loops.create_task(_every(settings.delivery_tick_seconds, dispatcher.dispatch_channel, channel))
            loops.create_task(_every(ESCALATION_PERIOD_SECONDS, dispatcher.escalate_unanswered))


async def _every(seconds: float, step: Callable[..., Awaitable[int]], *args: Channel) -> None:
    """Run `step` every `seconds` until cancelled; a failed step is logged and tried again at the next."""
    while True:
        try:
            await step(*args)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("delivery step failed; trying again at the next tick", extra={"step": step.__name__})
        await asyncio.sleep(seconds)
