"""Fault: notify's consumer group is reset to offset 0 (an operator replays everything). It re-reads every event and
changes nothing: the inbox knows them all."""

from __future__ import annotations

import pytest

from tests.conftest import eventually
from tests.fault.platform import (
    ROSTER,
    alerts,
    dead_letter_count,
    delivered_once,
    inbox_rows,
    lag,
    no_lag,
    platform,
    post_rounds,
    rewind,
)

pytestmark = [pytest.mark.fault, pytest.mark.slow, pytest.mark.timeout(180)]


async def test_a_group_reset_to_the_earliest_offset_rereads_everything_and_changes_nothing(topic_prefix: str) -> None:
    async with platform(topic_prefix) as p:
        posted = await post_rounds(p.attendance, range(3))
        await delivered_once(p, posted)
        stored, claimed = sorted(await alerts(p.notify)), await inbox_rows(p.notify)

        await p.stop_notify()  # a reset needs every member of the group stopped
        await rewind(p.prefix, "notify")
        assert await lag(p.prefix, "notify") == len(ROSTER) + len(posted)  # the roster and every check-in, again
        await p.start_notify()

        await eventually(lambda: no_lag(p.prefix, "notify"), timeout=60)  # it has read everything again
        assert sorted(await alerts(p.notify)) == stored  # and changed nothing
        assert await inbox_rows(p.notify) == claimed
        assert await dead_letter_count(p.prefix) == 0  # nothing re-read failed (as it would if applied twice)
        assert (await p.notify.get("/readyz")).status_code == 200
