"""`chassis.metrics.observe_all` exposes exactly what observing the amounts one by one does (issue 9)."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, Histogram, generate_latest

from chassis.metrics import observe_all

pytestmark = pytest.mark.unit

BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0)
AMOUNTS = [0.0, 0.01, 0.010001, 0.05, 0.2, 0.25, 1.0, 7.5, 59.9, 60.0, 299.0, 300.0, 301.0, 86_400.0, 0.003] * 7


def exposition(observe: str) -> dict[str, float]:
    """Each exposed sample of the histogram (buckets, count, sum) and its value."""
    registry = CollectorRegistry()
    ages = Histogram("ages_seconds", "ages", ["service", "type"], buckets=BUCKETS, registry=registry)
    child = ages.labels("probe", "a.b.v1")
    if observe == "one by one":
        for amount in AMOUNTS:
            child.observe(amount)
    else:
        observe_all(child, AMOUNTS[:40])
        observe_all(child, [])
        observe_all(child, AMOUNTS[40:])
    lines = generate_latest(registry).decode().splitlines()
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in lines
        if line.startswith("ages_seconds_") and "_created" not in line
    }


def test_observing_all_at_once_exposes_what_observing_one_by_one_does() -> None:
    one_by_one, all_at_once = exposition("one by one"), exposition("all at once")
    assert one_by_one['ages_seconds_count{service="probe",type="a.b.v1"}'] == len(AMOUNTS)
    assert one_by_one['ages_seconds_bucket{le="0.01",service="probe",type="a.b.v1"}'] == 3 * 7  # 0, 0.01, 0.003
    total = 'ages_seconds_sum{service="probe",type="a.b.v1"}'
    assert all_at_once.pop(total) == pytest.approx(one_by_one.pop(total), rel=1e-12)  # summed in another order
    assert all_at_once == one_by_one  # every bucket and the count exactly
