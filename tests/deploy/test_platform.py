"""Issue 14, "the whole platform in the overlays": the operators' custom resources, checked offline.

- Every custom-kind document base and both overlays render is validated against the published CRD schema of its
  kind and version, vendored in tests/deploy/crds (README.md there names the source of each). Like the API server,
  unknown fields are errors unless the schema preserves them (`kubectl apply` validates fields strictly).
- Then the platform's invariants: Kafka (KRaft, listeners, users and ACLs derived from the services' own code),
  PostgreSQL (CloudNativePG cluster, a database and owner per service, pooler, backups), Redis, KEDA.
"""

from __future__ import annotations

import copy
import json
import types
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # (a dependency of kubernetes-validate, no stubs)
import pytest

from tests.deploy.test_manifests import (
    APP_NAMESPACE,
    CUSTOM_KINDS,
    KAFKA_CLIENT_SETTINGS,
    KAFKA_NAMESPACE,
    OVERLAYS,
    SERVICES,
    TARGETS,
    _environment,
    app_container,
    autoscaler,
    named,
    objects,
    pod_labels,
    render,
    selects,
)

pytestmark = pytest.mark.unit

CRDS = Path(__file__).resolve().parent / "crds"
# Custom kinds whose CRDs are not vendored (none: the Prometheus Operator's are too).
UNVENDORED: set[str] = set()
POSTGRES_NAMESPACE = "postgres"
REDIS_NAMESPACE = "redis"
POOLER_HOST = "afterschool-pooler-rw.postgres.svc"
ROOT = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------- CRD schemas


@cache
def vendored() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> the vendored CRD version entry."""
    found = {}
    for path in sorted(CRDS.glob("*.json")):
        entry = json.loads(path.read_text(encoding="utf-8"))
        found[(f"{entry['group']}/{entry['version']}", entry["kind"])] = entry
    return found


def json_schema(node: Any, *, strict: bool = True) -> Any:
    """A Kubernetes structural schema (OpenAPI v3.0 with x-kubernetes extensions) as a JSON Schema (draft 4).

    - nullable: true admits null; x-kubernetes-int-or-string admits an integer or a string;
    - strict: an object schema with `properties` rejects other fields, unless it preserves unknown fields, as the
      API server does with `kubectl apply`'s strict field validation (it would prune them otherwise). Inside
      allOf/anyOf/oneOf/not, which only add constraints to the enclosing object, nothing is made strict;
    - x-kubernetes-embedded-resource admits apiVersion, kind and metadata;
    - x-kubernetes-validations (CEL) are NOT evaluated (no CEL interpreter here).
    """
    if isinstance(node, list):
        return [json_schema(item, strict=strict) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("properties", "patternProperties", "definitions"):
            out[key] = {name: json_schema(sub, strict=strict) for name, sub in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = json_schema(value, strict=strict)
        elif key in ("allOf", "anyOf", "oneOf", "not"):
            out[key] = json_schema(value, strict=False)
        elif key == "pattern" and value.startswith("^(?i)"):
            out[key] = "(?i)^" + value[5:]  # Go's RE2 takes a flag anywhere; Python's re only at the start
        elif not key.startswith("x-kubernetes-") and key != "nullable":
            out[key] = value
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out.setdefault("allOf", []).append({"type": ["integer", "string"]})
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"] if isinstance(out["type"], str) else [*out["type"], "null"]
    if node.get("x-kubernetes-embedded-resource"):
        out.setdefault("properties", {}).update(
            {"apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"}}
        )
    preserve = node.get("x-kubernetes-preserve-unknown-fields")
    if strict and "properties" in out and "additionalProperties" not in out and not preserve:
        out["additionalProperties"] = False
    return out


@cache
def validator(api_version: str, kind: str) -> jsonschema.Draft4Validator:
    entry = vendored()[(api_version, kind)]
    schema = json_schema(entry["openAPIV3Schema"])
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


def schema_problems(doc: dict[str, Any]) -> list[str]:
    where = f"{doc['kind']}/{doc['metadata']['name']}"
    return [
        f"{where} {'.'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in validator(doc["apiVersion"], doc["kind"]).iter_errors(doc)
    ]


def test_vendored_schemas_are_described_and_served() -> None:
    readme = (CRDS / "README.md").read_text(encoding="utf-8")
    assert vendored(), "no vendored CRD"
    for (api_version, kind), entry in vendored().items():
        source = entry["source"]
        for part in (source["repository"], source["tag"], source["commit"], source["path"]):
            assert part in readme, f"{kind}: crds/README.md does not name its {part}"
        assert not entry["deprecated"], f"{api_version} {kind} is deprecated upstream"
        validator(api_version, kind)  # a valid JSON Schema once converted


def test_every_custom_kind_has_a_vendored_schema() -> None:
    kinds = {kind for _, kind in vendored()}
    assert kinds >= CUSTOM_KINDS - UNVENDORED, f"vendor the CRDs of {sorted(CUSTOM_KINDS - UNVENDORED - kinds)}"


@pytest.mark.parametrize("target", TARGETS)
def test_custom_resources_match_their_published_schemas(target: str) -> None:
    problems = []
    for doc in render(target):
        if doc["kind"] in CUSTOM_KINDS - UNVENDORED:
            assert (doc["apiVersion"], doc["kind"]) in vendored(), f"{doc['apiVersion']} {doc['kind']}: not vendored"
            problems += schema_problems(doc)
    assert problems == [], "\n".join(problems)


def _first(docs: tuple[dict[str, Any], ...], kind: str) -> dict[str, Any]:
    return copy.deepcopy(objects(docs, kind)[0])


def test_schema_validation_catches_typos() -> None:
    """The check can fail: a misspelt field, a wrong enum value and a wrong type are each reported."""
    docs = render("overlays/production")
    kafka = _first(docs, "Kafka")
    kafka["spec"]["kafka"]["listners"] = kafka["spec"]["kafka"].pop("listeners")
    assert any("'listners' was unexpected" in p for p in schema_problems(kafka)), schema_problems(kafka)
    assert any("'listeners' is a required property" in p for p in schema_problems(kafka))
    pooler = _first(docs, "Pooler")
    pooler["spec"]["pgbouncer"]["poolMode"] = "transactions"
    assert any("pgbouncer.poolMode" in p for p in schema_problems(pooler)), schema_problems(pooler)
    scaled = _first(docs, "ScaledObject")
    scaled["spec"]["maxReplicaCount"] = "24"
    assert any("maxReplicaCount" in p for p in schema_problems(scaled)), schema_problems(scaled)
    secret = _first(docs, "ExternalSecret")
    secret["spec"]["data"][0]["remoteRef"]["keey"] = secret["spec"]["data"][0]["remoteRef"].pop("key")
    assert len(schema_problems(secret)) == 2, schema_problems(secret)  # keey unexpected, key required
    user = _first(docs, "KafkaUser")
    user["spec"]["authorization"]["acls"][0]["operations"] = ["Wirte"]
    assert any("acls.0.operations.0" in p for p in schema_problems(user)), schema_problems(user)
    cluster = _first(docs, "Cluster")
    cluster["spec"]["backup"]["barmanObjectStore"]["s3Credentials"]["accessKeyId"].pop("key")
    assert schema_problems(cluster), "a Secret reference without its key"
    # but fields the schema preserves are free (Kafka broker config, KafkaTopic config)
    kafka = _first(docs, "Kafka")
    kafka["spec"]["kafka"]["config"]["any.broker.setting"] = "x"
    assert schema_problems(kafka) == []


# --------------------------------------------------------------------------- Kafka


def _settings(docs: tuple[dict[str, Any], ...]) -> dict[str, str]:
    """The services' shared settings (the ConfigMap afterschool-config, its name suffixed with a hash)."""
    (config,) = [c for c in objects(docs, "ConfigMap") if c["metadata"]["name"].startswith("afterschool-config")]
    return dict(config["data"])


def _api_pods(docs: tuple[dict[str, Any], ...]) -> dict[str, dict[str, str]]:
    found = {}
    for name in (*SERVICES, "web"):
        deployment = named(docs, "Deployment", name)
        assert deployment is not None
        found[name] = pod_labels(deployment)
    return found


def _peer_admits(peer: dict[str, Any], namespace: str, labels: dict[str, str]) -> bool:
    ns_ok = selects(peer.get("namespaceSelector"), {"kubernetes.io/metadata.name": namespace})
    return ns_ok and ("podSelector" not in peer or selects(peer["podSelector"], labels))


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kafka_cluster(overlay: str) -> None:
    """KRaft node pools (3 nodes in production, 1 in dev) sized for the topics' replication; only a TLS listener with
    SCRAM-SHA-512, where the ACLs bind, reachable by the services (and KEDA) only; no super user."""
    docs = render(overlay)
    (kafka,) = objects(docs, "Kafka")
    assert (kafka["metadata"]["name"], kafka["metadata"]["namespace"]) == ("afterschool", KAFKA_NAMESPACE)
    pools = [
        p for p in objects(docs, "KafkaNodePool") if p["metadata"]["labels"]["strimzi.io/cluster"] == "afterschool"
    ]
    brokers = sum(p["spec"]["replicas"] for p in pools if "broker" in p["spec"]["roles"])
    controllers = sum(p["spec"]["replicas"] for p in pools if "controller" in p["spec"]["roles"])
    assert brokers == controllers == (3 if overlay.endswith("production") else 1), "KRaft nodes"
    assert controllers % 2 == 1, "a controller quorum needs an odd count"
    for pool in pools:
        assert all(v.get("deleteClaim") is False for v in pool["spec"]["storage"].get("volumes", [])), "keep the data"
    config = kafka["spec"]["kafka"]["config"]
    assert config["auto.create.topics.enable"] is False
    for topic in objects(docs, "KafkaTopic"):
        assert topic["spec"]["replicas"] <= brokers, topic["metadata"]["name"]
    replication = int(config["default.replication.factor"])
    assert replication == int(config["offsets.topic.replication.factor"]) == min(3, brokers)
    assert int(config["min.insync.replicas"]) == int(config["transaction.state.log.min.isr"]) == max(1, replication - 1)
    assert kafka["spec"]["kafka"]["authorization"]["type"] == "simple", "ACLs are enforced"
    assert "userOperator" in kafka["spec"]["entityOperator"], "the User Operator makes the KafkaUsers"
    assert "topicOperator" in kafka["spec"]["entityOperator"], "the Topic Operator makes the KafkaTopics"
    listeners = {listener["name"]: listener for listener in kafka["spec"]["kafka"]["listeners"]}
    secure = [
        lst for lst in listeners.values() if lst["tls"] and lst.get("authentication", {}).get("type") == "scram-sha-512"
    ]
    assert secure, "a TLS listener with SCRAM-SHA-512"
    pods = _api_pods(docs)
    for listener in listeners.values():
        peers = listener.get("networkPolicyPeers")
        assert peers, f"listener {listener['name']}: open to every pod in the cluster"
        for svc in SERVICES:
            assert any(_peer_admits(p, APP_NAMESPACE, pods[svc]) for p in peers), f"{listener['name']}: {svc}"
        assert not any(_peer_admits(p, APP_NAMESPACE, pods["web"]) for p in peers), "the pages reach no broker"
    # Clients of a listener without authentication would be ANONYMOUS, whom the ACLs would have to let do anything.
    assert listeners == {lst["name"]: lst for lst in secure}, "every listener authenticates"
    assert not kafka["spec"]["kafka"]["authorization"].get("superUsers"), "the ACLs bind every client"
    bootstrap = _settings(docs)["KAFKA_BOOTSTRAP"]
    host, port = bootstrap.rsplit(":", 1)
    assert host == f"afterschool-kafka-bootstrap.{KAFKA_NAMESPACE}.svc"
    (used,) = [lst for lst in listeners.values() if lst["port"] == int(port)]
    assert used["type"] == "internal"


def _consumed_topics() -> dict[str, list[str]]:
    """Topics each service consumes, from its own subscription (afterschool/catalog.py, services/*/consumers.py)."""
    from afterschool.catalog import all_services

    runtime = types.SimpleNamespace(settings_as=lambda cls: cls.model_construct())  # what notify's subscription reads
    found = {}
    for name, definition in all_services().items():
        subscription = definition.subscription(runtime) if definition.subscription else None  # type: ignore[arg-type]
        found[name] = list(subscription.topics) if subscription else []
    return found


def test_the_consumer_group_names_the_acls_assume() -> None:
    """The ACLs grant group <service> and <service>.deadletters-replay: the names the chassis uses."""
    assert "group=definition.name," in (ROOT / "chassis" / "app.py").read_text(encoding="utf-8")
    replay = (ROOT / "chassis" / "deadletters.py").read_text(encoding="utf-8")
    assert 'bus.consumer(f"{service}.deadletters-replay"' in replay


def _acls(user: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    acls: dict[tuple[str, str], set[str]] = {}
    for acl in user["spec"]["authorization"]["acls"]:
        resource = acl["resource"]
        assert resource.get("patternType", "literal") == "literal", f"{user['metadata']['name']}: {resource}"
        assert acl.get("type", "allow") == "allow"
        assert "All" not in acl["operations"]
        acls.setdefault((resource["type"], resource["name"]), set()).update(acl["operations"])
    return acls


@pytest.mark.parametrize("target", TARGETS)
def test_kafka_users_may_touch_only_their_own_topics_and_groups(target: str) -> None:
    docs = render(target)
    consumed = _consumed_topics()
    assert set(consumed) == set(SERVICES)
    for svc in SERVICES:
        user = named(docs, "KafkaUser", svc)
        assert user is not None, f"{svc}: no KafkaUser"
        assert user["metadata"]["namespace"] == KAFKA_NAMESPACE
        assert user["metadata"]["labels"]["strimzi.io/cluster"] == "afterschool"
        assert user["spec"]["authentication"]["type"] == "scram-sha-512"
        expected = {
            ("topic", f"{svc}.events"): {"Write", "Describe"},
            ("topic", f"{svc}.deadletters"): {"Read", "Write", "Describe"},
            ("group", f"{svc}.deadletters-replay"): {"Read", "Describe"},
        }
        for topic in consumed[svc]:
            expected[("topic", topic)] = {"Read", "Describe"}
        if consumed[svc]:
            expected[("group", svc)] = {"Read", "Describe"}
        assert _acls(user) == expected, svc
    # The operator's "replay" (`afterschool replay-dead-letters`, chassis/deadletters.py): reads each service's dead
    # letters as its replay group, writes back to the topics events are consumed from; nothing else.
    replay = named(docs, "KafkaUser", "replay")
    assert replay is not None
    expected = {("topic", topic): {"Write", "Describe"} for topics in consumed.values() for topic in topics}
    for svc in SERVICES:
        expected[("topic", f"{svc}.deadletters")] = {"Read", "Describe"}
        expected[("group", f"{svc}.deadletters-replay")] = {"Read", "Describe"}
    assert _acls(replay) == expected
    for scaled in objects(docs, "ScaledObject"):
        for trigger in (t for t in scaled["spec"]["triggers"] if t["type"] == "kafka"):
            group = trigger["metadata"]["consumerGroup"]
            keda = named(docs, "KafkaUser", "keda")
            assert keda is not None
            acls = _acls(keda)
            assert acls[("group", group)] == {"Describe"}
            for topic in consumed[group]:
                assert acls[("topic", topic)] == {"Describe"}, topic
            assert all(ops == {"Describe"} for ops in acls.values()), "KEDA only reads offsets"


@pytest.mark.parametrize("target", TARGETS)
def test_services_reach_kafka_as_their_own_scram_users_verifying_the_cluster_ca(target: str) -> None:
    """Each Deployment sets SASL_SSL + SCRAM-SHA-512 with its own KafkaUser's name, the password that KafkaUser is
    given (the same secret-store key), and the Strimzi cluster CA mounted where KAFKA_CA_FILE points; the migration
    Jobs, which never touch Kafka, get none of it (a SASL protocol without credentials is refused at start)."""
    docs = render(target)
    for svc in SERVICES:
        deployment = named(docs, "Deployment", svc)
        assert deployment is not None
        env = {k.removeprefix(svc.upper() + "_"): v for k, v in _environment(docs, deployment).items()}
        assert (env["KAFKA_SECURITY_PROTOCOL"], env["KAFKA_SASL_MECHANISM"]) == ("SASL_SSL", "SCRAM-SHA-512"), svc
        user = named(docs, "KafkaUser", env["KAFKA_USERNAME"])
        assert user is not None, f"{svc}: no KafkaUser {env['KAFKA_USERNAME']}"
        assert user["metadata"]["name"] == svc, f"{svc}: connects as its own KafkaUser"
        password_ref = env["KAFKA_PASSWORD"]
        pod_password = _external_secret(docs, APP_NAMESPACE, password_ref["name"])
        assert {d["secretKey"] for d in pod_password["spec"]["data"]} >= {password_ref["key"]}
        user_password = user["spec"]["authentication"]["password"]["valueFrom"]["secretKeyRef"]
        strimzi_side = _external_secret(docs, KAFKA_NAMESPACE, user_password["name"])
        assert _store_keys(pod_password) == _store_keys(strimzi_side), f"{svc}: the pod and its KafkaUser disagree"
        mounts = {m["name"]: m["mountPath"] for m in app_container(deployment).get("volumeMounts", [])}
        volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
        ca_dir, ca_file = env["KAFKA_CA_FILE"].rsplit("/", 1)
        (volume,) = [name for name, path in mounts.items() if path == ca_dir]
        ca_secret = _external_secret(docs, APP_NAMESPACE, volumes[volume]["secret"]["secretName"])
        (ca,) = [d for d in ca_secret["spec"]["data"] if d["secretKey"] == ca_file]
        assert ca["remoteRef"] == {"key": "afterschool-cluster-ca-cert", "property": "ca.crt"}, "Strimzi's cluster CA"
        store = ca_secret["spec"]["secretStoreRef"]["name"]
        (reader,) = [s for s in objects(docs, "ClusterSecretStore") if s["metadata"]["name"] == store]
        assert reader["spec"]["provider"]["kubernetes"]["remoteNamespace"] == KAFKA_NAMESPACE
    for job in objects(docs, "Job"):
        names = {var["name"] for var in app_container(job).get("env", [])}
        for source in app_container(job).get("envFrom", []):
            config = named(docs, "ConfigMap", source["configMapRef"]["name"])
            assert config is not None
            names |= {source.get("prefix", "") + key for key in config.get("data", {})}
        assert not {name.split("_", 1)[1] for name in names} & KAFKA_CLIENT_SETTINGS, job["metadata"]["name"]


# --------------------------------------------------------------------------- PostgreSQL


def _external_secret(docs: tuple[dict[str, Any], ...], namespace: str, name: str) -> dict[str, Any]:
    (found,) = [
        e
        for e in objects(docs, "ExternalSecret")
        if e["metadata"]["namespace"] == namespace and e["spec"]["target"]["name"] == name
    ]
    return found


def _store_keys(external_secret: dict[str, Any]) -> set[tuple[str, str]]:
    return {(d["remoteRef"]["key"], d["remoteRef"].get("property", "")) for d in external_secret["spec"]["data"]}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_postgres_cluster_databases_pooler_and_backups(overlay: str) -> None:
    docs = render(overlay)
    production = overlay.endswith("production")
    (cluster,) = objects(docs, "Cluster")
    name = cluster["metadata"]["name"]
    assert cluster["metadata"]["namespace"] == POSTGRES_NAMESPACE
    assert cluster["spec"]["instances"] == (3 if production else 1)
    assert cluster["spec"].get("enableSuperuserAccess") is False
    roles = {r["name"]: r for r in cluster["spec"]["managed"]["roles"]}
    # the owner (migration Job, straight to the primary) and the pods' role (through the pooler): test_migrations.py
    assert set(roles) == {name for svc in SERVICES for name in (svc, f"{svc}_app")}, "two roles per service"
    for user, role in roles.items():
        assert role["login"] is True, user
        assert not any(role.get(p) for p in ("superuser", "createdb", "createrole", "replication", "bypassrls")), user
        secret = _external_secret(docs, POSTGRES_NAMESPACE, role["passwordSecret"]["name"])
        assert secret["spec"]["target"]["template"]["type"] == "kubernetes.io/basic-auth"
        assert secret["spec"]["target"]["template"]["data"]["username"] == user
    for svc in SERVICES:
        app_role = _external_secret(docs, POSTGRES_NAMESPACE, roles[f"{svc}_app"]["passwordSecret"]["name"])
        url = _external_secret(docs, APP_NAMESPACE, f"{svc}-database")
        assert _store_keys(app_role) == _store_keys(url), f"{svc}: the app role and the URL share one password"
        assert url["spec"]["target"]["template"]["data"]["url"].startswith(f"postgresql+asyncpg://{svc}_app:")
        assert url["spec"]["target"]["template"]["data"]["url"].endswith(f"@{POOLER_HOST}:5432/{svc}"), svc
    databases = {d["spec"]["name"]: d["spec"] for d in objects(docs, "Database")}
    assert set(databases) == set(SERVICES), "one database per service"
    for svc, spec in databases.items():
        assert (spec["owner"], spec["cluster"]["name"]) == (svc, name), f"{svc}: owned by its own role"
        assert spec.get("databaseReclaimPolicy") == "retain"
    (pooler,) = objects(docs, "Pooler")
    assert f"{pooler['metadata']['name']}.{POSTGRES_NAMESPACE}.svc" == POOLER_HOST
    assert (pooler["spec"]["cluster"]["name"], pooler["spec"]["type"]) == (name, "rw")
    assert pooler["spec"]["pgbouncer"]["poolMode"] == "transaction"
    assert int(pooler["spec"]["pgbouncer"]["parameters"]["max_prepared_statements"]) > 0, "asyncpg prepares statements"
    assert pooler["spec"]["instances"] == (3 if production else 1)
    backups = objects(docs, "ScheduledBackup")
    if not production:
        assert "backup" not in cluster["spec"]
        assert not backups
        return
    store = cluster["spec"]["backup"]["barmanObjectStore"]
    assert store["destinationPath"].startswith("s3://")
    credentials = {store["s3Credentials"][k]["name"] for k in ("accessKeyId", "secretAccessKey")}
    assert credentials == {"postgres-backup-s3"}
    assert cluster["spec"]["backup"]["retentionPolicy"]
    (backup,) = backups
    assert backup["spec"]["cluster"]["name"] == name
    assert backup["spec"]["method"] == "barmanObjectStore"
    assert len(backup["spec"]["schedule"].split()) == 6, "CloudNativePG schedules start with seconds"


# --------------------------------------------------------------------------- Redis


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_redis_without_persistence(overlay: str) -> None:
    docs = render(overlay)
    (redis,) = objects(docs, "StatefulSet")
    assert redis["metadata"]["namespace"] == REDIS_NAMESPACE
    pod = redis["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    args = container["args"]
    assert args[args.index("--save") + 1] == "", "no RDB snapshots"
    assert args[args.index("--appendonly") + 1] == "no", "no AOF"
    assert "--requirepass" in args
    assert not redis["spec"].get("volumeClaimTemplates"), "no persistent volume"
    assert all("emptyDir" in v for v in pod["volumes"])
    image = container["image"]
    assert "@sha256:" in image or (":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest")), image
    sc = {**pod["securityContext"], **container["securityContext"]}
    assert sc["runAsNonRoot"] is True
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["capabilities"]["drop"] == ["ALL"]
    service = named(docs, "Service", "redis")
    assert service is not None
    assert service["metadata"]["namespace"] == REDIS_NAMESPACE
    assert [p["port"] for p in service["spec"]["ports"]] == [6379]
    url = _external_secret(docs, APP_NAMESPACE, "afterschool-redis")["spec"]["target"]["template"]["data"]["url"]
    assert url.endswith(f"@redis.{REDIS_NAMESPACE}.svc:6379/0")
    password = _external_secret(docs, REDIS_NAMESPACE, "redis-password")
    assert _store_keys(password) == _store_keys(_external_secret(docs, APP_NAMESPACE, "afterschool-redis"))
    pods = _api_pods(docs)
    (policy,) = [p for p in objects(docs, "NetworkPolicy") if p["metadata"]["namespace"] == REDIS_NAMESPACE]
    assert selects(policy["spec"]["podSelector"], pod_labels(redis))
    peers = [peer for rule in policy["spec"]["ingress"] for peer in rule["from"]]
    assert all(any(_peer_admits(p, APP_NAMESPACE, pods[svc]) for p in peers) for svc in SERVICES)
    assert not any(_peer_admits(p, APP_NAMESPACE, pods["web"]) for p in peers)


# --------------------------------------------------------------------------- KEDA


@pytest.mark.parametrize("target", TARGETS)
def test_consumers_scale_on_their_lag(target: str) -> None:
    """notify and stipend scale on their consumer group's lag (and CPU), read by KEDA as Kafka user "keda" over
    the SCRAM TLS listener; the services left on CPU are the HTTP-bound ones."""
    docs = render(target)
    (kafka,) = objects(docs, "Kafka")
    secure = {
        lst["port"]
        for lst in kafka["spec"]["kafka"]["listeners"]
        if lst["tls"] and lst.get("authentication", {}).get("type") == "scram-sha-512"
    }
    for svc in ("notify", "stipend"):
        scaler = autoscaler(docs, svc)
        assert scaler is not None
        assert scaler.kind == "ScaledObject", f"{svc}: scale on lag"
        scaled = named(docs, "ScaledObject", svc)
        assert scaled is not None
        assert scaled["spec"]["advanced"]["horizontalPodAutoscalerConfig"]["name"] == svc, "the HPA keeps its name"
        annotations = scaled["metadata"].get("annotations", {})
        assert annotations.get("scaledobject.keda.sh/transfer-hpa-ownership") == "true", "adopt the HPA it replaces"
        assert scaled["spec"]["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]["scaleDown"]
        (lag,) = [t for t in scaled["spec"]["triggers"] if t["type"] == "kafka"]
        meta = lag["metadata"]
        assert meta["consumerGroup"] == svc, "the chassis' group is the service's name"
        assert "topic" not in meta, "lag over every topic the group reads"
        host, port = meta["bootstrapServers"].rsplit(":", 1)
        assert host == f"afterschool-kafka-bootstrap.{KAFKA_NAMESPACE}.svc"
        assert int(port) in secure, "KEDA authenticates"
        assert int(meta["lagThreshold"]) > 0
        assert meta.get("offsetResetPolicy") == "earliest", "as the service's consumer (chassis/bus/kafka.py)"
        auth = named(docs, "TriggerAuthentication", lag["authenticationRef"]["name"])
        assert auth is not None
        assert auth["metadata"]["namespace"] == APP_NAMESPACE
        params = {ref["parameter"]: ref for ref in auth["spec"]["secretTargetRef"]}
        assert set(params) >= {"sasl", "username", "password", "tls", "ca"}
        (secret_name,) = {ref["name"] for ref in params.values()}
        made = _external_secret(docs, APP_NAMESPACE, secret_name)["spec"]["target"]["template"]["data"]
        assert (made["sasl"], made["tls"], made["username"]) == ("scram_sha512", "enable", "keda")
        password = _external_secret(docs, KAFKA_NAMESPACE, "keda-kafka-password")
        assert _store_keys(password) <= _store_keys(_external_secret(docs, APP_NAMESPACE, secret_name))


# --------------------------------------------------------------------------- Gateway API edge limits

# Services that take files (chassis/limits.py FILE_TYPES): roster imports, the reconciliation CSV, payment statements.
FILE_UPLOADS = {"enrollment", "attendance", "stipend"}
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30}


def _bytes(limit: str | int) -> int:
    text = str(limit)
    unit = text[-2:]
    return int(text[:-2]) * _BINARY[unit] if unit in _BINARY else int(text)


@pytest.mark.parametrize("target", TARGETS)
def test_every_route_has_body_size_and_rate_limits(target: str) -> None:
    """Gateway API core has neither: Envoy Gateway's BackendTrafficPolicy gives each HTTPRoute a body-size limit just
    above the service's own (so the service's problem+json 413 stays the usual answer, and a file never reaches a
    service that takes none) and a local rate limit; its ClientTrafficPolicy bounds slow requests."""
    from afterschool.catalog import NAMES, definition

    docs = render(target)
    policies: dict[str, dict[str, Any]] = {}
    for policy in objects(docs, "BackendTrafficPolicy"):
        for ref in policy["spec"]["targetRefs"]:
            assert (ref["group"], ref["kind"]) == ("gateway.networking.k8s.io", "HTTPRoute"), ref
            assert ref["name"] not in policies, f"HTTPRoute {ref['name']}: two policies"
            policies[ref["name"]] = policy["spec"]
    routes = {r["metadata"]["name"] for r in objects(docs, "HTTPRoute")}
    assert set(policies) == routes, "every route, and only routes that exist"
    for route, spec in policies.items():
        limit = _bytes(spec["requestBuffer"]["limit"])
        if route in NAMES:
            fields = definition(route).settings_class.model_fields
            body, upload = fields["max_body_bytes"].default, fields["max_upload_bytes"].default
            assert limit >= (upload if route in FILE_UPLOADS else body), f"{route}: the edge refuses what it takes"
            assert limit <= 2 * (upload if route in FILE_UPLOADS else body), f"{route}: edge limit far too high"
        else:
            assert limit <= 2**20, f"{route}: the pages take no bodies"
        assert spec["rateLimit"]["type"] == "Local"
        rules = spec["rateLimit"]["local"]["rules"]
        assert rules
        assert all(r["limit"]["requests"] > 0 for r in rules), route
    (client,) = objects(docs, "ClientTrafficPolicy")
    (gateway,) = objects(docs, "Gateway")
    assert client["spec"]["targetRefs"] == [
        {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gateway["metadata"]["name"]}
    ]
    assert client["spec"]["timeout"]["http"]["requestReceivedTimeout"]


# --------------------------------------------------------------------------- External Secrets


def test_the_dev_store_holds_every_key_the_external_secrets_read() -> None:
    """Development's `fake` ClusterSecretStore must answer every remoteRef, or its ExternalSecrets never sync."""
    docs = render("overlays/dev")
    store = next(s for s in objects(docs, "ClusterSecretStore") if s["metadata"]["name"] == "afterschool")
    held = {item["key"]: json.loads(item["value"]) for item in store["spec"]["provider"]["fake"]["data"]}
    problems = []
    for es in objects(docs, "ExternalSecret"):
        default = es["spec"]["secretStoreRef"]["name"]
        for item in es["spec"].get("data", []):
            if item.get("sourceRef", {}).get("storeRef", {}).get("name", default) != "afterschool":
                continue
            ref = item["remoteRef"]
            if ref["key"] not in held or ref.get("property", "") not in held[ref["key"]]:
                problems.append(f"{es['metadata']['name']}: {ref['key']} {ref.get('property', '')}")
        for item in es["spec"].get("dataFrom", []):
            if item["extract"]["key"] not in held:
                problems.append(f"{es['metadata']['name']}: {item['extract']['key']}")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_pooler_cannot_exhaust_postgres(overlay: str) -> None:
    """Every PgBouncer opens up to default_pool_size (+ reserve_pool_size) server connections per database/user
    pair (one: only the app roles use it): all of them together, plus the owner roles' connection limits (the
    migration Jobs connect to the primary directly, test_migrations.py), stay under max_connections, with room for
    replication and the operator."""
    docs = render(overlay)
    (cluster,) = objects(docs, "Cluster")
    max_connections = int(cluster["spec"]["postgresql"]["parameters"]["max_connections"])
    server_side = 0
    for pooler in objects(docs, "Pooler"):
        parameters = pooler["spec"]["pgbouncer"]["parameters"]
        per_pair = int(parameters["default_pool_size"]) + int(parameters.get("reserve_pool_size", 0))
        server_side += pooler["spec"]["instances"] * len(objects(docs, "Database")) * per_pair
    direct = sum(int(r["connectionLimit"]) for r in cluster["spec"]["managed"]["roles"] if r["name"] in SERVICES)
    assert direct >= len(SERVICES), "each migration Job needs a connection"
    assert server_side + direct <= max_connections - 50, (
        f"{server_side} pooled + {direct} direct connections, max_connections {max_connections}"
    )
