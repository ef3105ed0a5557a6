"""Offline checks of everything under deploy/: Kustomize trees, rendered manifests, Kafka
topics, Prometheus rules, Grafana dashboards, the runbook and the Dockerfile.

Nothing here needs a cluster or the network:
- Kustomize trees are resolved by a small resolver below (every referenced file must exist and
  lie where kustomize may read it), then rendered with `kubectl kustomize` / `kustomize build`
  (the machine images ship kubectl; without either binary those tests fail, they do not skip).
- Built-in kinds are validated against Kubernetes JSON schemas bundled in kubernetes-validate,
  PromQL is parsed with promql-parser (both pinned dev dependencies).
- Every metric a dashboard or rule uses must be in deploy/prometheus/metric_names.txt, with
  the labels it is matched, grouped and templated on.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # (no types-PyYAML in the dev extras)

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
DASHBOARDS = DEPLOY / "grafana" / "dashboards"
RULES = DEPLOY / "prometheus" / "rules.yaml"
METRIC_NAMES = DEPLOY / "prometheus" / "metric_names.txt"
RUNBOOK = DEPLOY / "RUNBOOK.md"

SERVICES = ("enrollment", "attendance", "homework", "stipend", "notify")
DEPLOYABLES = (*SERVICES, "web")  # the pages (issue 12): no data, no secrets in production, not scraped
ROUTES = {svc: f"/{svc}/" for svc in SERVICES} | {"web": "/app/"}
STREAM_PATHS = ("/notify/v1/notifications/stream", "/notify/v1/staff/notifications/stream")
TARGETS = ("base", "overlays/dev", "overlays/production")
OVERLAYS = ("overlays/dev", "overlays/production")
APP_NAMESPACE = "afterschool"
KAFKA_NAMESPACE = "kafka"
INGRESS_CONTROLLER_NAMESPACE = "envoy-gateway-system"  # Envoy Gateway's proxies (issue 14)
PROMETHEUS_NAMESPACE = "monitoring"
# (port, protocol) every service must be allowed to reach: DNS, Kafka, PostgreSQL, Redis.
REQUIRED_EGRESS = {(53, "UDP"), (9093, "TCP"), (5432, "TCP"), (6379, "TCP")}
# Settings each service reads, as <SERVICE>_<SETTING> environment variables (chassis/settings.py
# has a few more with safe defaults, listed last: the manifests may set them too).
SETTINGS = {
    "ENVIRONMENT",
    "DATABASE_URL",
    "BUS",
    "KAFKA_BOOTSTRAP",
    # the Kafka client's security (chassis/bus/security.py)
    "KAFKA_SECURITY_PROTOCOL",
    "KAFKA_SASL_MECHANISM",
    "KAFKA_USERNAME",
    "KAFKA_PASSWORD",
    "KAFKA_CA_FILE",
    "REDIS_URL",
    "JWT_ALGORITHM",
    "JWT_SECRET",
    "JWT_JWKS_URL",
    "JWT_ISSUER",
    "JWT_AUDIENCE",
    "LOG_LEVEL",
    "MIGRATE_ON_START",  # false: the migration Job owns the schema (issue 14)
    "KAFKA_TOPIC_PREFIX",
    "KAFKA_CREATE_TOPICS",
    "KAFKA_PARTITIONS",
    "CONSUMER_MAX_ATTEMPTS",
    "CONSUMER_BACKOFF_SECONDS",
    "SEND_TIMEOUT_SECONDS",
    "FIELD_KEYS",
    "STREAM_PORT",  # notify's live streams on a port of their own (chassis/streams.py, issue 10)
    # notify's channel providers (services/notify/settings.py)
    "SMTP_PASSWORD",
    "SMS_ACCESS_KEY_ID",
    "SMS_ACCESS_KEY_SECRET",
    "SMS_RECEIPT_TOKEN",
    "WECHAT_APP_SECRET",
    "WECHAT_SERVER_TOKEN",
}
PROVIDER_SETTINGS = {s for s in SETTINGS if s.startswith(("SMTP_", "SMS_", "WECHAT_"))}
# How the pods authenticate to Kafka: serving only (the migration Jobs never connect).
KAFKA_CLIENT_SETTINGS = {
    "KAFKA_SECURITY_PROTOCOL",
    "KAFKA_SASL_MECHANISM",
    "KAFKA_USERNAME",
    "KAFKA_PASSWORD",
    "KAFKA_CA_FILE",
}
# never in a ConfigMap
SECRET_SETTINGS = {"DATABASE_URL", "REDIS_URL", "JWT_SECRET", "FIELD_KEYS", "KAFKA_PASSWORD", *PROVIDER_SETTINGS}
REQUIRED_ALERTS = {
    "HighErrorRate",
    "SlowGuardianAlerts",
    "OutboxBacklogGrowing",
    "ConsumerLagHigh",
    "DeadLettersAppearing",
    "ServiceDown",
}
# Labels Prometheus adds to every series scraped through a ServiceMonitor.
TARGET_LABELS = {"namespace", "service", "pod", "instance", "job", "container", "endpoint"}
# Kinds we ship, with the only apiVersion allowed for each.
API_VERSIONS = {
    "Namespace": "v1",
    "ConfigMap": "v1",
    "Secret": "v1",
    "Service": "v1",
    "Deployment": "apps/v1",
    "Job": "batch/v1",  # the schema migrations (issue 14, test_migrations.py)
    "HorizontalPodAutoscaler": "autoscaling/v2",
    "PodDisruptionBudget": "policy/v1",
    "NetworkPolicy": "networking.k8s.io/v1",
    "ServiceMonitor": "monitoring.coreos.com/v1",
    "PrometheusRule": "monitoring.coreos.com/v1",
    "StatefulSet": "apps/v1",
    "ServiceAccount": "v1",
    "Role": "rbac.authorization.k8s.io/v1",
    "RoleBinding": "rbac.authorization.k8s.io/v1",
    # the platform's operators (issue 14); their schemas are vendored in tests/deploy/crds
    "Kafka": "kafka.strimzi.io/v1",
    "KafkaNodePool": "kafka.strimzi.io/v1",
    "KafkaTopic": "kafka.strimzi.io/v1",
    "KafkaUser": "kafka.strimzi.io/v1",
    "Cluster": "postgresql.cnpg.io/v1",
    "Database": "postgresql.cnpg.io/v1",
    "Pooler": "postgresql.cnpg.io/v1",
    "ScheduledBackup": "postgresql.cnpg.io/v1",
    "ScaledObject": "keda.sh/v1alpha1",
    "TriggerAuthentication": "keda.sh/v1alpha1",
    "ExternalSecret": "external-secrets.io/v1",
    "ClusterSecretStore": "external-secrets.io/v1",
    "Gateway": "gateway.networking.k8s.io/v1",
    "HTTPRoute": "gateway.networking.k8s.io/v1",
    "BackendTrafficPolicy": "gateway.envoyproxy.io/v1alpha1",
    "ClientTrafficPolicy": "gateway.envoyproxy.io/v1alpha1",
}
BUILTIN_KINDS = {
    "Namespace",
    "ConfigMap",
    "Secret",
    "Service",
    "ServiceAccount",
    "Deployment",
    "Job",
    "StatefulSet",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "NetworkPolicy",
    "Role",
    "RoleBinding",
}
CUSTOM_KINDS = set(API_VERSIONS) - BUILTIN_KINDS  # validated against tests/deploy/crds (test_platform.py)
CLUSTER_SCOPED_KINDS = {"Namespace", "ClusterSecretStore"}
SCHEMA_K8S_VERSIONS = ("1.30", "1.37")  # oldest supported (see README) and newest bundled
KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
# Kustomization fields the resolver understands; a new field fails test_kustomization_fields
# until the resolver learns whether it references files.
KNOWN_KUSTOMIZATION_FIELDS = {
    "apiVersion",
    "kind",
    "metadata",
    "namespace",
    "namePrefix",
    "nameSuffix",
    "labels",
    "commonLabels",
    "commonAnnotations",
    "resources",
    "components",
    "patches",
    "configMapGenerator",
    "secretGenerator",
    "generatorOptions",
    "images",
    "replicas",
}


# --------------------------------------------------------------------------- helpers


def load_yaml_docs(path: Path) -> list[Any]:
    with path.open(encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def kustomization_file(directory: Path) -> Path | None:
    for name in KUSTOMIZATION_NAMES:
        if (directory / name).is_file():
            return directory / name
    return None


def all_kustomization_files() -> list[Path]:
    # Not all of deploy/: deploy/local/.state holds the running broker's and database's files, which come and go
    # under the walk (a Kafka topic directory deleted mid-scan failed a run).
    roots = (K8S, DEPLOY / "prometheus", DEPLOY / "grafana")
    return sorted(p for root in roots for p in root.rglob("*") if p.name in KUSTOMIZATION_NAMES)


def manifest_files() -> list[Path]:
    """Every YAML file under the Kustomize-managed folders."""
    roots = (K8S, DEPLOY / "prometheus", DEPLOY / "grafana")
    return sorted(p for root in roots for p in root.rglob("*") if p.suffix in (".yaml", ".yml"))


@dataclass
class Resolution:
    files: set[Path] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)


def _generator_paths(entry: dict[str, Any]) -> Iterator[str]:
    for item in entry.get("files", []):
        yield item.split("=", 1)[1] if "=" in item else item
    yield from entry.get("envs", [])
    if "env" in entry:
        yield entry["env"]


def resolve(directory: Path, result: Resolution | None = None, seen: frozenset[Path] = frozenset()) -> Resolution:
    """What `kustomize build directory` would read, and every reference that would break it.

    Follows resources and components recursively. Files (patches, generator inputs, plain
    resources) must exist and, like kustomize's default load restrictor demands, lie inside the
    kustomization's own folder; other kustomization folders may be anywhere.
    """
    result = result if result is not None else Resolution()
    directory = directory.resolve()
    kfile = kustomization_file(directory)
    if kfile is None:
        result.problems.append(f"{directory}: no kustomization file")
        return result
    if directory in seen:
        result.problems.append(f"{directory}: cycle")
        return result
    result.files.add(kfile)
    spec = load_yaml_docs(kfile)[0]

    def local_file(ref: str, what: str) -> None:
        path = (directory / ref).resolve()
        if not path.is_file():
            result.problems.append(f"{kfile}: {what} {ref!r} does not exist")
        elif not path.is_relative_to(directory):
            result.problems.append(f"{kfile}: {what} {ref!r} is outside the kustomization folder")
        else:
            result.files.add(path)

    for key in ("resources", "components"):
        for ref in spec.get(key, []):
            if "://" in ref or ref.startswith(("github.com/", "git@")):
                result.problems.append(f"{kfile}: remote {key} {ref!r} needs the network")
                continue
            path = (directory / ref).resolve()
            if path.is_dir():
                resolve(path, result, seen | {directory})
            elif key == "resources":
                local_file(ref, "resource")
            else:
                result.problems.append(f"{kfile}: component {ref!r} is not a directory")
    for patch in spec.get("patches", []):
        if "path" in patch:
            local_file(patch["path"], "patch")
        elif "patch" not in patch:
            result.problems.append(f"{kfile}: patch without path or patch: {patch}")
    for key in ("configMapGenerator", "secretGenerator"):
        for entry in spec.get(key, []):
            for ref in _generator_paths(entry):
                local_file(ref, f"{key} file")
    return result


@cache
def kustomize_command() -> tuple[str, ...] | None:
    if shutil.which("kustomize"):
        return ("kustomize", "build")
    if shutil.which("kubectl"):
        return ("kubectl", "kustomize")
    return None


@cache
def _render(target: str) -> tuple[dict[str, Any], ...]:
    command = kustomize_command()
    assert command is not None
    proc = subprocess.run([*command, str(K8S / target)], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, f"{' '.join(command)} {target} failed:\n{proc.stderr}"
    return tuple(d for d in yaml.safe_load_all(proc.stdout) if d)


def render(target: str) -> tuple[dict[str, Any], ...]:
    assert kustomize_command() is not None, "neither kustomize nor kubectl is on PATH: cannot render offline"
    return _render(target)


def objects(docs: tuple[dict[str, Any], ...], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def named(docs: tuple[dict[str, Any], ...], kind: str, name: str) -> dict[str, Any] | None:
    found = [d for d in objects(docs, kind) if d["metadata"]["name"] == name]
    assert len(found) <= 1, f"{len(found)} {kind}s named {name}"
    return found[0] if found else None


def selects(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    """Kubernetes label-selector semantics; an empty selector selects everything."""
    if selector is None:
        return False
    assert set(selector) <= {"matchLabels", "matchExpressions"}, f"not a LabelSelector: {selector}"
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        ok = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[op]
        if not ok:
            return False
    return True


def pod_labels(deployment: dict[str, Any]) -> dict[str, str]:
    labels: dict[str, str] = deployment["spec"]["template"]["metadata"]["labels"]
    return labels


def app_container(deployment: dict[str, Any]) -> dict[str, Any]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1, f"{deployment['metadata']['name']}: expected one container"
    container: dict[str, Any] = containers[0]
    return container


@dataclass(frozen=True)
class Autoscaler:
    """What scales a Deployment: a HorizontalPodAutoscaler, or a KEDA ScaledObject (which makes one)."""

    kind: str
    target: tuple[str, str, str]  # apiVersion, kind, name
    min: int
    max: int
    cpu: bool  # scales on CPU utilisation


def autoscaler(docs: tuple[dict[str, Any], ...], name: str) -> Autoscaler | None:
    found = [d for d in (named(docs, "HorizontalPodAutoscaler", name), named(docs, "ScaledObject", name)) if d]
    assert len(found) <= 1, f"{name}: both an HPA and a ScaledObject would fight over the replicas"
    if not found:
        return None
    obj, spec = found[0], found[0]["spec"]
    ref = spec["scaleTargetRef"]
    target = (ref.get("apiVersion", "apps/v1"), ref.get("kind", "Deployment"), ref["name"])
    if obj["kind"] == "HorizontalPodAutoscaler":
        cpu = any(m["type"] == "Resource" and m["resource"]["name"] == "cpu" for m in spec.get("metrics", []))
        return Autoscaler(obj["kind"], target, spec["minReplicas"], spec["maxReplicas"], cpu)
    cpu = any(t["type"] == "cpu" for t in spec["triggers"])
    return Autoscaler(obj["kind"], target, spec["minReplicaCount"], spec["maxReplicaCount"], cpu)


_QUANTITY = re.compile(r"^([0-9.]+)(m|k|Ki|M|Mi|G|Gi|T|Ti)?$")
_FACTOR = {
    None: 1,
    "m": 1e-3,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
}


def quantity(value: str | int | float) -> float:
    match = _QUANTITY.match(str(value))
    assert match, f"not a Kubernetes quantity: {value!r}"
    return float(match.group(1)) * _FACTOR[match.group(2)]


def markdown_anchors(path: Path) -> set[str]:
    """GitHub-style anchors of the Markdown headings in path."""
    anchors = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if match := re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line):
            anchors.add(re.sub(r"[^\w\- ]", "", match.group(1).lower()).replace(" ", "-"))
    return anchors


def topics_txt() -> dict[str, int]:
    topics = {}
    for line in (DEPLOY / "topics.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, partitions = line.split()
            topics[name] = int(partitions)
    return topics


# --------------------------------------------------------------------------- metrics & PromQL


@dataclass(frozen=True)
class Metric:
    name: str
    type: str
    labels: frozenset[str]


@cache
def metrics() -> dict[str, Metric]:
    found: dict[str, Metric] = {}
    for line in METRIC_NAMES.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, kind, labels = line.split()
        assert name not in found, f"{name} listed twice"
        found[name] = Metric(name, kind, frozenset(labels.split(",")))
    return found


def series_labels() -> dict[str, set[str]]:
    """Every series name a query may select, with the labels it carries."""
    series: dict[str, set[str]] = {"up": set(TARGET_LABELS)}
    # Strimzi's Kafka Exporter (deploy/k8s/base/kafka/cluster.yaml, spec.kafkaExporter), not our code.
    series["kafka_consumergroup_lag"] = {"consumergroup", "topic", "partition"} | TARGET_LABELS
    for m in metrics().values():
        labels = set(m.labels) | TARGET_LABELS
        if m.type == "histogram":
            series[m.name + "_bucket"] = labels | {"le"}
            series[m.name + "_sum"] = labels
            series[m.name + "_count"] = labels
        else:
            series[m.name] = labels
    return series


@dataclass(frozen=True)
class Query:
    where: str
    expr: str
    templated_labels: frozenset[str]  # labels used by legends or alert annotations


def rule_groups() -> list[dict[str, Any]]:
    (doc,) = load_yaml_docs(RULES)
    groups: list[dict[str, Any]] = doc["spec"]["groups"]
    return groups


def rules() -> list[dict[str, Any]]:
    return [rule for group in rule_groups() for rule in group["rules"]]


def recording_rules() -> dict[str, str]:
    return {r["record"]: r["expr"] for r in rules() if "record" in r}


def dashboards() -> dict[str, dict[str, Any]]:
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted(DASHBOARDS.glob("*.json"))}


def flat_panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from flat_panels(panel.get("panels", []))


_GRAFANA_INTERVALS = re.compile(r"\$__(rate_interval|interval|range)\b|\$\{__(rate_interval|interval|range)\}")
_GRAFANA_VARIABLE = re.compile(r"\$\{\w+(:\w+)?\}|\$\w+")


def grafana_to_promql(expr: str) -> str:
    """Substitute Grafana's variables so the query parses as plain PromQL."""
    return _GRAFANA_VARIABLE.sub("x", _GRAFANA_INTERVALS.sub("5m", expr))


def queries() -> list[Query]:
    found = []
    for rule in rules():
        name = rule.get("alert") or rule["record"]
        templates = " ".join(str(v) for v in {**rule.get("annotations", {}), **rule.get("labels", {})}.values())
        used = frozenset(re.findall(r"\$labels\.(\w+)", templates))
        found.append(Query(f"rules.yaml {name}", rule["expr"], used))
    for file, board in dashboards().items():
        for panel in flat_panels(board.get("panels", [])):
            for target in panel.get("targets", []):
                legend = frozenset(re.findall(r"\{\{\s*(\w+)\s*\}\}", target.get("legendFormat", "")))
                where = f"{file} panel {panel['id']} {target.get('refId')}"
                found.append(Query(where, grafana_to_promql(target["expr"]), legend))
        for var in board.get("templating", {}).get("list", []):
            if var.get("type") != "query":
                continue
            query = var["query"]["query"] if isinstance(var["query"], dict) else var["query"]
            if match := re.fullmatch(r"\s*label_values\((.+),\s*(\w+)\s*\)\s*", query):
                where = f"{file} variable {var['name']}"
                found.append(Query(where, grafana_to_promql(match.group(1)), frozenset({match.group(2)})))
    return found


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_LABEL_LIST = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_KEYWORDS = {"and", "or", "unless", "offset", "bool", "by", "without", "on", "ignoring", "inf", "nan"}


def selectors_by_regex(expr: str) -> list[tuple[str, frozenset[str]]]:
    """(series name, matcher label names) of each vector selector, without a PromQL parser."""
    found = []
    for match in re.finditer(r"([a-zA-Z_:][\w:]*)?\s*\{([^}]*)\}", expr):
        labels = frozenset(re.findall(r"(\w+)\s*(?:=~|!~|!=|=)", _STRING.sub('""', match.group(2))))
        found.append((match.group(1) or "", labels))
    bare = re.sub(r"([a-zA-Z_:][\w:]*)?\s*\{[^}]*\}|\[[^\]]*\]", " ", _STRING.sub('""', expr))
    bare = _LABEL_LIST.sub(" ", bare)
    for match in re.finditer(r"(?<![\w:.])([a-zA-Z_:][\w:]*)\b(?!\s*[({])", bare):
        if match.group(1).lower() not in _KEYWORDS:
            found.append((match.group(1), frozenset()))
    return found


def test_regex_selector_extraction_handles_the_shapes_we_use() -> None:
    expr = (
        'sum by (service, le) (rate(afterschool_x_bucket{service=~"a|b", le!="+Inf"}[5m])) '
        "/ on (service) group_left (route) up > 0.5 and bar offset 10m"
    )
    assert sorted(selectors_by_regex(expr)) == [
        ("afterschool_x_bucket", frozenset({"service", "le"})),
        ("bar", frozenset()),
        ("up", frozenset()),
    ]


# --------------------------------------------------------------------------- file-level checks


@pytest.mark.parametrize("path", manifest_files(), ids=lambda p: str(p.relative_to(DEPLOY)))
def test_yaml_parses_and_documents_have_identity(path: Path) -> None:
    docs = load_yaml_docs(path)
    assert docs, f"{path}: empty"
    for doc in docs:
        assert isinstance(doc, dict), f"{path}: a document is not a mapping"
        if path.name in KUSTOMIZATION_NAMES:
            assert doc.get("kind") in ("Kustomization", "Component"), f"{path}: kind {doc.get('kind')}"
            continue
        for key in ("apiVersion", "kind"):
            assert isinstance(doc.get(key), str), f"{path}: no {key}"
            assert doc[key], f"{path}: empty {key}"
        assert isinstance((doc.get("metadata") or {}).get("name"), str), f"{path}: no metadata.name"


def test_kustomization_fields_are_understood_by_the_resolver() -> None:
    for kfile in all_kustomization_files():
        unknown = set(load_yaml_docs(kfile)[0]) - KNOWN_KUSTOMIZATION_FIELDS
        assert not unknown, f"{kfile}: teach resolve() about {sorted(unknown)}"


@pytest.mark.parametrize("kfile", all_kustomization_files(), ids=lambda p: str(p.parent.relative_to(DEPLOY)))
def test_kustomization_references_exist(kfile: Path) -> None:
    assert resolve(kfile.parent).problems == []


def test_every_manifest_file_is_used_by_an_overlay() -> None:
    used: set[Path] = set()
    for overlay in OVERLAYS:
        used |= resolve(K8S / overlay).files
    candidates = {p.resolve() for p in manifest_files()} | {p.resolve() for p in DASHBOARDS.glob("*.json")}
    orphans = sorted(str(p.relative_to(ROOT)) for p in candidates - used)
    assert orphans == [], "files no overlay includes (forgotten in a kustomization.yaml?)"


def test_grafana_generator_lists_every_dashboard() -> None:
    spec = load_yaml_docs(DEPLOY / "grafana" / "kustomization.yaml")[0]
    generated = {
        (DEPLOY / "grafana" / ref).resolve()
        for entry in spec.get("configMapGenerator", [])
        for ref in _generator_paths(entry)
    }
    assert generated == {p.resolve() for p in DASHBOARDS.glob("*.json")}
    assert spec["generatorOptions"]["labels"]["grafana_dashboard"] == "1"


def test_metric_names_file_is_well_formed() -> None:
    assert metrics(), "no metrics listed"
    for m in metrics().values():
        assert re.fullmatch(r"afterschool_[a-z0-9_]+", m.name), m.name
        assert m.type in ("counter", "gauge", "histogram"), f"{m.name}: type {m.type}"
        assert m.name.endswith("_total") == (m.type == "counter"), f"{m.name}: counters and only counters end _total"
        assert not m.name.endswith(("_bucket", "_sum", "_count", "_created")), m.name
        assert "service" in m.labels, f"{m.name}: every metric carries `service`"
        assert "le" not in m.labels
        assert all(re.fullmatch(r"[a-z_]+", label) for label in m.labels)


def test_queries_use_only_listed_metrics_and_labels() -> None:
    series = series_labels()
    recorded = recording_rules()
    problems = []
    for query in queries():
        for name, matcher_labels in selectors_by_regex(query.expr):
            if name in recorded:
                continue
            if name not in series:
                problems.append(f"{query.where}: unknown metric {name!r}")
            elif unknown := matcher_labels - series[name]:
                problems.append(f"{query.where}: {name} has no label(s) {sorted(unknown)}")
    assert problems == [], "\n".join(problems)


def test_recording_rules_follow_naming_convention() -> None:
    for name in recording_rules():
        assert re.fullmatch(r"[a-z_]+:[a-z0-9_]+:[a-z0-9_]+", name), f"{name}: use level:metric:operations"


def test_alerts_have_severity_summary_description_and_runbook() -> None:
    anchors = markdown_anchors(RUNBOOK)
    alerts = [r for r in rules() if "alert" in r]
    names = [a["alert"] for a in alerts]
    assert len(names) == len(set(names)), "duplicate alert names"
    assert set(names) >= REQUIRED_ALERTS
    for alert in alerts:
        where = alert["alert"]
        assert alert.get("labels", {}).get("severity") in ("critical", "warning", "info"), where
        annotations = alert.get("annotations", {})
        for key in ("summary", "description"):
            assert annotations.get(key), f"{where}: no {key} annotation"
        runbook = annotations.get("runbook", "")
        match = re.fullmatch(r"deploy/RUNBOOK\.md#([\w-]+)", runbook)
        assert match, f"{where}: runbook must be deploy/RUNBOOK.md#<anchor>, got {runbook!r}"
        assert match.group(1) in anchors, f"{where}: no heading for #{match.group(1)} in RUNBOOK.md"
        if "for" in alert:
            assert re.fullmatch(r"\d+[smh]", alert["for"]), f"{where}: for {alert['for']!r}"


def test_rule_groups_are_valid() -> None:
    (doc,) = load_yaml_docs(RULES)
    assert doc["apiVersion"] == API_VERSIONS["PrometheusRule"]
    assert doc["kind"] == "PrometheusRule"
    names = [g["name"] for g in rule_groups()]
    assert len(names) == len(set(names)), "duplicate group names"
    for rule in rules():
        assert ("alert" in rule) != ("record" in rule), f"alert xor record: {rule}"
        assert set(rule) <= {"alert", "record", "expr", "for", "keep_firing_for", "labels", "annotations"}
        assert isinstance(rule["expr"], str)
        assert rule["expr"].strip()


@pytest.mark.parametrize("name", sorted(p.name for p in DASHBOARDS.glob("*.json")))
def test_dashboard_is_a_valid_grafana_model(name: str) -> None:
    board = dashboards()[name]
    assert board.get("uid")
    assert board.get("title")
    assert board.get("schemaVersion", 0) >= 39
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    assert "service" in variables, "dashboards need a `service` variable"
    panels = list(flat_panels(board["panels"]))
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids)), f"duplicate panel ids: {sorted(ids)}"
    for panel in panels:
        pos = panel["gridPos"]
        assert pos["x"] >= 0, f"panel {panel['id']}: gridPos"
        assert pos["x"] + pos["w"] <= 24, f"panel {panel['id']}: wider than the dashboard"
        assert pos["h"] > 0, f"panel {panel['id']}: gridPos"
        if panel["type"] == "row":
            continue
        assert panel.get("targets"), f"panel {panel['id']} has no query"
        for item in [panel, *panel["targets"]]:
            assert item["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, (
                f"panel {panel['id']}: use the templated data source"
            )
        refs = [t["refId"] for t in panel["targets"]]
        assert len(refs) == len(set(refs)), f"panel {panel['id']}: duplicate refIds"
    for var in variables.values():
        if var["type"] == "query":
            assert var["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, var["name"]
    boxes = [(p["id"], p["gridPos"]) for p in panels]
    for i, (id_a, a) in enumerate(boxes):
        for id_b, b in boxes[i + 1 :]:
            apart = (
                a["x"] + a["w"] <= b["x"]
                or b["x"] + b["w"] <= a["x"]
                or a["y"] + a["h"] <= b["y"]
                or b["y"] + b["h"] <= a["y"]
            )
            assert apart, f"panels {id_a} and {id_b} overlap"


def test_dashboard_uids_are_unique() -> None:
    uids = [b["uid"] for b in dashboards().values()]
    assert len(uids) == len(set(uids))


def test_runbook_covers_every_alert() -> None:
    anchors = markdown_anchors(RUNBOOK)
    missing = {r["alert"] for r in rules() if "alert" in r and r["alert"].lower() not in anchors}
    assert not missing, f"RUNBOOK.md has no section for {sorted(missing)}"


def test_dockerfile() -> None:
    text = (DEPLOY / "docker" / "Dockerfile").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim$|^FROM python:3\.11-slim\b", text, re.M)
    users = [line for line in lines if line.startswith("USER ")]
    assert users, "no USER instruction: the image would run as root"
    assert re.fullmatch(r"USER 10001(:10001)?", users[-1]), "the image runs as uid 10001"
    assert re.search(r"--uid 10001\b", text), "uid 10001 exists in /etc/passwd"
    assert [line for line in lines if line.startswith("ENTRYPOINT")] == ['ENTRYPOINT ["afterschool"]']
    assert re.search(r"pip install [^\n]*\s\.(\s|$)", text, re.M), "installs the repository with pip"
    assert not re.search(r"\.\[[^\]]*dev", text), "no dev extras in the image"
    ignore = [
        line.strip()
        for line in (DEPLOY / "docker" / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert ignore[0] == "**", "the build context is an allow-list"
    assert not {"!.venv", "!.git", "!tests", "!deploy", "!.cache"} & set(ignore)


# --------------------------------------------------------------------------- PromQL (parser)


def _parser() -> Any:
    import promql_parser

    return promql_parser


class LabelFlow:
    """Which labels each PromQL (sub)expression's result carries, checked along the way."""

    def __init__(self, pp: Any) -> None:
        self.pp = pp
        self.series = series_labels()
        self.problems: list[str] = []
        self.recorded: dict[str, set[str]] = {}
        for name, expr in recording_rules().items():
            self.where = f"rules.yaml {name}"
            self.recorded[name] = self.labels(pp.parse(expr)) or set()

    def check(self, query: Query) -> None:
        self.where = query.where
        try:
            expr = self.pp.parse(query.expr)
        except ValueError as exc:
            self.problems.append(f"{query.where}: does not parse: {exc}")
            return
        result = self.labels(expr) or set()
        if missing := query.templated_labels - result:
            self.problems.append(f"{query.where}: templates use {sorted(missing)}, result has {sorted(result)}")

    def _need(self, wanted: list[str], have: set[str] | None, what: str) -> None:
        if have is not None and (missing := set(wanted) - have):
            self.problems.append(f"{self.where}: {what} {sorted(missing)} not among {sorted(have)}")

    def labels(self, e: Any) -> set[str] | None:
        """Result labels of e; None for a scalar."""
        pp = self.pp
        if isinstance(e, pp.VectorSelector):
            name = e.name or next((m.value for m in e.matchers.matchers if m.name == "__name__"), "")
            have = self.recorded[name] if name in self.recorded else self.series.get(name)
            if have is None:
                self.problems.append(f"{self.where}: unknown metric {name!r}")
                return set()
            self._need([m.name for m in e.matchers.matchers if m.name != "__name__"], have, f"{name} label")
            return set(have)
        if isinstance(e, pp.MatrixSelector):
            return self.labels(e.vector_selector)
        if isinstance(e, pp.NumberLiteral | pp.StringLiteral):
            return None
        if isinstance(e, pp.ParenExpr | pp.UnaryExpr | pp.SubqueryExpr):
            return self.labels(e.expr)
        if isinstance(e, pp.Call):
            return self._call(e)
        if isinstance(e, pp.AggregateExpr):
            inner = self.labels(e.expr)
            op = str(e.op)
            if op in ("topk", "bottomk", "limitk", "limit_ratio"):
                return inner
            if e.modifier is None:
                return set()
            if e.modifier.type == pp.AggModifierType.By:
                self._need(e.modifier.labels, inner, f"{op} by")
                return set(e.modifier.labels)
            return (inner or set()) - set(e.modifier.labels)
        if isinstance(e, pp.BinaryExpr):
            return self._binary(e)
        self.problems.append(f"{self.where}: unhandled node {type(e).__name__}")
        return set()

    def _call(self, e: Any) -> set[str] | None:
        pp, name = self.pp, e.func.name
        if e.func.return_type == pp.ValueType.Scalar:
            return None
        if name == "absent":
            arg = e.args[0]
            self.labels(arg)
            if isinstance(arg, pp.VectorSelector):
                return {m.name for m in arg.matchers.matchers if m.op == pp.MatchOp.Equal}
            return set()
        vectors = [self.labels(a) for a in e.args if not isinstance(a, pp.NumberLiteral | pp.StringLiteral)]
        inner = next((v for v in vectors if v is not None), set())
        if name == "histogram_quantile":
            self._need(["le"], inner, "histogram_quantile needs")
            return inner - {"le"}
        return inner

    def _binary(self, e: Any) -> set[str] | None:
        pp = self.pp
        lhs, rhs = self.labels(e.lhs), self.labels(e.rhs)
        if lhs is None or rhs is None:
            return lhs if rhs is None else rhs
        modifier = e.modifier
        matching = modifier.matching if modifier else None
        if matching is not None and matching.type == pp.LabelModifierType.Include:
            self._need(matching.labels, lhs, "on() left side lacks")
            self._need(matching.labels, rhs, "on() right side lacks")
        op = str(e.op)
        if op in ("and", "unless"):
            return lhs
        if op == "or":
            return lhs & rhs
        card = modifier.card if modifier else pp.VectorMatchCardinality.OneToOne
        group = set(modifier.group_labels or []) if modifier else set()
        if card == pp.VectorMatchCardinality.ManyToOne:
            return lhs | group
        if card == pp.VectorMatchCardinality.OneToMany:
            return rhs | group
        if matching is not None and matching.type == pp.LabelModifierType.Include:
            return lhs & set(matching.labels)
        return lhs - set(matching.labels if matching else [])


def test_promql_parses_and_labels_flow() -> None:
    """Every query parses; grouping, matching and templated labels exist where they are used."""
    flow = LabelFlow(_parser())
    for query in queries():
        flow.check(query)
    assert flow.problems == [], "\n".join(flow.problems)


def test_regex_extraction_agrees_with_the_parser() -> None:
    pp = _parser()
    for query in queries():
        found: list[tuple[str, frozenset[str]]] = []

        def visit(node: Any, found: list[tuple[str, frozenset[str]]] = found) -> bool:
            if isinstance(node, pp.VectorSelector):
                found.append((node.name or "", frozenset(m.name for m in node.matchers.matchers)))
            return True

        pp.walk(pp.parse(query.expr), visit)
        assert sorted(selectors_by_regex(query.expr)) == sorted(found), query.where


# --------------------------------------------------------------------------- rendered manifests


@pytest.fixture(params=TARGETS)
def target(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_renders_with_known_kinds_and_api_versions(target: str) -> None:
    docs = render(target)
    seen = set()
    for doc in docs:
        kind, name = doc["kind"], doc["metadata"]["name"]
        assert API_VERSIONS.get(kind) == doc["apiVersion"], f"{kind}/{name}: apiVersion {doc['apiVersion']}"
        key = (kind, doc["metadata"].get("namespace"), name)
        assert key not in seen, f"duplicate {key}"
        seen.add(key)
        if kind in CLUSTER_SCOPED_KINDS:
            assert "namespace" not in doc["metadata"], f"{kind}/{name} is cluster-scoped"
        else:
            assert doc["metadata"].get("namespace"), f"{kind}/{name}: no namespace"


def test_builtin_kinds_match_kubernetes_schemas(target: str) -> None:
    import kubernetes_validate as kv

    problems = []
    for doc in render(target):
        if doc["kind"] in CUSTOM_KINDS:
            continue
        for version in SCHEMA_K8S_VERSIONS:
            try:
                kv.validate(doc, version, strict=True)
            except kv.ValidationError as exc:
                path = ".".join(str(p) for p in exc.path)
                problems.append(f"{doc['kind']}/{doc['metadata']['name']} (k8s {version}) {path}: {exc.message}")
    assert problems == [], "\n".join(problems)


def test_every_service_has_its_objects(target: str) -> None:
    docs = render(target)
    for svc in SERVICES:
        for kind in ("Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler|ScaledObject"):
            obj = next(filter(None, (named(docs, k, svc) for k in kind.split("|"))), None)
            assert obj is not None, f"{svc}: no {kind}"
            assert obj["metadata"]["namespace"] == APP_NAMESPACE
        deployment = named(docs, "Deployment", svc)
        assert deployment is not None
        pods = pod_labels(deployment)
        assert pods.get("app.kubernetes.io/part-of") == "afterschool"
        policies = [p for p in objects(docs, "NetworkPolicy") if selects(p["spec"]["podSelector"], pods)]
        assert any(p["spec"].get("ingress") for p in policies), f"{svc}: no NetworkPolicy admits traffic"
        service = named(docs, "Service", svc)
        assert service is not None
        monitors = [
            m
            for m in objects(docs, "ServiceMonitor")
            if selects(m["spec"]["selector"], service["metadata"].get("labels", {}))
        ]
        assert monitors, f"{svc}: no ServiceMonitor selects its Service"


def test_deployments_are_hardened(target: str) -> None:
    for deployment in objects(render(target), "Deployment"):
        name = deployment["metadata"]["name"]
        pod = deployment["spec"]["template"]["spec"]
        pod_sc = pod.get("securityContext", {})
        assert pod.get("automountServiceAccountToken") is False, name
        container = app_container(deployment)
        sc = {**pod_sc, **container.get("securityContext", {})}  # container settings win
        assert sc.get("runAsNonRoot") is True, f"{name}: runAsNonRoot"
        assert sc.get("runAsUser") == 10001, f"{name}: runAsUser"
        assert sc.get("readOnlyRootFilesystem") is True, f"{name}: readOnlyRootFilesystem"
        assert sc.get("allowPrivilegeEscalation") is False, f"{name}: allowPrivilegeEscalation"
        assert sc.get("privileged", False) is False, f"{name}: privileged"
        assert sc.get("capabilities", {}).get("drop") == ["ALL"], f"{name}: drop ALL capabilities"
        assert not sc.get("capabilities", {}).get("add"), f"{name}: adds capabilities"
        assert sc.get("seccompProfile", {}).get("type") == "RuntimeDefault", f"{name}: seccomp"
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
        assert "/tmp" in mounts, f"{name}: nothing mounted on /tmp"
        assert "emptyDir" in volumes[mounts["/tmp"]], f"{name}: /tmp is not an emptyDir"
        image = container["image"]
        assert "@sha256:" in image or re.search(r":[\w][\w.-]*$", image.rsplit("/", 1)[-1]), f"{name}: untagged"
        assert not image.endswith(":latest"), f"{name}: :latest"
        ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
        assert ports.get("http") == 8000, f"{name}: containerPort 8000 named http"
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            get = container.get(probe, {}).get("httpGet", {})
            assert get.get("path") == path, f"{name}: {probe} on {path}"
            assert get.get("port") in ("http", 8000), f"{name}: {probe} port"
        resources = container.get("resources", {})
        for bound in ("requests", "limits"):
            for res in ("cpu", "memory"):
                assert res in resources.get(bound, {}), f"{name}: {bound}.{res}"
            for res in ("cpu", "memory"):
                assert quantity(resources["requests"][res]) <= quantity(resources["limits"][res]), (
                    f"{name}: {res} request above limit"
                )
        spreads = pod.get("topologySpreadConstraints", [])
        assert {s["topologyKey"] for s in spreads} >= {"kubernetes.io/hostname", "topology.kubernetes.io/zone"}
        assert all(selects(s["labelSelector"], pod_labels(deployment)) for s in spreads), name


def test_deployments_run_their_service(target: str) -> None:
    docs = render(target)
    assert {d["metadata"]["name"] for d in objects(docs, "Deployment")} == set(DEPLOYABLES)
    for svc in DEPLOYABLES:
        deployment = named(docs, "Deployment", svc)
        assert deployment is not None
        assert app_container(deployment)["args"] == ["serve", svc, "--host", "0.0.0.0", "--port", "8000"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels(deployment).items()


def _environment(docs: tuple[dict[str, Any], ...], deployment: dict[str, Any]) -> dict[str, Any]:
    """Environment variable name -> value, or the secretKeyRef it comes from."""
    namespace = deployment["metadata"]["namespace"]
    container = app_container(deployment)
    env: dict[str, Any] = {}
    for source in container.get("envFrom", []):
        assert "configMapRef" in source, "envFrom only from ConfigMaps (secrets by secretKeyRef)"
        config = named(docs, "ConfigMap", source["configMapRef"]["name"])
        assert config is not None, f"no ConfigMap {source['configMapRef']['name']}"
        assert config["metadata"]["namespace"] == namespace, source
        env.update({source.get("prefix", "") + k: v for k, v in config.get("data", {}).items()})
    for var in container.get("env", []):
        assert var["name"] not in env, f"{var['name']} set twice"
        if "value" in var:
            env[var["name"]] = var["value"]
        else:
            assert set(var["valueFrom"]) == {"secretKeyRef"}, var
            env[var["name"]] = var["valueFrom"]["secretKeyRef"]
    return env


def service_environment(docs: tuple[dict[str, Any], ...], svc: str) -> dict[str, Any]:
    """The environment of a service's Deployment (see _environment)."""
    deployment = named(docs, "Deployment", svc)
    assert deployment is not None, f"no Deployment {svc}"
    return _environment(docs, deployment)


def test_environment_matches_the_settings(target: str) -> None:
    docs = render(target)
    for svc in SERVICES:
        prefix = svc.upper() + "_"
        env = service_environment(docs, svc)
        for key, value in env.items():
            assert key.startswith(prefix), f"{svc}: {key} lacks prefix {prefix}"
            setting = key.removeprefix(prefix)
            assert setting in SETTINGS, f"{svc}: unknown setting {key}"
            if setting in SECRET_SETTINGS:
                assert isinstance(value, dict), f"{svc}: {key} must come from a Secret"
        assert env[prefix + "DATABASE_URL"]["name"] == f"{svc}-database", f"{svc}: its own database"
        assert prefix + "REDIS_URL" in env
        assert env.get(prefix + "BUS") == "kafka"
        assert env.get(prefix + "KAFKA_BOOTSTRAP"), svc
        # the KafkaTopics are the topics: no prefix, no creating others on the fly
        assert env.get(prefix + "KAFKA_TOPIC_PREFIX", "") == "", svc
        assert env.get(prefix + "KAFKA_CREATE_TOPICS", "false") == "false", svc


def test_overlay_settings(overlay: str) -> None:
    docs = render(overlay)
    for svc in SERVICES:
        deployment = named(docs, "Deployment", svc)
        assert deployment is not None
        env = {k.removeprefix(svc.upper() + "_"): v for k, v in _environment(docs, deployment).items()}
        assert {"ENVIRONMENT", "JWT_ALGORITHM", "JWT_ISSUER", "JWT_AUDIENCE", "LOG_LEVEL"} <= set(env), svc
        if overlay.endswith("production"):
            assert (env["ENVIRONMENT"], env["JWT_ALGORITHM"]) == ("production", "RS256"), svc
            assert str(env.get("JWT_JWKS_URL", "")).startswith("https://"), f"{svc}: JWKS over https"
        else:
            assert (env["ENVIRONMENT"], env["JWT_ALGORITHM"]) == ("development", "HS256"), svc
            assert isinstance(env.get("JWT_SECRET"), dict), f"{svc}: HS256 needs the dev secret"


@dataclass(frozen=True)
class SecretRef:
    namespace: str
    where: str
    name: str
    keys: frozenset[str]  # the keys read
    optional: bool = False


def secret_refs(docs: tuple[dict[str, Any], ...]) -> list[SecretRef]:
    """Every Secret the rendered objects read: pods' env, the Gateway's TLS, and the operators' custom resources."""
    refs = []
    for workload in [*objects(docs, "Deployment"), *objects(docs, "StatefulSet"), *objects(docs, "Job")]:
        namespace = workload["metadata"]["namespace"]
        for container in workload["spec"]["template"]["spec"]["containers"]:
            for var in container.get("env", []):
                if ref := var.get("valueFrom", {}).get("secretKeyRef"):
                    where = f"{workload['metadata']['name']} {var['name']}"
                    refs.append(
                        SecretRef(namespace, where, ref["name"], frozenset({ref["key"]}), bool(ref.get("optional")))
                    )
    for gateway in objects(docs, "Gateway"):
        for listener in gateway["spec"]["listeners"]:
            for cert in listener.get("tls", {}).get("certificateRefs", []):
                assert cert.get("kind", "Secret") == "Secret"
                assert "namespace" not in cert, "a certificate in another namespace needs a ReferenceGrant"
                where = f"Gateway listener {listener['name']}"
                refs.append(SecretRef(gateway["metadata"]["namespace"], where, cert["name"], frozenset()))
    for cluster in objects(docs, "Cluster"):  # CloudNativePG
        namespace = cluster["metadata"]["namespace"]
        for role in cluster["spec"].get("managed", {}).get("roles", []):
            if "passwordSecret" in role:  # a kubernetes.io/basic-auth Secret
                basic = frozenset({"username", "password"})
                refs.append(SecretRef(namespace, f"role {role['name']}", role["passwordSecret"]["name"], basic))
        store = cluster["spec"].get("backup", {}).get("barmanObjectStore", {})
        for key, ref in store.get("s3Credentials", {}).items():
            if isinstance(ref, dict):
                refs.append(SecretRef(namespace, f"backup {key}", ref["name"], frozenset({ref["key"]})))
    for user in objects(docs, "KafkaUser"):
        if ref := user["spec"]["authentication"].get("password", {}).get("valueFrom", {}).get("secretKeyRef"):
            where = f"KafkaUser {user['metadata']['name']}"
            refs.append(SecretRef(user["metadata"]["namespace"], where, ref["name"], frozenset({ref["key"]})))
    for auth in objects(docs, "TriggerAuthentication"):
        for ref in auth["spec"].get("secretTargetRef", []):
            where = f"TriggerAuthentication {auth['metadata']['name']} {ref['parameter']}"
            refs.append(SecretRef(auth["metadata"]["namespace"], where, ref["name"], frozenset({ref["key"]})))
    return refs


def external_secrets(docs: tuple[dict[str, Any], ...]) -> dict[tuple[str, str], frozenset[str] | None]:
    """(namespace, Secret name) -> the keys its ExternalSecret writes (None: whatever the store holds)."""
    made: dict[tuple[str, str], frozenset[str] | None] = {}
    for es in objects(docs, "ExternalSecret"):
        spec = es["spec"]
        key = (es["metadata"]["namespace"], spec.get("target", {}).get("name", es["metadata"]["name"]))
        assert key not in made, f"two ExternalSecrets make {key}"
        template = spec.get("target", {}).get("template", {})
        if template.get("data"):
            made[key] = frozenset(template["data"])  # the template replaces the fetched keys
        elif spec.get("dataFrom"):
            made[key] = None
        else:
            made[key] = frozenset(d["secretKey"] for d in spec.get("data", []))
    return made


def test_secrets(target: str) -> None:
    """Issue 14: no Secret is in git; every Secret any object reads is made by an ExternalSecret with the keys it
    reads, except the production Gateway's TLS certificate (cert-manager), which the README tells operators about."""
    docs = render(target)
    assert not objects(docs, "Secret"), "no overlay ships a Secret: ExternalSecrets make them"
    made = external_secrets(docs)
    readme = (K8S / "README.md").read_text(encoding="utf-8")
    problems = []
    for ref in secret_refs(docs):
        keys = made.get((ref.namespace, ref.name), frozenset())
        if ref.name == "afterschool-jwt":  # HS256 only: the dev overlay has it, production must not
            assert ref.optional, ref
            assert ((ref.namespace, ref.name) in made) == (target == "overlays/dev"), f"{target}: {ref.name}"
        elif (ref.namespace, ref.name) not in made and not ref.optional:
            if f"`{ref.name}`" not in readme:
                problems.append(f"{ref.where}: nothing makes Secret {ref.namespace}/{ref.name}, nor does README.md say")
        elif keys is not None and not ref.optional and not ref.keys <= keys:
            problems.append(f"{ref.where}: {ref.namespace}/{ref.name} lacks {sorted(ref.keys - keys)}")
    assert problems == [], "\n".join(problems)
    if target != "base":  # the overlays define the store "afterschool"
        stores = {s["metadata"]["name"] for s in objects(docs, "ClusterSecretStore")}
        for es in objects(docs, "ExternalSecret"):
            used = [es["spec"]["secretStoreRef"]] + [
                d["sourceRef"]["storeRef"] for d in es["spec"].get("data", []) if "storeRef" in d.get("sourceRef", {})
            ]
            for store in used:
                assert store["kind"] == "ClusterSecretStore", es["metadata"]["name"]
                assert store["name"] in stores, f"{es['metadata']['name']}: no ClusterSecretStore {store['name']}"


def test_no_secret_values_in_config_maps(target: str) -> None:
    for config in objects(render(target), "ConfigMap"):
        for key, value in config.get("data", {}).items():
            assert key.removeprefix("JWT_") not in {"SECRET", "DATABASE_URL", "REDIS_URL"}, key
            assert not re.search(r"://[^/@\s]+:[^/@\s]+@", str(value)), f"{key}: credentials in a URL"


def test_replicas_autoscaling_and_disruption_budgets(target: str) -> None:
    docs = render(target)
    expected_replicas = {"base": 2, "overlays/dev": 1}.get(target)
    for svc in SERVICES:
        deployment = named(docs, "Deployment", svc)
        scaler = autoscaler(docs, svc)
        pdb = named(docs, "PodDisruptionBudget", svc)
        assert deployment is not None
        assert scaler is not None
        assert pdb is not None
        replicas = deployment["spec"]["replicas"]
        if expected_replicas is not None:
            assert replicas == expected_replicas, f"{svc}: replicas"
        assert scaler.target == ("apps/v1", "Deployment", svc)
        assert 1 <= scaler.min <= scaler.max, svc
        assert replicas == scaler.min, f"{svc}: Deployment replicas != the autoscaler's minimum"
        assert scaler.cpu, f"{svc}: scales on CPU"
        assert selects(pdb["spec"]["selector"], pod_labels(deployment)), f"{svc}: PDB misses its pods"
        for other in objects(docs, "Deployment"):
            if other is not deployment:
                assert not selects(pdb["spec"]["selector"], pod_labels(other)), f"{svc}: PDB spans services"
        if "minAvailable" in pdb["spec"]:
            assert pdb["spec"]["minAvailable"] < scaler.min, f"{svc}: PDB blocks drains"


def test_services_routes_and_scraping(target: str) -> None:
    """Gateway API (issue 14, replacing the ingress-nginx Ingress): one HTTPRoute per deployable on the one Gateway,
    /<service>/ -> the service's http port, unrewritten; nothing else routed."""
    docs = render(target)
    (gateway,) = objects(docs, "Gateway")
    listeners = gateway["spec"]["listeners"]
    if target == "overlays/production":
        assert [(lst["protocol"], lst["port"]) for lst in listeners] == [("HTTPS", 443)], "HTTPS only"
        assert listeners[0]["hostname"] == "afterschool.district.example"
    routed: dict[str, tuple[Any, Any]] = {}
    exact: dict[str, tuple[Any, Any]] = {}
    for route in objects(docs, "HTTPRoute"):
        assert route["spec"]["parentRefs"] == [{"name": gateway["metadata"]["name"]}], route["metadata"]["name"]
        for rule in route["spec"]["rules"]:
            assert not rule.get("filters"), "no rewriting, redirects or header games"
            for match in rule["matches"]:
                assert set(match) == {"path"}, match
                kind = match["path"]["type"]
                assert kind in ("PathPrefix", "Exact"), match
                table = routed if kind == "PathPrefix" else exact
                assert match["path"]["value"] not in table, f"{match['path']['value']} routed twice"
                table[match["path"]["value"]] = (rule["backendRefs"], rule.get("timeouts"))
    assert set(routed) == set(ROUTES.values()), "exactly one route per service and the pages', nothing else"
    # issue 10: the live streams alone go to notify's stream port, with no request timeout (Envoy's default 15 s
    # would end each stream after 15 s)
    notify_service, notify = named(docs, "Service", "notify"), named(docs, "Deployment", "notify")
    assert notify_service is not None
    assert notify is not None
    notify_ports = {p["name"]: p for p in notify_service["spec"]["ports"]}
    streams = [{"name": "notify", "port": notify_ports["streams"]["port"]}]
    assert exact == {path: (streams, {"request": "0s"}) for path in STREAM_PATHS}
    assert notify_ports["streams"]["targetPort"] == "streams"
    (app,) = notify["spec"]["template"]["spec"]["containers"]
    assert {"name": "streams", "containerPort": 8001} in app["ports"]
    assert {"name": "NOTIFY_STREAM_PORT", "value": "8001"} in app["env"]
    routes = {path: backends for path, (backends, _) in routed.items()}
    for svc, path in ROUTES.items():
        service = named(docs, "Service", svc)
        deployment = named(docs, "Deployment", svc)
        assert service is not None
        assert deployment is not None
        ports = {p["name"]: p for p in service["spec"]["ports"]}
        assert routes[path] == [{"name": svc, "port": ports["http"]["port"]}], f"{path} -> {svc}:http"
        for other in objects(docs, "Deployment"):
            chosen = selects({"matchLabels": service["spec"]["selector"]}, pod_labels(other))
            assert chosen == (other is deployment), f"Service {svc} selects {other['metadata']['name']}"
        assert ports["http"]["targetPort"] == "http", f"{svc}: Service port http -> container port http"
    monitors = objects(docs, "ServiceMonitor")
    for monitor in [m for m in monitors if m["metadata"]["namespace"] == APP_NAMESPACE]:
        for endpoint in monitor["spec"]["endpoints"]:
            assert endpoint["port"] == "http"
            assert endpoint["path"] == "/metrics"
            # the services label every series with `service`; keep it instead of exported_service
            assert endpoint.get("honorLabels") is True
    # ConsumerLagHigh reads the Kafka Exporter's lag: its pod is scraped through a Service the monitor selects.
    exporter = named(docs, "Service", "afterschool-kafka-exporter-metrics")
    assert exporter is not None
    assert exporter["spec"]["selector"] == {"strimzi.io/name": "afterschool-kafka-exporter"}
    assert any(
        m["metadata"]["namespace"] == exporter["metadata"]["namespace"]
        and selects(m["spec"]["selector"], exporter["metadata"]["labels"])
        and [e["port"] for e in m["spec"]["endpoints"]] == ["metrics"]
        for m in monitors
    )


def _peers_namespaces(peers: list[dict[str, Any]]) -> set[str]:
    namespaces = set()
    for peer in peers:
        assert "ipBlock" not in peer, f"ingress from an ipBlock: {peer}"
        name = peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")
        assert name, f"ingress peer without a namespace: {peer}"
        namespaces.add(name)
    return namespaces


def test_network_policies(target: str) -> None:
    docs = render(target)
    policies = objects(docs, "NetworkPolicy")
    assert any(
        p["spec"]["podSelector"] == {} and "Ingress" in p["spec"]["policyTypes"] and not p["spec"].get("ingress")
        for p in policies
        if p["metadata"]["namespace"] == APP_NAMESPACE
    ), "no default-deny ingress policy"
    for svc in SERVICES:
        deployment = named(docs, "Deployment", svc)
        assert deployment is not None
        mine = [p for p in policies if selects(p["spec"]["podSelector"], pod_labels(deployment))]
        rules_in = [rule for p in mine for rule in p["spec"].get("ingress", [])]
        sources = set()
        for rule in rules_in:
            assert rule.get("from"), f"{svc}: an ingress rule without `from` admits everyone"
            ports = [p["port"] for p in rule.get("ports", [])]
            if ports == ["streams"]:  # notify's stream port (issue 10): the gateway's proxies only
                assert svc == "notify"
                assert _peers_namespaces(rule["from"]) == {INGRESS_CONTROLLER_NAMESPACE}
                continue
            assert ports == ["http"], f"{svc}: ingress only to http"
            sources |= _peers_namespaces(rule["from"])
        assert sources == {INGRESS_CONTROLLER_NAMESPACE, PROMETHEUS_NAMESPACE}, f"{svc}: ingress from {sources}"
        egress = {
            (port["port"], port.get("protocol", "TCP"))
            for p in mine
            for rule in p["spec"].get("egress", [])
            for port in rule.get("ports", [])
        }
        assert egress >= REQUIRED_EGRESS, f"{svc}: egress lacks {REQUIRED_EGRESS - egress}"


def test_kafka_topics(target: str) -> None:
    docs = render(target)
    expected = topics_txt()
    topics = {t["spec"].get("topicName", t["metadata"]["name"]): t for t in objects(docs, "KafkaTopic")}
    assert set(topics) == set(expected), "KafkaTopics and deploy/topics.txt disagree"
    max_consumers = max(s.max for s in (autoscaler(docs, svc) for svc in SERVICES) if s)
    for name, topic in topics.items():
        spec = topic["spec"]
        assert topic["metadata"]["namespace"] == KAFKA_NAMESPACE, name
        assert topic["metadata"]["labels"].get("strimzi.io/cluster") == "afterschool", name
        assert set(spec) <= {"topicName", "partitions", "replicas", "config"}, f"{name}: {sorted(spec)}"
        config = spec["config"]
        days = 7 if name.endswith(".events") else 30
        assert int(config["retention.ms"]) == days * 24 * 3600 * 1000, f"{name}: retention {days} days"
        assert 1 <= int(config["min.insync.replicas"]) <= spec["replicas"], name
        assert spec["partitions"] >= expected[name], f"{name}: fewer partitions than topics.txt"
        if target == "base":
            assert spec["partitions"] == expected[name], f"{name}: base uses topics.txt's count"
        if target == "overlays/dev":
            assert (spec["replicas"], int(config["min.insync.replicas"])) == (1, 1), name
        else:
            assert (spec["replicas"], int(config["min.insync.replicas"])) == (3, 2), name
        if target == "overlays/production":
            assert spec["partitions"] == (48 if name.endswith(".events") else 3), name
            if name.endswith(".events"):
                assert spec["partitions"] >= max_consumers, f"{name}: idle consumers above partition count"


def test_dashboard_config_maps(target: str) -> None:
    docs = render(target)
    boards = [c for c in objects(docs, "ConfigMap") if c["metadata"].get("labels", {}).get("grafana_dashboard")]
    assert all(c["metadata"]["labels"]["grafana_dashboard"] == "1" for c in boards)
    shipped = {key: value for c in boards for key, value in c["data"].items()}
    assert set(shipped) == {p.name for p in DASHBOARDS.glob("*.json")}
    for key, value in shipped.items():
        assert json.loads(value) == json.loads((DASHBOARDS / key).read_text(encoding="utf-8"))
    for config in boards:
        # client-side apply stores the object in a 256 KiB annotation
        assert len(json.dumps(config)) < 200_000, f"{config['metadata']['name']}: too big"


def test_prometheus_rule_is_deployed(target: str) -> None:
    (rule,) = objects(render(target), "PrometheusRule")
    assert rule["spec"] == load_yaml_docs(RULES)[0]["spec"]
    assert rule["metadata"]["namespace"] == APP_NAMESPACE


def test_the_web_pages_hold_nothing_and_reach_nothing(target: str) -> None:
    """Issue 12: the pages' Deployment shares the services' hardening but needs no Secret in production, is not
    scraped (it has no metrics of its own), is reached only through the ingress controller and calls nothing."""
    docs = render(target)
    web = named(docs, "Deployment", "web")
    assert web is not None
    container = app_container(web)
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    env = _environment(docs, web)
    assert all(key.startswith("WEB_") for key in env), sorted(env)
    assert not [key for key, value in env.items() if isinstance(value, dict)], "the pages read no Secret"
    if target != "base":
        assert env["WEB_ENVIRONMENT"] == ("production" if target.endswith("production") else "development")
    if target.endswith("production"):  # people sign in at the district IdP (authorization code with PKCE)
        assert env["WEB_OIDC_ISSUER"].startswith("https://")
        assert env["WEB_OIDC_REDIRECT_URI"].startswith("https://")
        assert env["WEB_OIDC_REDIRECT_URI"].endswith("/app/signin/callback")
        assert env["WEB_OIDC_POST_LOGOUT_REDIRECT_URI"].endswith("/app/signin/signed-out")  # RP-initiated logout
    for monitor in objects(docs, "ServiceMonitor"):
        service = named(docs, "Service", "web")
        assert service is not None
        assert not selects(monitor["spec"]["selector"], service["metadata"]["labels"]), "web has no /metrics"
    mine = [p for p in objects(docs, "NetworkPolicy") if selects(p["spec"]["podSelector"], pod_labels(web))]
    sources = {ns for p in mine for rule in p["spec"].get("ingress", []) for ns in _peers_namespaces(rule["from"])}
    assert sources == {INGRESS_CONTROLLER_NAMESPACE}
    assert not [rule for p in mine for rule in p["spec"].get("egress", [])], "the browser calls the services"
