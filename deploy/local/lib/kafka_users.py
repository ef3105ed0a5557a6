"""Prints the local broker's SCRAM users and ACLs for KafkaAuth.java, read from the KafkaUsers Strimzi applies in
Kubernetes (deploy/k8s/base/kafka/users.yaml), so the ACLs are written once and the local secure listener enforces
exactly what production does.

Each user's local password is `<user>-local-password` (like PostgreSQL's afterschool/afterschool here: a throwaway
broker on 127.0.0.1; Kubernetes takes the passwords from the secret store).

Usage: python kafka_users.py USERS_YAML
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml


def local_password(user: str) -> str:
    """The local broker's password for `user`."""
    return f"{user}-local-password"


def spec_lines(documents: list[dict[str, Any]]) -> list[str]:
    """`user NAME PASSWORD` and `acl NAME TYPE RESOURCE OPERATION` lines, one user's after another."""
    lines: list[str] = []
    for doc in documents:
        if not doc or doc.get("kind") != "KafkaUser":
            continue
        name = doc["metadata"]["name"]
        if doc["spec"]["authentication"]["type"] != "scram-sha-512":
            raise SystemExit(f"KafkaUser {name}: only scram-sha-512 users are mirrored locally")
        lines.append(f"user {name} {local_password(name)}")
        for acl in doc["spec"].get("authorization", {}).get("acls", []):
            resource = acl["resource"]
            if resource.get("patternType", "literal") != "literal" or acl.get("type", "allow") != "allow":
                raise SystemExit(f"KafkaUser {name}: only literal allow ACLs are mirrored locally: {acl}")
            lines += [f"acl {name} {resource['type']} {resource['name']} {op}" for op in acl["operations"]]
    return lines


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: kafka_users.py USERS_YAML")
    print("\n".join(spec_lines(list(yaml.safe_load_all(Path(sys.argv[1]).read_text(encoding="utf-8"))))))
