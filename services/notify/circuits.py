"""The webhook endpoints' circuit breakers, applied by the dispatcher inside its claim and record transactions."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.notify import delivery_store, store
from services.notify.domain.circuit import Breaker, CircuitState, after_success


async def admit(
    session: AsyncSession, breaker: Breaker, due: list[store.Delivery], *, now: datetime, lease: timedelta
) -> tuple[list[store.Delivery], dict[str, str]]:
    """The due webhook deliveries whose endpoint may be called now, and the endpoints' signing secrets.

    An open circuit's deliveries wait, without spending an attempt, until its cool-down ends; a half-open one
    lets a single trial through and stays shut for the trial's lease, so the next tick sends no second trial.
    """
    found = await delivery_store.endpoints(session, {d.recipient_id for d in due}, lock=True)
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


async def record(session: AsyncSession, breaker: Breaker, *, endpoint_id: str, succeeded: bool, now: datetime) -> None:
    """Count the outcome on the endpoint's circuit; a trial that got through reopens the endpoint's queue."""
    endpoint = (await delivery_store.endpoints(session, {endpoint_id}, lock=True)).get(endpoint_id)
    if endpoint is None:
        return
    if succeeded:
        was_tripped = endpoint.failures_in_a_row >= breaker.failures_to_open
        endpoint.failures_in_a_row, endpoint.open_until = after_success()
        if was_tripped:
            await delivery_store.resume_endpoint(session, endpoint_id=endpoint_id, now=now)
    else:
        endpoint.failures_in_a_row, endpoint.open_until = breaker.after_failure(endpoint.failures_in_a_row, now)
