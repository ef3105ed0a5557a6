"""The metrics the chassis and every service define are exactly those the dashboards and alert rules are written
against: a metric added, renamed or moved to another module without the catalogue fails here."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from types import ModuleType

import pytest
from prometheus_client.metrics import MetricWrapperBase

import afterschool
import chassis
import contracts
import services
import web
from chassis import metrics

pytestmark = pytest.mark.unit

CATALOGUE = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "metric_names.txt"


def modules() -> list[ModuleType]:
    """Every module of the codebase's packages (migrations aside: they define no metrics), so a metric defined
    anywhere, not only where metrics are expected, is caught (issue 14)."""
    found: list[ModuleType] = []
    for package in (chassis, contracts, services, afterschool, web):
        found.append(package)
        for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if ".migrations" not in info.name and not info.name.endswith("__main__"):
                found.append(importlib.import_module(info.name))
    return found


def exposed() -> dict[str, tuple[str, tuple[str, ...]]]:
    """name on /metrics → (type, labels), from chassis/metrics.py and the services' modules."""
    found = {}
    for module in modules():
        for value in vars(module).values():
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


def test_every_metric_matches_the_catalogue_the_dashboards_use() -> None:
    assert exposed() == catalogued()


def test_every_metric_is_namespaced_and_labelled_by_service() -> None:
    for name, (_kind, labels) in exposed().items():
        assert name.startswith("afterschool_")
        assert "service" in labels


def test_domain_counters_live_in_their_services() -> None:
    assert not hasattr(metrics, "CHECK_INS")
    assert not hasattr(metrics, "NOTIFICATIONS")
    owners = {
        name: module.__name__
        for module in modules()[1:]
        for value in vars(module).values()
        if isinstance(value, MetricWrapperBase)
        for name in [value._name]
    }
    assert owners["afterschool_check_ins"].startswith("services.attendance.")
    assert owners["afterschool_notifications"].startswith("services.notify.")
