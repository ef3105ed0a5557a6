"""`bin/demo` (`afterschool demo --exit`): seeds the district, replays the afternoon and prints how to look."""

from __future__ import annotations

from pathlib import Path

import pytest

from afterschool.demo import run_demo
from chassis.clock import SteadyClock
from tests.conftest import SCHOOL_AFTERNOON
from tests.e2e.processes import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(300)]


async def test_the_demo_delivers_every_alert_and_tally_and_prints_the_guide(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = SteadyClock(SCHOOL_AFTERNOON)
    assert await run_demo(tmp_path / "demo", host="127.0.0.1", port=free_port(), keep_serving=False, clock=clock) == 0
    out = capsys.readouterr().out
    assert "seeded 2 schools, 720 children" in out
    assert "delivered every alert and tally" in out
    assert "guardian token" in out
    assert "/notify/v1/notifications/stream" in out
    assert {p.name for p in (tmp_path / "demo").glob("*.db")} == {
        f"{name}.db" for name in ("enrollment", "attendance", "homework", "stipend", "notify")
    }
