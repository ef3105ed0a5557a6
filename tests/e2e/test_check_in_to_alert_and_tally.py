"""End to end: kiosk check-ins become guardian alerts and stipend tallies, exactly once.

Once on the full stack (five `afterschool serve` processes on PostgreSQL, Kafka and Redis), once on the
embedded all-in-one (one process, SQLite, in-process bus): the same scenario, the same expectations.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import uvicorn

from afterschool.district import Api
from afterschool.embedded import AllInOne
from chassis.clock import SteadyClock
from tests.conftest import SECRET
from tests.e2e import scenario
from tests.e2e.processes import SERVICES, full_stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(600)]


def assert_exactly_once(outcome: scenario.Outcome) -> None:
    assert outcome.stored == outcome.posted == scenario.CHECK_INS
    assert outcome.notifications == outcome.expected_notifications
    assert sum(outcome.notifications.values()) > scenario.CHECK_INS  # most children have two guardians
    assert outcome.tallies == outcome.expected_tallies


async def test_full_stack_check_ins_become_one_alert_per_guardian_and_exact_tallies(
    topic_prefix: str, tmp_path: Path
) -> None:
    async with full_stack(topic_prefix, tmp_path, clock_start=scenario.MORNING_AFTER) as stack:
        api = Api(stack.bases, secret=SECRET, concurrency=32)
        try:
            assert_exactly_once(await scenario.run(api))
        finally:
            await api.aclose()


async def test_embedded_check_ins_become_one_alert_per_guardian_and_exact_tallies(tmp_path: Path) -> None:
    server = uvicorn.Server(
        uvicorn.Config(
            AllInOne(tmp_path / "data", jwt_secret=SECRET, clock=SteadyClock(scenario.MORNING_AFTER)),
            host="127.0.0.1",
            port=0,
            log_config=None,
            access_log=False,
        )
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        assert not serving.done()
        await asyncio.sleep(0.05)
    base = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    api = Api(dict.fromkeys(SERVICES, base), secret=SECRET, concurrency=32)
    try:
        assert_exactly_once(await scenario.run(api))
    finally:
        await api.aclose()
        server.should_exit = True
        await serving
