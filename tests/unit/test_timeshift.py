"""`bin/test --at`: every Python process of a run moves its wall clock by the same offset; monotonic stays real.

These tests have to read the real clock to see the shift; they hold at any hour.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.unit]

TIMESHIFT = Path(__file__).resolve().parents[1] / "timeshift"
OFFSET = -5 * 86400 - 3600
# The sleep stands for a process's imports before anything reads the time: the shift must not depend on it.
PROBE = "import json, time; time.sleep(1.5); print(json.dumps([time.time(), time.monotonic()]))"


def clocks(moved: bool) -> tuple[float, float]:
    env = {k: v for k, v in os.environ.items() if k not in ("AFTERSCHOOL_WALL_CLOCK_OFFSET", "PYTHONPATH")}
    if moved:
        env |= {"PYTHONPATH": str(TIMESHIFT), "AFTERSCHOOL_WALL_CLOCK_OFFSET": str(OFFSET)}
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True).stdout
    wall, monotonic = json.loads(out)
    return float(wall), float(monotonic)


def test_a_moved_process_reads_the_real_time_plus_the_offset_however_long_it_took_to_start() -> None:
    # Real time is read by unmoved probes started just before and after: this process's own clock may be moved
    # itself (the suite runs under bin/test --at too).
    before, _ = clocks(moved=False)
    wall, _ = clocks(moved=True)
    after, _ = clocks(moved=False)
    # The moved probe reads the time 1.5 s after it started, and it started after `before` was read: a clock that
    # only began ticking at its first read would lag by those 1.5 s, and two processes would disagree by the
    # difference of their start-up times.
    assert before + 1.5 <= wall - OFFSET <= after


def test_the_monotonic_clock_is_not_moved() -> None:
    _, plain = clocks(moved=False)
    _, moved = clocks(moved=True)
    assert moved - plain == pytest.approx(0, abs=30)
