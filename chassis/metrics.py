"""The plumbing's Prometheus metrics (HTTP, events, outbox), defined once; every series carries the `service` label.

A service's domain counters (check-ins, notifications, …) live in the slice that counts them.

Defining the metric objects at import time connects to nothing; it only registers names.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable

from prometheus_client import Counter, Gauge, Histogram

_LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_AGE_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0)

HTTP_REQUESTS = Counter(
    "afterschool_http_requests_total", "HTTP requests by route and status", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "afterschool_http_request_duration_seconds",
    "HTTP request latency by route",
    ["service", "method", "route"],
    buckets=_LATENCY_BUCKETS,
)
EVENTS_PUBLISHED = Counter("afterschool_events_published", "Events published to the bus", ["service", "type"])
EVENTS_CONSUMED = Counter("afterschool_events_consumed", "Events whose effect committed", ["service", "type"])
EVENTS_FAILED = Counter("afterschool_events_failed", "Event handling attempts that failed", ["service", "type"])
EVENT_AGE = Histogram(
    "afterschool_event_age_seconds",
    "Handling time minus event time (check-in to guardian alert, for notify)",
    ["service", "type"],
    buckets=_AGE_BUCKETS,
)
DEPENDENCY_UP = Gauge(
    "afterschool_dependency_up", "1 if the dependency answered the last health check, else 0", ["service", "dependency"]
)
DB_POOL = Gauge("afterschool_db_pool_connections", "Pooled database connections by state", ["service", "state"])
LIVE_LISTENERS = Gauge("afterschool_live_listeners", "Open live streams (listeners) in this process", ["service"])
OUTBOX_SEND_FAILURES = Counter(
    "afterschool_outbox_send_failures", "Outbox sends the bus did not acknowledge (retried)", ["service"]
)
OUTBOX_BACKLOG = Gauge("afterschool_outbox_backlog", "Outbox rows not yet published", ["service"])
CONSUMER_LAG = Gauge(
    "afterschool_consumer_lag", "Messages behind the partition end", ["service", "group", "topic", "partition"]
)
ROWS_PURGED = Counter(
    "afterschool_rows_purged", "Rows housekeeping deleted once kept long enough", ["service", "table"]
)
DEAD_LETTERS = Counter("afterschool_dead_letters", "Events sent to a dead-letter topic", ["service", "type"])


def observe_all(histogram: Histogram, amounts: Iterable[float]) -> None:
    """`histogram.observe` of each amount, with one increment per bucket touched rather than a lock and a scan of
    every bound per amount: a consumer's batch of event ages (issue 9).

    prometheus-client has no bulk observe, so this adds to the labelled child's buckets and sum as its `observe`
    does; tests/unit/test_observe_all.py checks the exposition matches observing one by one.
    """
    bounds: list[float] = histogram._upper_bounds
    counts, total = [0] * len(bounds), 0.0
    for amount in amounts:
        counts[bisect_left(bounds, amount)] += 1  # the first bound ≥ amount, as `observe` picks it
        total += amount
    histogram._sum.inc(total)
    for bucket, count in zip(histogram._buckets, counts, strict=True):
        if count:
            bucket.inc(count)
