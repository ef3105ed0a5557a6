"""Each service's migrations, run on an empty PostgreSQL database, build the schema its models declare: autogenerate
finds nothing to add, drop or change, so a refactoring of the migrations that changed the schema would fail here."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from afterschool.catalog import NAMES
from afterschool.catalog import definition as service_definition
from chassis.app import ServiceDefinition
from chassis.db import Database

pytestmark = [pytest.mark.service, pytest.mark.timeout(120)]


def _differences(connection: Connection, definition: ServiceDefinition) -> list[Any]:
    # Server defaults are left out: Alembic cannot compare a JSON column's on PostgreSQL (`json = unknown`).
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, definition.metadata))


@pytest.mark.parametrize("service", sorted(NAMES))
async def test_the_migrated_schema_is_the_models_schema(pg_url: str, service: str) -> None:
    definition = service_definition(service)
    database = Database(pg_url, pool_size=1, max_overflow=0)
    try:
        await database.migrate(definition.migrations)
        async with database.engine.connect() as connection:
            differences = await connection.run_sync(_differences, definition)
    finally:
        await database.dispose()
    assert differences == [], f"{service}: the migrations and the models disagree"
