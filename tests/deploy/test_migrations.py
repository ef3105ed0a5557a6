"""Issue 14, "a migration Job per service (`afterschool migrate SERVICE`), with the apps' users lacking DDL".

The pods log in as `<service>_app`, a role that owns nothing, through the pooler, and run with
`<SERVICE>_MIGRATE_ON_START=false` (chassis/app.py: they only check the schema is at head). Each release runs a Job
per service, `afterschool migrate <service> --grant-to <service>_app`, as the database's owner, straight to the
primary; the Jobs carry the release in their names (Jobs are immutable), are ordered before the pods (Argo CD
hook and waves; `kubectl apply -l afterschool/stage=migrate` then `kubectl wait`, deploy/RUNBOOK.md), and are
hardened and fenced like the pods. Built-in kinds, Job included, are validated against the Kubernetes schemas in
test_manifests.py; the roles against CloudNativePG's published schema in test_platform.py.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.deploy.test_manifests import (
    APP_NAMESPACE,
    K8S,
    KAFKA_CLIENT_SETTINGS,
    OVERLAYS,
    PROVIDER_SETTINGS,
    RUNBOOK,
    SERVICES,
    TARGETS,
    _environment,
    app_container,
    external_secrets,
    load_yaml_docs,
    named,
    objects,
    pod_labels,
    quantity,
    render,
    secret_refs,
    selects,
    service_environment,
)

pytestmark = pytest.mark.unit

PRIMARY_HOST = "afterschool-rw.postgres.svc"  # CloudNativePG's read-write Service of Cluster "afterschool"
POOLER_HOST = "afterschool-pooler-rw.postgres.svc"
STAGE = ("afterschool/stage", "migrate")  # what the plain-kubectl release applies before the pods
STARTUP_BUDGET_SECONDS = 60  # the Deployments' startup probe: what killed a slow migration at start-up
PRIMARY_POD = {"cnpg.io/cluster": "afterschool", "cnpg.io/instanceRole": "primary"}  # CloudNativePG's labels
DDL_ATTRIBUTES = ("superuser", "createdb", "createrole", "replication", "bypassrls")


def release() -> str:
    """The release's image tag, set once in base/kustomization.yaml."""
    (image,) = load_yaml_docs(K8S / "base" / "kustomization.yaml")[0]["images"]
    return str(image["newTag"])


def jobs(docs: tuple[dict[str, Any], ...]) -> dict[str, dict[str, Any]]:
    """Service -> its migration Job (exactly one each)."""
    found: dict[str, dict[str, Any]] = {}
    for job in objects(docs, "Job"):
        svc = job["metadata"]["labels"]["app.kubernetes.io/name"]
        assert svc not in found, f"two migration Jobs for {svc}"
        found[svc] = job
    return found


def _template_url(docs: tuple[dict[str, Any], ...], secret: str) -> tuple[str, tuple[str, str]]:
    """The URL template an ExternalSecret in namespace afterschool writes, and the store key/property it fills."""
    (es,) = [
        e
        for e in objects(docs, "ExternalSecret")
        if e["metadata"]["namespace"] == APP_NAMESPACE and e["spec"]["target"]["name"] == secret
    ]
    ((ref,),) = [[d["remoteRef"] for d in es["spec"]["data"]]]
    return es["spec"]["target"]["template"]["data"]["url"], (ref["key"], ref["property"])


def _role_password(docs: tuple[dict[str, Any], ...], role: dict[str, Any]) -> tuple[str, str]:
    """The store key/property of a managed role's password (its basic-auth ExternalSecret in namespace postgres)."""
    (es,) = [
        e for e in objects(docs, "ExternalSecret") if e["spec"]["target"]["name"] == role["passwordSecret"]["name"]
    ]
    assert es["spec"]["target"]["template"]["data"]["username"] == role["name"]
    ((ref,),) = [[d["remoteRef"] for d in es["spec"]["data"]]]
    return ref["key"], ref["property"]


def _roles(docs: tuple[dict[str, Any], ...]) -> dict[str, dict[str, Any]]:
    (cluster,) = objects(docs, "Cluster")
    return {r["name"]: r for r in cluster["spec"]["managed"]["roles"]}


@pytest.mark.parametrize("target", TARGETS)
def test_every_service_has_its_migration_job_as_the_owner(target: str) -> None:
    docs = render(target)
    found = jobs(docs)
    assert set(found) == set(SERVICES), "one migration Job per service"
    suffix = "-" + release().replace(".", "-")
    for svc, job in found.items():
        assert job["metadata"]["name"] == f"{svc}-migrate{suffix}", "a new release makes new Jobs"
        assert job["metadata"]["namespace"] == APP_NAMESPACE
        assert job["metadata"]["labels"]["afterschool/release"] == release()
        container = app_container(job)
        assert container["args"] == ["migrate", svc, "--grant-to", f"{svc}_app"], svc
        deployment = named(docs, "Deployment", svc)
        assert deployment is not None
        assert container["image"] == app_container(deployment)["image"], f"{svc}: the Job migrates the pods' release"
        env = _environment(docs, job)
        prefix = svc.upper() + "_"
        assert env[prefix + "DATABASE_URL"] == {"name": f"{svc}-database-owner", "key": "url"}, svc
        url, password = _template_url(docs, f"{svc}-database-owner")
        assert url.startswith(f"postgresql+asyncpg://{svc}:"), f"{svc}: the Job logs in as the owner"
        assert url.endswith(f"@{PRIMARY_HOST}:5432/{svc}"), f"{svc}: the Job bypasses the pooler"
        assert password == _role_password(docs, _roles(docs)[svc]), (
            f"{svc}: the owner's URL and role share one password"
        )
        # `afterschool migrate` validates the service's settings like the app: the same ones, minus what only
        # serving needs (Redis, Kafka's credentials, notify's providers and stream port) and MIGRATE_ON_START (the
        # command always migrates).
        serving_only = {
            prefix + s
            for s in ("REDIS_URL", "MIGRATE_ON_START", "STREAM_PORT", *KAFKA_CLIENT_SETTINGS, *PROVIDER_SETTINGS)
        }
        app_env = {k: v for k, v in _environment(docs, deployment).items() if k not in serving_only}
        assert set(env) == set(app_env), f"{svc}: Job and Deployment settings differ"
        assert {k: v for k, v in env.items() if k != prefix + "DATABASE_URL"} == {
            k: v for k, v in app_env.items() if k != prefix + "DATABASE_URL"
        }, svc


@pytest.mark.parametrize("target", TARGETS)
def test_deployments_do_not_migrate_and_log_in_as_the_app_role(target: str) -> None:
    docs = render(target)
    for svc in SERVICES:
        prefix = svc.upper() + "_"
        env = service_environment(docs, svc)
        assert env.get(prefix + "MIGRATE_ON_START") == "false", f"{svc}: the pods must not migrate"
        assert env[prefix + "DATABASE_URL"] == {"name": f"{svc}-database", "key": "url"}, svc
        url, password = _template_url(docs, f"{svc}-database")
        assert url.startswith(f"postgresql+asyncpg://{svc}_app:"), f"{svc}: the pods log in as {svc}_app"
        assert url.endswith(f"@{POOLER_HOST}:5432/{svc}"), f"{svc}: through the pooler"
        assert password == _role_password(docs, _roles(docs)[f"{svc}_app"]), svc
        assert password != _role_password(docs, _roles(docs)[svc]), f"{svc}: the app and owner share a password"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_app_roles_cannot_change_the_schema(overlay: str) -> None:
    docs = render(overlay)
    roles = _roles(docs)
    owners = {d["spec"]["name"]: d["spec"]["owner"] for d in objects(docs, "Database")}
    for svc in SERVICES:
        app = roles.get(f"{svc}_app")
        assert app is not None, f"no role {svc}_app"
        assert app["login"] is True, svc
        assert app.get("ensure", "present") == "present", svc
        assert not [a for a in DDL_ATTRIBUTES if app.get(a)], f"{svc}_app: DDL-granting attributes"
        assert not app.get("inRoles"), f"{svc}_app: member of {app['inRoles']} (it would inherit their rights)"
        assert f"{svc}_app" not in owners.values(), f"{svc}_app owns a database"
        assert owners[svc] == svc, f"{svc}: the owner is the migration Job's role"
        assert not [a for a in DDL_ATTRIBUTES if roles[svc].get(a)], f"{svc}: the owner needs no cluster rights"


@pytest.mark.parametrize("target", TARGETS)
def test_migration_jobs_are_hardened(target: str) -> None:
    docs = render(target)
    for svc, job in jobs(docs).items():
        spec = job["spec"]
        pod = spec["template"]["spec"]
        assert pod["restartPolicy"] == "Never", svc
        assert 1 <= spec["backoffLimit"] <= 6, f"{svc}: a few retries, not the default 6 forever"
        assert 0 < spec["ttlSecondsAfterFinished"] <= 30 * 24 * 3600, f"{svc}: finished Jobs are cleaned up"
        assert spec["activeDeadlineSeconds"] >= 30 * STARTUP_BUDGET_SECONDS, f"{svc}: room for a slow migration"
        assert pod.get("automountServiceAccountToken") is False, svc
        container = app_container(job)
        sc = {**pod.get("securityContext", {}), **container.get("securityContext", {})}
        assert sc.get("runAsNonRoot") is True, svc
        assert sc.get("runAsUser") == 10001, svc
        assert sc.get("readOnlyRootFilesystem") is True, svc
        assert sc.get("allowPrivilegeEscalation") is False, svc
        assert sc.get("privileged", False) is False, svc
        assert sc.get("capabilities", {}).get("drop") == ["ALL"], svc
        assert not sc["capabilities"].get("add"), svc
        assert sc.get("seccompProfile", {}).get("type") == "RuntimeDefault", svc
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
        assert "emptyDir" in volumes[mounts["/tmp"]], f"{svc}: a writable /tmp"
        resources = container["resources"]
        for res in ("cpu", "memory"):
            assert quantity(resources["requests"][res]) <= quantity(resources["limits"][res]), f"{svc}: {res}"
        assert not container.get("ports"), f"{svc}: the Job serves nothing"


@pytest.mark.parametrize("target", TARGETS)
def test_migration_jobs_reach_postgres_only(target: str) -> None:
    docs = render(target)
    for svc, job in jobs(docs).items():
        labels = pod_labels(job)
        mine = [p for p in objects(docs, "NetworkPolicy") if selects(p["spec"]["podSelector"], labels)]
        assert any(
            p["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/component") == "migration"
            for p in mine
        ), f"{svc}: no NetworkPolicy of its own"
        assert all({"Ingress", "Egress"} <= set(p["spec"]["policyTypes"]) for p in mine), svc
        assert not [r for p in mine for r in p["spec"].get("ingress", [])], f"{svc}: nothing may call the Job"
        egress = set()
        for rule in (r for p in mine for r in p["spec"].get("egress", [])):
            assert rule.get("to"), f"{svc}: an egress rule without `to` reaches everything"
            namespaces = {
                peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for peer in rule["to"]
            }
            if namespaces == {"postgres"}:  # the primary's pods, which the Job connects to (afterschool-rw)
                assert all(selects(peer.get("podSelector", {}), PRIMARY_POD) for peer in rule["to"]), rule["to"]
            for port in rule["ports"]:
                egress.add((port["port"], port.get("protocol", "TCP"), frozenset(namespaces)))
        assert egress == {
            (53, "UDP", frozenset({"kube-system"})),
            (53, "TCP", frozenset({"kube-system"})),
            (5432, "TCP", frozenset({"postgres"})),
        }, f"{svc}: egress {egress}"


@pytest.mark.parametrize("target", TARGETS)
def test_the_jobs_run_before_the_pods(target: str) -> None:
    """Argo CD: the Jobs are Sync hooks in a wave after everything they read and before the Deployments. Plain
    kubectl: `kubectl apply -l afterschool/stage=migrate` applies the Jobs with all they read, and nothing that
    would start new pods (deploy/RUNBOOK.md, "Schema migrations")."""
    docs = render(target)
    deployment_waves = {
        int(d["metadata"].get("annotations", {}).get("argocd.argoproj.io/sync-wave", "0"))
        for d in objects(docs, "Deployment")
    }
    staged = {
        (d["kind"], d["metadata"]["name"]) for d in docs if d["metadata"].get("labels", {}).get(STAGE[0]) == STAGE[1]
    }
    made = {name: es for (namespace, name), es in external_secrets(docs).items() if namespace == APP_NAMESPACE}
    es_by_target = {
        e["spec"]["target"]["name"]: e["metadata"]["name"]
        for e in objects(docs, "ExternalSecret")
        if e["metadata"]["namespace"] == APP_NAMESPACE
    }
    for svc, job in jobs(docs).items():
        annotations = job["metadata"]["annotations"]
        assert annotations["argocd.argoproj.io/hook"] == "Sync", svc
        assert annotations["argocd.argoproj.io/hook-delete-policy"] == "BeforeHookCreation", svc
        assert 0 < int(annotations["argocd.argoproj.io/sync-wave"]) < min(deployment_waves), f"{svc}: wave order"
        assert ("Job", job["metadata"]["name"]) in staged, svc
        for source in app_container(job).get("envFrom", []):
            config = named(docs, "ConfigMap", source["configMapRef"]["name"])
            assert config is not None, f"{svc}: {source}"
            assert ("ConfigMap", config["metadata"]["name"]) in staged, f"{svc}: {source} is not applied with it"
        for ref in (r for r in secret_refs(docs) if r.where.startswith(job["metadata"]["name"] + " ")):
            if ref.optional:
                continue
            assert ref.name in made, f"{svc}: nothing makes {ref.name}"
            assert ("ExternalSecret", es_by_target[ref.name]) in staged, f"{svc}: {ref.name} is not applied with it"
        for policy in objects(docs, "NetworkPolicy"):
            if selects(policy["spec"]["podSelector"], pod_labels(job)) and policy["spec"]["podSelector"]:
                assert ("NetworkPolicy", policy["metadata"]["name"]) in staged, f"{svc}: its policy is not staged"
    assert not [k for k, _ in staged if k not in {"Job", "ConfigMap", "ExternalSecret", "NetworkPolicy"}], staged


def test_the_runbook_orders_a_release() -> None:
    """The plain-kubectl sequence in the RUNBOOK uses the labels the manifests carry."""
    text = RUNBOOK.read_text(encoding="utf-8")
    section = text[text.index("### Schema migrations") :]
    section = section[: section.find("\n### ", 1)]
    assert f"-l {STAGE[0]}={STAGE[1]}" in section
    assert re.search(
        r"kubectl -n afterschool wait --for=condition=complete .*job -l "
        r"app\.kubernetes\.io/component=migration,afterschool/release=",
        section,
    )
    assert "backward compatible" in section
    assert "rollback" in section.lower()
