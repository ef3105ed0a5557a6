"""Fault: a second notify replica joins the consumer group mid-burst, then one leaves (a scale-up, then a pod
replaced). Partitions move twice under load; every alert is stored exactly once, each child's in order."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.conftest import ServiceClient, eventually
from tests.fault.platform import delivered_once, platform, post_rounds

pytestmark = [pytest.mark.fault, pytest.mark.slow, pytest.mark.timeout(180)]


async def test_two_replicas_rebalancing_under_load_store_every_alert_once(topic_prefix: str) -> None:
    async with platform(topic_prefix) as p:
        burst = asyncio.create_task(post_rounds(p.attendance, range(12), pause=0.3))
        await asyncio.sleep(1.0)
        async with p.notify_replica() as replica:  # joins mid-burst: the group rebalances
            await eventually(lambda: _holds_partitions(replica), timeout=30)
            await eventually(lambda: _holds_partitions(p.notify), timeout=30)  # they share the partitions
            await asyncio.sleep(1.0)
        # The replica left (still mid-burst): its partitions go back to the first.
        assert not burst.done()
        async with asyncio.timeout(60):
            posted = await burst
        await delivered_once(p, posted)
        assert (await p.notify.get("/readyz")).status_code == 200


def _holds_partitions(notify: ServiceClient) -> bool:
    consumer: Any = notify.runtime.consumers[0]._consumer
    return bool(consumer is not None and consumer._consumer.assignment())
