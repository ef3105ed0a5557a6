"""The `BENCH {...}` line `bench/run` ends with: its keys, how it is written and read back (issue 13)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import orjson

KEYS = (
    "bare_rps",
    "checkin_rps",
    "checkin_ratio",
    "checkout_ratio",
    "batch_events_per_s",
    "alert_p99_ms_at_400",
    "burst_drain_s",
    "catchup_notify_eps",
    "catchup_stipend_eps",
    "schools_1000_ratio",
    "max_rss_mb",
)
"""Every target of issue 13, in the issue's order."""

PREFIX = "BENCH "


def bench_line(figures: Mapping[str, float | None]) -> str:
    """One line, `BENCH ` then a JSON object with exactly `KEYS` in order; a figure not measured is null."""
    unknown = set(figures) - set(KEYS)
    if unknown:
        raise ValueError(f"not a BENCH figure: {sorted(unknown)}")
    values: dict[str, Any] = {}
    for key in KEYS:
        value = figures.get(key)
        values[key] = None if value is None or not math.isfinite(value) else round(float(value), 3)
    return PREFIX + orjson.dumps(values).decode()


def parse_bench_line(line: str) -> dict[str, float | None]:
    """The figures of a `BENCH` line (the last line of `bench/run`'s output)."""
    if not line.startswith(PREFIX):
        raise ValueError("not a BENCH line")
    values = orjson.loads(line[len(PREFIX) :])
    if not isinstance(values, dict) or list(values) != list(KEYS):
        raise ValueError(f"a BENCH line has exactly these keys, in order: {', '.join(KEYS)}")
    for key, value in values.items():
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ValueError(f"{key} is not a number: {value!r}")
    return {k: None if v is None else float(v) for k, v in values.items()}
