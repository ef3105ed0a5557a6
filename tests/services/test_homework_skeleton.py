"""The homework service runs on the real stack: migrated database, health, readiness and metrics."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from services.homework.app import DEFINITION
from tests.conftest import running, stack_settings

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]


async def test_homework_starts_migrated_and_ready(pg_url: str, topic_prefix: str) -> None:
    async with running(DEFINITION, stack_settings(DEFINITION, pg_url, topic_prefix)) as client:
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/readyz")).json()["status"] == "ok"
        assert "afterschool_outbox_backlog" in (await client.get("/metrics")).text
        assert (await client.get("/homework/openapi.json")).json()["info"]["title"] == "afterschool homework"
        async with client.runtime.db.engine.connect() as conn:
            tables = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    assert {"outbox", "inbox", "idempotency_keys", "alembic_version"} <= tables
