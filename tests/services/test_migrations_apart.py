"""Migrations run apart from the app (issue 14): a Job runs `afterschool migrate SERVICE` as the schema owner and
grants the app's role its data rights; the app, whose role has no DDL rights, only checks the schema is at head."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator

import asyncpg
import pytest

from chassis.auth import Role
from chassis.db import SchemaBehind
from services.enrollment.app import DEFINITION
from tests.conftest import auth, fresh_database, running, stack_settings

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]

APP_ROLE = "afterschool_app"  # provisioned by deploy/local/stack, with no DDL rights
OPERATOR = auth(Role.DISTRICT_OPERATOR, "ops", district="d1")


def as_app(owner_url: str) -> str:
    """The same database, connected as the app's role."""
    return owner_url.replace("afterschool:afterschool@", f"{APP_ROLE}:{APP_ROLE}@", 1)


def migrate(url: str, *options: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ENROLLMENT_DATABASE_URL": url, "ENROLLMENT_ENVIRONMENT": "test"}
    command = [sys.executable, "-m", "afterschool", "migrate", "enrollment", *options]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=90)


@pytest.fixture
async def other_url() -> AsyncIterator[str]:
    async with fresh_database() as url:
        yield url


async def test_the_job_migrates_as_owner_and_the_app_without_ddl_rights_serves(
    pg_url: str, other_url: str, topic_prefix: str
) -> None:
    first = migrate(pg_url, "--grant-to", APP_ROLE)
    assert first.returncode == 0, first.stderr
    head = first.stdout.split("schema at revision ")[1].split()[0]
    assert first.stdout.strip() == f"enrollment: schema at revision {head} (was None)"
    again = migrate(pg_url, "--grant-to", APP_ROLE)  # a re-run Job changes nothing
    assert (again.returncode, again.stdout.strip()) == (0, f"enrollment: schema at revision {head}")

    settings = stack_settings(DEFINITION, as_app(pg_url), topic_prefix, migrate_on_start=False)
    async with running(DEFINITION, settings) as enrollment:
        created = await enrollment.post(
            "/enrollment/v1/schools", json={"id": "s1", "name": "实验小学"}, headers=OPERATOR
        )
        assert created.status_code == 201, created.text
        assert (await enrollment.get("/readyz")).status_code == 200

    # The app's role cannot change a schema: the same migration run as it fails on the first CREATE.
    refused = migrate(as_app(other_url))
    assert refused.returncode != 0
    assert "permission denied" in refused.stderr


async def test_an_app_that_does_not_migrate_refuses_to_start_on_a_schema_behind_its_code(
    pg_url: str, topic_prefix: str
) -> None:
    settings = stack_settings(DEFINITION, pg_url, topic_prefix, migrate_on_start=False)
    with pytest.raises(SchemaBehind, match="the schema is at revision None, this release needs"):
        async with running(DEFINITION, settings):
            pass


async def test_a_rollback_runs_on_a_schema_a_later_release_migrated(pg_url: str, topic_prefix: str) -> None:
    """Migrations stay backward compatible for one release (deploy/RUNBOOK.md): a pod of the previous release,
    started after the new release migrated (a rollback, a scale-out mid-rollout), runs on the newer schema."""
    assert migrate(pg_url).returncode == 0
    owner = await asyncpg.connect(pg_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await owner.execute("UPDATE alembic_version SET version_num = '9999_a_later_release'")
    finally:
        await owner.close()
    settings = stack_settings(DEFINITION, pg_url, topic_prefix, migrate_on_start=False)
    async with running(DEFINITION, settings) as enrollment:
        assert (await enrollment.get("/readyz")).status_code == 200
