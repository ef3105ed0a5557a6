"""Re-vendor the CRD schemas in this folder from local git clones of their projects (see README.md).

    python tests/deploy/crds/vendor.py REPO_DIR...   # each a clone (bare or not) named as in SOURCES

Keeps, per kind, only the `openAPIV3Schema` of the one version the manifests use, without `description`s.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

HERE = Path(__file__).resolve().parent
# repository -> (tag, [(path in the repository, kind, version)])
SOURCES: dict[str, tuple[str, list[tuple[str, str, str]]]] = {
    "strimzi/strimzi-kafka-operator": (
        "1.2.0",
        [
            ("packaging/install/cluster-operator/040-Crd-kafka.yaml", "Kafka", "v1"),
            ("packaging/install/cluster-operator/045-Crd-kafkanodepool.yaml", "KafkaNodePool", "v1"),
            ("packaging/install/cluster-operator/043-Crd-kafkatopic.yaml", "KafkaTopic", "v1"),
            ("packaging/install/cluster-operator/044-Crd-kafkauser.yaml", "KafkaUser", "v1"),
        ],
    ),
    "cloudnative-pg/cloudnative-pg": (
        "v1.30.0",
        [
            ("config/crd/bases/postgresql.cnpg.io_clusters.yaml", "Cluster", "v1"),
            ("config/crd/bases/postgresql.cnpg.io_databases.yaml", "Database", "v1"),
            ("config/crd/bases/postgresql.cnpg.io_poolers.yaml", "Pooler", "v1"),
            ("config/crd/bases/postgresql.cnpg.io_scheduledbackups.yaml", "ScheduledBackup", "v1"),
        ],
    ),
    "kedacore/keda": (
        "v2.20.2",
        [
            ("config/crd/bases/keda.sh_scaledobjects.yaml", "ScaledObject", "v1alpha1"),
            ("config/crd/bases/keda.sh_triggerauthentications.yaml", "TriggerAuthentication", "v1alpha1"),
        ],
    ),
    "external-secrets/external-secrets": (
        "v2.9.0",
        [
            ("config/crds/bases/external-secrets.io_externalsecrets.yaml", "ExternalSecret", "v1"),
            ("config/crds/bases/external-secrets.io_clustersecretstores.yaml", "ClusterSecretStore", "v1"),
        ],
    ),
    "kubernetes-sigs/gateway-api": (
        "v1.6.1",
        [
            ("config/crd/standard/gateway.networking.k8s.io_gateways.yaml", "Gateway", "v1"),
            ("config/crd/standard/gateway.networking.k8s.io_httproutes.yaml", "HTTPRoute", "v1"),
        ],
    ),
    "prometheus-operator/prometheus-operator": (
        "v0.93.0",
        [
            ("example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml", "ServiceMonitor", "v1"),
            ("example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml", "PrometheusRule", "v1"),
        ],
    ),
    "envoyproxy/gateway": (
        "v1.9.0",
        [
            (
                "charts/gateway-helm/charts/crds/crds/generated/gateway.envoyproxy.io_clienttrafficpolicies.yaml",
                "ClientTrafficPolicy",
                "v1alpha1",
            ),
            (
                "charts/gateway-helm/charts/crds/crds/generated/gateway.envoyproxy.io_backendtrafficpolicies.yaml",
                "BackendTrafficPolicy",
                "v1alpha1",
            ),
        ],
    ),
}


def strip_descriptions(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: strip_descriptions(v) for k, v in node.items() if k != "description" or not isinstance(v, str)}
    if isinstance(node, list):
        return [strip_descriptions(v) for v in node]
    return node


def vendor(repo: str, clone: Path) -> None:
    tag, files = SOURCES[repo]
    commit = subprocess.run(
        ["git", "-C", str(clone), "rev-parse", f"{tag}^{{commit}}"], capture_output=True, text=True, check=True
    ).stdout.strip()
    for path, kind, version in files:
        text = subprocess.run(
            ["git", "-C", str(clone), "show", f"{commit}:{path}"], capture_output=True, text=True, check=True
        ).stdout
        (crd,) = [d for d in yaml.safe_load_all(text) if d and d.get("kind") == "CustomResourceDefinition"]
        assert crd["spec"]["names"]["kind"] == kind, (path, crd["spec"]["names"]["kind"])
        (entry,) = [v for v in crd["spec"]["versions"] if v["name"] == version]
        assert entry["served"], f"{kind} {version} is not served by {repo} {tag}"
        out = {
            "source": {"repository": repo, "tag": tag, "commit": commit, "path": path},
            "group": crd["spec"]["group"],
            "kind": kind,
            "version": version,
            "storage": bool(entry.get("storage")),
            "deprecated": bool(entry.get("deprecated")),
            "openAPIV3Schema": strip_descriptions(entry["schema"]["openAPIV3Schema"]),
        }
        name = f"{crd['spec']['group']}_{kind.lower()}_{version}.json"
        (HERE / name).write_text(json.dumps(out, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(name, "served", entry["served"], "storage", entry.get("storage"), "deprecated", entry.get("deprecated"))


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        clone = Path(arg)
        repo = next(r for r in SOURCES if r.replace("/", "+") in str(clone) or str(clone).rstrip("/").endswith(r))
        vendor(repo, clone)
