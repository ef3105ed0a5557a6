"""Unit tests of every alert rule with `promtool test rules` (issue 14): each alert fires on the series that should
page someone, with its labels and rendered annotations, and stays quiet on a near miss."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # (no types-PyYAML in the dev extras)

pytestmark = pytest.mark.unit

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "rules.yaml"
NS = 'namespace="afterschool"'
LAG = 'kafka_consumergroup_lag{namespace="kafka",consumergroup="notify",topic="attendance.events"'
LETTERS = f'afterschool_dead_letters_total{{{NS},service="stipend",type="attendance.student_checked_in.v1"}}'
BUS_UP = f'afterschool_dependency_up{{{NS},service="attendance",dependency="bus"'
SERVICES = ("enrollment", "attendance", "homework", "stipend", "notify")


@dataclass(frozen=True)
class Case:
    """Series over time, and what the alert must be at `at`: firing with these labels (value as rendered), or not."""

    alert: str
    series: dict[str, str]
    at: str
    fires: list[dict[str, str]] = field(default_factory=list)
    value: str = ""


CASES = [
    # 10 req/s, 10 % of them 5xx, for 20 minutes: pages.
    Case(
        "HighErrorRate",
        {
            f'afterschool_http_requests_total{{{NS},service="attendance",status="201"}}': "0+540x30",
            f'afterschool_http_requests_total{{{NS},service="attendance",status="500"}}': "0+60x30",
        },
        "20m",
        [{"namespace": "afterschool", "service": "attendance"}],
        "10%",
    ),
    # Half of 0.1 req/s fail: near idle at night, no page.
    Case(
        "HighErrorRate",
        {
            f'afterschool_http_requests_total{{{NS},service="attendance",status="201"}}': "0+3x30",
            f'afterschool_http_requests_total{{{NS},service="attendance",status="500"}}': "0+3x30",
        },
        "20m",
    ),
    # Every alert of the last 10 minutes took between 5 and 10 s: p99 = 5 + 5 × 0.99.
    Case(
        "SlowGuardianAlerts",
        {
            f'afterschool_event_age_seconds_bucket{{{NS},service="notify",type="t",le="5"}}': "0x30",
            f'afterschool_event_age_seconds_bucket{{{NS},service="notify",type="t",le="10"}}': "0+60x30",
            f'afterschool_event_age_seconds_bucket{{{NS},service="notify",type="t",le="+Inf"}}': "0+60x30",
        },
        "20m",
        [{"namespace": "afterschool", "service": "notify"}],
        "9.95s",
    ),
    Case(
        "SlowGuardianAlerts",
        {
            f'afterschool_event_age_seconds_bucket{{{NS},service="notify",type="t",le="1"}}': "0+60x30",
            f'afterschool_event_age_seconds_bucket{{{NS},service="notify",type="t",le="+Inf"}}': "0+60x30",
        },
        "20m",
    ),
    # A backlog growing by 10 a minute from 100: at 30 minutes, 400 and still growing.
    Case(
        "OutboxBacklogGrowing",
        {f'afterschool_outbox_backlog{{{NS},service="attendance",pod="a-1"}}': "100+10x40"},
        "30m",
        [{"namespace": "afterschool", "service": "attendance"}],
        "400",
    ),
    # Large but draining: the relay is catching up.
    Case(
        "OutboxBacklogGrowing",
        {f'afterschool_outbox_backlog{{{NS},service="attendance",pod="a-1"}}': "1000-10x40"},
        "30m",
    ),
    Case(
        "ConsumerLagHigh",
        {f'{LAG},partition="{p}"}}': "2500x20" for p in (0, 1)},
        "15m",
        [{"consumergroup": "notify", "topic": "attendance.events"}],
        "5000",
    ),
    Case(
        "ConsumerLagHigh",
        {f'{LAG},partition="0"}}': "900x20", f'{LAG},partition="1"}}'.replace("notify", "a-tool"): "9000x20"},
        "15m",  # another group's lag (a tool's, not a service's) pages no one
    ),
    # A counter's first dead letter: the series appears at 1.
    Case(
        "DeadLettersAppearing",
        {LETTERS: "_x5 1x10"},
        "8m",
        [{"namespace": "afterschool", "service": "stipend", "type": "attendance.student_checked_in.v1"}],
    ),
    # The same count for more than 10 minutes: nothing new.
    Case(
        "DeadLettersAppearing",
        {LETTERS: "1x30"},
        "25m",
    ),
    Case(
        "ServiceDown",
        {f'up{{{NS},service="notify",pod="{p}"}}': "0x10" for p in ("n-1", "n-2")},
        "5m",
        [{"namespace": "afterschool", "service": "notify"}],
    ),
    # One pod of two down is not an outage.
    Case(
        "ServiceDown",
        {f'up{{{NS},service="notify",pod="n-1"}}': "0x10", f'up{{{NS},service="notify",pod="n-2"}}': "1x10"},
        "5m",
    ),
    Case(
        "DependencyDown",
        {
            f'afterschool_dependency_up{{{NS},service="attendance",dependency="bus",pod="{p}"}}': "0x10"
            for p in ("a-1", "a-2")
        },
        "5m",
        [{"namespace": "afterschool", "service": "attendance", "dependency": "bus"}],
    ),
    # A blip shorter than 3 minutes does not page.
    Case(
        "DependencyDown",
        {f'{BUS_UP},pod="a-1"}}': "1 1 0 0 1 1 1 1 1 1"},
        "5m",
    ),
    Case(
        "ServiceNotScraped",
        {f'up{{{NS},service="{s}",pod="{s}-1"}}': "1x20" for s in SERVICES if s != "enrollment"},
        "15m",
        [{"service": "enrollment"}],
    ),
    Case(
        "ServiceNotScraped",
        {
            f'up{{{NS},service="{s}",pod="{s}-1"}}': "1x20"
            for s in ("enrollment", "attendance", "homework", "stipend", "notify")
        },
        "15m",
    ),
]


def alert_rules() -> dict[str, dict[str, Any]]:
    spec = yaml.safe_load(RULES.read_text())["spec"]
    return {r["alert"]: r for group in spec["groups"] for r in group["rules"] if "alert" in r}


def rendered(text: str, labels: dict[str, str], value: str) -> str:
    """The annotation as Prometheus renders it for these labels and this (already humanized) value."""
    text = re.sub(r"\{\{ \$labels\.(\w+) \}\}", lambda m: labels[m[1]], text)
    return re.sub(r"\{\{ \$value( \| \w+)? \}\}", value, text)


def promtool_tests(tmp_path: Path) -> Path:
    rules = alert_rules()
    (tmp_path / "afterschool.rules.yml").write_text(yaml.safe_dump(yaml.safe_load(RULES.read_text())["spec"]))
    tests = []
    for case in CASES:
        rule = rules[case.alert]
        expected = [
            {
                "exp_labels": {**labels, **rule.get("labels", {})},
                "exp_annotations": {k: rendered(v, labels, case.value) for k, v in rule["annotations"].items()},
            }
            for labels in case.fires
        ]
        tests.append(
            {
                "interval": "1m",
                "input_series": [{"series": s, "values": v} for s, v in case.series.items()],
                "alert_rule_test": [{"eval_time": case.at, "alertname": case.alert, "exp_alerts": expected}],
            }
        )
    path = tmp_path / "rules.test.yml"
    path.write_text(
        yaml.safe_dump({"rule_files": ["afterschool.rules.yml"], "evaluation_interval": "1m", "tests": tests})
    )
    return path


def test_every_alert_has_a_case_that_fires_and_one_that_stays_quiet() -> None:
    for alert in alert_rules():
        outcomes = {bool(case.fires) for case in CASES if case.alert == alert}
        assert outcomes == {True, False}, f"{alert}: needs a firing and a quiet case"


def test_every_alert_rule_passes_its_promtool_unit_tests(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    assert promtool is not None, "promtool is not on PATH: bin/bootstrap --dev installs Debian's prometheus"
    ran = subprocess.run([promtool, "test", "rules", str(promtool_tests(tmp_path))], capture_output=True, text=True)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "SUCCESS" in ran.stdout
