"""Fault: notify's consumer dies mid-burst, after a batch's transaction and before its offset commit. The restarted
consumer reads those records again; the inbox makes the redelivery change nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.conftest import eventually
from tests.fault.platform import STUDENTS, alerts, delivered_once, lag, platform, post_round, post_rounds

pytestmark = [pytest.mark.fault, pytest.mark.slow, pytest.mark.timeout(180)]


async def test_a_consumer_killed_before_its_commit_redelivers_without_a_second_effect(topic_prefix: str) -> None:
    async with platform(topic_prefix) as p:
        first = await post_round(p.attendance, 0)
        await eventually(lambda: _stored(p.notify, len(first)), timeout=60)

        runner = p.notify.runtime.consumers[0]
        consumer: Any = runner._consumer
        applied = asyncio.Event()

        async def killed_before_committing(_offsets: Any) -> None:
            applied.set()  # the batch's transaction has committed; its offsets never will
            await asyncio.Future()  # until the process dies

        consumer.commit = killed_before_committing
        burst = await post_rounds(p.attendance, range(1, 4))
        async with asyncio.timeout(30):
            await applied.wait()
        [task] = [t for t in asyncio.all_tasks() if t.get_name() == "notify-consumer"]
        task.cancel()  # the process dies mid-batch
        stored = len(await alerts(p.notify))
        await p.stop_notify()
        assert stored > len(first)  # some of the burst was applied...
        assert await lag(p.prefix, "notify") >= stored - len(first)  # ...and not committed: it comes again

        later = await post_rounds(p.attendance, range(4, 5))  # check-ins keep coming while notify restarts
        await p.start_notify()
        await delivered_once(p, first + burst + later)
        assert len(first + burst + later) == 5 * len(STUDENTS)


async def _stored(notify: Any, count: int) -> bool:
    return len(await alerts(notify)) >= count
