"""Benchmarks: load scripts run by hand (`bench/run`), never as timed tests."""

from afterschool.catalog import NAMES

UNLIMITED_WRITES = {
    f"{service.upper()}_{setting}": "1000000000"
    for service in NAMES
    for setting in ("WRITE_LIMIT_PER_TOKEN", "WRITE_LIMIT_PER_SCHOOL")
}
"""One load generator posing as a kiosk sends thousands of writes a second, which the per-token write limit (issue
11) exists to refuse: the benchmarks measure throughput, so they lift it."""
