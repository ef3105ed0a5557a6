"""The metrics the chassis defines are exactly those the dashboards and alert rules are written against."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client.metrics import MetricWrapperBase

from chassis import metrics

pytestmark = pytest.mark.unit

CATALOGUE = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "metric_names.txt"


def exposed() -> dict[str, tuple[str, tuple[str, ...]]]:
    """name on /metrics → (type, labels), from chassis/metrics.py."""
    found = {}
    for value in vars(metrics).values():
        if isinstance(value, MetricWrapperBase):
            name = value._name + ("_total" if value._type == "counter" else "")
            found[name] = (str(value._type), tuple(sorted(value._labelnames)))
    return found


def catalogued() -> dict[str, tuple[str, tuple[str, ...]]]:
    """name → (type, labels), from deploy/prometheus/metric_names.txt."""
    found = {}
    for line in CATALOGUE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, kind, labels = line.split()
            found[name] = (kind, tuple(sorted(labels.split(","))))
    return found


def test_chassis_metrics_match_the_catalogue_the_dashboards_use() -> None:
    assert exposed() == catalogued()


def test_every_metric_is_namespaced_and_labelled_by_service() -> None:
    for name, (_kind, labels) in exposed().items():
        assert name.startswith("afterschool_")
        assert "service" in labels
